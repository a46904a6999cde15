#include "agent/job_journal.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/agent_state.h"
#include "agent/log.h"
#include "protocol/jobs.h"

namespace pk::agent {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr std::array<std::pair<JobPhase, std::string_view>, 7> kPhaseNames = {{
    {JobPhase::kWaiting, "waiting"},
    {JobPhase::kStarting, "starting"},
    {JobPhase::kInstalling, "installing"},
    {JobPhase::kInstalled, "installed"},
    {JobPhase::kRestarting, "restarting"},
    {JobPhase::kFinished, "finished"},
    {JobPhase::kFailed, "failed"},
}};

std::optional<installer::Manager> parseManager(std::string_view name) {
  for (const auto manager :
       {installer::Manager::kApt, installer::Manager::kDnf, installer::Manager::kApk}) {
    if (installer::managerName(manager) == name) return manager;
  }
  return std::nullopt;
}

Json encodeTime(const std::optional<SystemTime>& time) {
  if (!time) return nullptr;
  return formatRfc3339(*time);
}

std::optional<SystemTime> decodeTime(const Json& value, std::string_view key) {
  if (value.is_null()) return std::nullopt;
  auto parsed = parseRfc3339(value.get<std::string>());
  if (!parsed) throw std::invalid_argument(fmt::format("{} is not an RFC 3339 time", key));
  return parsed;
}

Result<void> ensureFolder(const fs::path& folder) {
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(ErrorCode::kIoError, fmt::format("cannot create the folder {}: {}", folder.string(),
                                                 std::strerror(errno)));
  }
  return {};
}

}  // namespace

std::string_view jobPhaseName(JobPhase phase) {
  for (const auto& [value, name] : kPhaseNames) {
    if (value == phase) return name;
  }
  return "unknown";
}

std::optional<JobPhase> parseJobPhase(std::string_view name) {
  for (const auto& [value, phase_name] : kPhaseNames) {
    if (phase_name == name) return value;
  }
  return std::nullopt;
}

std::string encodeJobEntry(const JobEntry& entry) {
  Json targets = Json::array();
  for (const auto& target : entry.targets) {
    targets.push_back({{"name", target.name}, {"version", target.version}});
  }
  Json unsent = Json::array();
  for (const auto& event : entry.unsent) {
    unsent.push_back({{"event_id", event.event_id}, {"state", event.state}, {"body", event.body}});
  }
  Json windows = Json::array();
  for (const auto& window : entry.restart_windows) {
    windows.push_back({{"start", formatRfc3339(window.start)}, {"end", formatRfc3339(window.end)}});
  }
  const Json json = {
      {"job_id", entry.job_id},
      {"deployment_id", entry.deployment_id},
      {"endpoint", entry.endpoint},
      {"manager", installer::managerName(entry.manager)},
      {"targets", std::move(targets)},
      {"pre_hook", entry.pre_hook},
      {"post_hook", entry.post_hook},
      {"phase", jobPhaseName(entry.phase)},
      {"waiting_for", encodeTime(entry.waiting_for)},
      {"started_at", encodeTime(entry.started_at)},
      {"versions_before", entry.versions_before},
      {"boot_id_before_restart", entry.boot_id_before_restart},
      {"restart_reason", entry.restart_reason},
      {"restart_requested", entry.restart_requested},
      {"restart_in_window", entry.restart_in_window},
      {"restart_windows", std::move(windows)},
      {"restart_policy",
       {{"deadline_seconds", entry.restart_deadline_seconds},
        {"countdown_seconds", entry.restart_countdown_seconds},
        {"reminder_seconds", entry.restart_reminder_seconds}}},
      {"unsent", std::move(unsent)},
  };
  return json.dump(2) + "\n";
}

Result<JobEntry> decodeJobEntry(std::string_view text) {
  // nlohmann's typed accessors throw on a missing key or a wrong type; one
  // handler turns each into a message.
  try {
    const Json json = Json::parse(text);
    JobEntry entry;
    entry.job_id = json.at("job_id").get<std::string>();
    if (!protocol::isJobId(entry.job_id)) throw std::invalid_argument("job_id is not a job id");
    entry.deployment_id = json.at("deployment_id").get<std::string>();
    entry.endpoint = json.at("endpoint").get<bool>();
    auto manager = parseManager(json.at("manager").get<std::string>());
    if (!manager) throw std::invalid_argument("manager is not apt, dnf or apk");
    entry.manager = *manager;
    for (const Json& target : json.at("targets")) {
      entry.targets.push_back({.name = target.at("name").get<std::string>(),
                               .version = target.at("version").get<std::string>()});
    }
    entry.pre_hook = json.at("pre_hook").get<std::string>();
    entry.post_hook = json.at("post_hook").get<std::string>();
    auto phase = parseJobPhase(json.at("phase").get<std::string>());
    if (!phase) throw std::invalid_argument("phase is not a known phase");
    entry.phase = *phase;
    entry.waiting_for = decodeTime(json.at("waiting_for"), "waiting_for");
    entry.started_at = decodeTime(json.at("started_at"), "started_at");
    entry.versions_before = json.at("versions_before").get<std::map<std::string, std::string>>();
    entry.boot_id_before_restart = json.at("boot_id_before_restart").get<std::string>();
    entry.restart_reason = json.at("restart_reason").get<std::string>();
    entry.restart_requested = json.at("restart_requested").get<bool>();
    // Journals written before restart windows existed restart at once.
    entry.restart_in_window = json.value("restart_in_window", false);
    for (const Json& window : json.value("restart_windows", Json::array())) {
      const auto start = decodeTime(window.at("start"), "restart_windows.start");
      const auto end = decodeTime(window.at("end"), "restart_windows.end");
      if (!start || !end || *end <= *start) {
        throw std::invalid_argument("restart_windows has a span that does not end after it starts");
      }
      entry.restart_windows.push_back({*start, *end});
    }
    // Journals written before endpoint restart policies keep the defaults.
    if (auto policy = json.find("restart_policy"); policy != json.end()) {
      entry.restart_deadline_seconds = policy->at("deadline_seconds").get<std::int64_t>();
      entry.restart_countdown_seconds = policy->at("countdown_seconds").get<std::int64_t>();
      entry.restart_reminder_seconds = policy->at("reminder_seconds").get<std::int64_t>();
    }
    for (const Json& event : json.at("unsent")) {
      entry.unsent.push_back({.event_id = event.at("event_id").get<std::string>(),
                              .state = event.at("state").get<std::string>(),
                              .body = event.at("body").get<std::string>()});
    }
    return entry;
  } catch (const std::exception& error) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("invalid job journal entry: {}", error.what()));
  }
}

Result<JobJournal> JobJournal::open(const fs::path& state_folder) {
  const fs::path folder = state_folder / "jobs";
  if (auto created = ensureFolder(folder); !created) return tl::unexpected(created.error());
  return JobJournal(folder, state_folder / "corrupt");
}

fs::path JobJournal::pathOf(std::string_view job_id) const {
  return folder_ / (std::string(job_id) + ".json");
}

Result<std::vector<JobEntry>> JobJournal::entries() {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(folder_, error)) {
    if (item.path().extension() == ".json" && protocol::isJobId(item.path().stem().string())) {
      files.push_back(item.path());
    }
  }
  if (error) {
    return fail(ErrorCode::kIoError, fmt::format("cannot list the job journal {}: {}",
                                                 folder_.string(), error.message()));
  }
  std::sort(files.begin(), files.end());

  std::vector<JobEntry> result;
  for (const fs::path& file : files) {
    auto entry = find(file.stem().string());
    if (!entry) return tl::unexpected(entry.error());
    if (*entry) result.push_back(std::move(**entry));
  }
  return result;
}

Result<std::optional<JobEntry>> JobJournal::find(std::string_view job_id) {
  if (!protocol::isJobId(job_id)) return std::optional<JobEntry>{};
  const fs::path path = pathOf(job_id);
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    if (errno == ENOENT) return std::optional<JobEntry>{};
    return fail(ErrorCode::kIoError, fmt::format("cannot read job journal entry {}: {}",
                                                 path.string(), std::strerror(errno)));
  }
  std::stringstream text;
  text << file.rdbuf();
  auto entry = decodeJobEntry(text.str());
  if (!entry || entry->job_id != job_id) {
    // A broken entry must not stop the agent: the job's state is on the
    // server, which lists the job again if it is not finished.
    const std::string why = entry ? "its job id differs from its file name" : entry.error().message;
    if (auto made = ensureFolder(corrupt_folder_); made) {
      std::error_code rename_error;
      fs::rename(path, corrupt_folder_ / path.filename(), rename_error);
    }
    logger().error("moved job journal entry {} to {}: {}", path.string(), corrupt_folder_.string(),
                   why);
    return std::optional<JobEntry>{};
  }
  return std::optional<JobEntry>{std::move(*entry)};
}

Result<void> JobJournal::save(const JobEntry& entry) {
  if (!protocol::isJobId(entry.job_id)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot journal job '{}': not a job id", entry.job_id));
  }
  return writeFileAtomically(pathOf(entry.job_id), encodeJobEntry(entry));
}

Result<void> JobJournal::remove(std::string_view job_id) {
  std::error_code error;
  fs::remove(pathOf(job_id), error);
  if (error) {
    return fail(ErrorCode::kIoError, fmt::format("cannot remove job journal entry {}: {}",
                                                 pathOf(job_id).string(), error.message()));
  }
  return {};
}

}  // namespace pk::agent
