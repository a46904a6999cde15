#include "winagent/checkin.h"

#include <fmt/format.h>

#include "protocol/messages.h"
#include "winagent/state_file.h"

namespace pk::winagent {
namespace {

Error refused(std::string_view what, const HttpResponse& response) {
  std::string hint;
  if (response.status == 401 || response.status == 403) {
    hint = " The server rejected the credentials; create a new enrolment secret and enrol again.";
  } else if (response.status == 409) {
    hint = " The machine is enrolled already; an administrator must approve re-enrolment.";
  }
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("The server rejected the {} with HTTP status {}.{}", what,
                           response.status, hint)};
}

}  // namespace

WindowsCheckin::WindowsCheckin(Transport& transport, std::filesystem::path state_directory,
                               Collect collect, NewId new_report_id, const Clock& clock)
    : transport_(transport),
      state_directory_(std::move(state_directory)),
      collect_(std::move(collect)),
      new_report_id_(std::move(new_report_id)),
      clock_(clock) {}

Result<std::optional<HostIdentity>> WindowsCheckin::identity() const {
  const auto path = state_directory_ / kIdentityFile;
  auto text = readStateFile(path);
  if (!text) return tl::unexpected(text.error());
  if (!text->has_value()) return std::optional<HostIdentity>();
  auto parsed = parseHostIdentity(**text, toUtf8(path.wstring()));
  if (!parsed) return tl::unexpected(parsed.error());
  return std::optional<HostIdentity>(std::move(*parsed));
}

Result<void> WindowsCheckin::storeIdentity(const HostIdentity& identity) {
  return writeFileAtomically(state_directory_ / kIdentityFile, toJsonText(identity));
}

Result<HostIdentity> WindowsCheckin::enrol(std::string_view secret, std::string_view hostname,
                                           std::string_view machine_id) {
  protocol::EnrolRequest request{std::string(secret), std::string(hostname),
                                 std::string(machine_id)};
  auto response =
      transport_.send(HttpRequest{"POST", "/api/v1/enrol", protocol::toJson(request).dump()});
  if (!response) return tl::unexpected(response.error());
  if (response->status != 201) return tl::unexpected(refused("enrolment", *response));

  auto enrolled = protocol::parseEnrolResponse(response->body);
  if (!enrolled) return tl::unexpected(enrolled.error());
  HostIdentity identity{enrolled->host_id, enrolled->token, ""};
  if (auto stored = storeIdentity(identity); !stored) return tl::unexpected(stored.error());
  return identity;
}

Result<HttpResponse> WindowsCheckin::sendReport(const HostIdentity& identity,
                                                const inventory::WindowsInventory& document,
                                                bool with_document, std::string& report_id) {
  protocol::Report report;
  report.report_id = new_report_id_();
  report_id = report.report_id;
  report.collected_at = document.collected_at.value_or(clock_.now());
  report.hostname = document.hostname;
  report.os.id = "windows";
  report.os.pretty_name = document.facts.edition;
  report.os.version_id = document.facts.release;
  report.restart = document.restart;
  report.inventory_hash = protocol::inventoryHash(protocol::windowsPayload(document));
  if (with_document) report.windows = document;

  return transport_.send(HttpRequest{"POST",
                                     fmt::format("/api/v1/hosts/{}/reports", identity.host_id),
                                     protocol::toJson(report).dump(), identity.token});
}

Result<CheckinOutcome> WindowsCheckin::report() {
  auto stored = identity();
  if (!stored) return tl::unexpected(stored.error());
  if (!stored->has_value()) {
    return fail(ErrorCode::kNotFound, "The agent is not enrolled yet; it must enrol first.");
  }
  HostIdentity current = **stored;

  auto collected = collect_();
  if (!collected) return tl::unexpected(collected.error());
  const inventory::WindowsInventory& document = collected->inventory;
  const std::string hash = protocol::inventoryHash(protocol::windowsPayload(document));

  CheckinOutcome outcome;
  bool with_document = hash != current.acknowledged_hash;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string report_id;
    auto response = sendReport(current, document, with_document, report_id);
    if (!response) return tl::unexpected(response.error());
    if (response->status != 200) return tl::unexpected(refused("report", *response));
    auto accepted = protocol::parseReportResponse(response->body);
    if (!accepted) return tl::unexpected(accepted.error());

    outcome.next_checkin_seconds = accepted->next_checkin_seconds;
    outcome.report_id = report_id;
    outcome.inventory_sent = with_document;
    // A server that lost the document for this hash requests it once.
    if (accepted->inventory_needed && !with_document) {
      with_document = true;
      continue;
    }
    current.acknowledged_hash = hash;
    if (auto saved = storeIdentity(current); !saved) return tl::unexpected(saved.error());
    break;
  }
  return outcome;
}

}  // namespace pk::winagent
