#include "winagent/inventory_collector.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "version/windows.h"

namespace pk::winagent {
namespace {

// Windows 11 still writes "Windows 10" into ProductName.
constexpr std::uint32_t kFirstWindows11Build = 22000;

std::string architectureName(std::string_view processor) {
  if (processor == "AMD64") return "x64";
  if (processor == "ARM64") return "ARM64";
  if (processor == "x86") return "x86";
  return std::string(processor);
}

// Returns the KB digits in a component servicing package name such as
// "Package_for_KB5058411~31bf3856ad364e35~amd64~~26100.4061.1.7".
std::string kbOfPackageName(std::string_view name) {
  const std::size_t tilde = name.find('~');
  std::string_view identity = name.substr(0, tilde);
  const std::size_t at = identity.rfind("_KB");
  if (at == std::string_view::npos) return {};
  return kbDigits(identity.substr(at + 1));
}

}  // namespace

Result<inventory::WindowsFacts> readOsFacts(Registry& registry) {
  inventory::WindowsFacts facts;
  auto product = registry.readString(kCurrentVersionKey, "ProductName");
  auto edition_id = registry.readString(kCurrentVersionKey, "EditionID");
  auto build_number = registry.readString(kCurrentVersionKey, "CurrentBuildNumber");
  auto installation_type = registry.readString(kCurrentVersionKey, "InstallationType");
  if (!build_number || build_number->empty()) {
    return fail(ErrorCode::kNotFound,
                fmt::format("The registry value CurrentBuildNumber under HKLM\\{} is missing.",
                            kCurrentVersionKey));
  }
  if (!installation_type || installation_type->empty()) {
    return fail(ErrorCode::kNotFound,
                fmt::format("The registry value InstallationType under HKLM\\{} is missing.",
                            kCurrentVersionKey));
  }
  facts.installation_type = *installation_type;

  // Windows 10 and later write the major and minor version as numbers;
  // older releases only have CurrentVersion, such as "6.3".
  std::string major_minor;
  auto major = registry.readDword(kCurrentVersionKey, "CurrentMajorVersionNumber");
  auto minor = registry.readDword(kCurrentVersionKey, "CurrentMinorVersionNumber");
  if (major && minor) {
    major_minor = fmt::format("{}.{}", *major, *minor);
  } else {
    major_minor = registry.readString(kCurrentVersionKey, "CurrentVersion").value_or("");
  }
  facts.build = fmt::format("{}.{}", major_minor, *build_number);
  if (auto ubr = registry.readDword(kCurrentVersionKey, "UBR")) {
    facts.build += fmt::format(".{}", *ubr);
  }

  if (product && !product->empty()) {
    facts.edition = *product;
  } else if (edition_id && !edition_id->empty()) {
    facts.edition = *edition_id;
  } else {
    return fail(ErrorCode::kNotFound,
                fmt::format("The registry values ProductName and EditionID under HKLM\\{} are "
                            "both missing.",
                            kCurrentVersionKey));
  }
  auto build = version::windows::parse(facts.build);
  if (build && build->build >= kFirstWindows11Build && facts.edition.starts_with("Windows 10")) {
    facts.edition.replace(0, 10, "Windows 11");
  }

  auto display_version = registry.readString(kCurrentVersionKey, "DisplayVersion");
  facts.release = display_version && !display_version->empty()
                      ? *display_version
                      : registry.readString(kCurrentVersionKey, "ReleaseId").value_or("");
  facts.architecture =
      architectureName(registry.readString(kEnvironmentKey, "PROCESSOR_ARCHITECTURE").value_or(""));
  return facts;
}

std::string readHostname(Registry& registry) {
  return registry.readString(kComputerNameKey, "ComputerName").value_or("");
}

std::vector<std::string> readCbsInstalledKbs(Registry& registry) {
  std::set<std::string> kbs;
  for (const auto& name : registry.subkeys(kCbsPackagesKey)) {
    std::string kb = kbOfPackageName(name);
    if (kb.empty()) continue;
    auto state = registry.readDword(fmt::format("{}\\{}", kCbsPackagesKey, name), "CurrentState");
    if (state == kCbsInstalledState) kbs.insert(std::move(kb));
  }
  return {kbs.begin(), kbs.end()};
}

std::vector<inventory::WindowsProgram> readPrograms(Registry& registry) {
  std::vector<inventory::WindowsProgram> programs;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (std::string_view root : {kUninstallKey, kUninstall32Key}) {
    for (const auto& subkey : registry.subkeys(root)) {
      const std::string key = fmt::format("{}\\{}", root, subkey);
      auto name = registry.readString(key, "DisplayName");
      if (!name || name->empty()) continue;
      inventory::WindowsProgram program{*name,
                                        registry.readString(key, "DisplayVersion").value_or(""),
                                        registry.readString(key, "Publisher").value_or("")};
      if (seen.emplace(program.name, program.version, program.publisher).second) {
        programs.push_back(std::move(program));
      }
    }
  }
  return programs;
}

inventory::RestartState readPendingRestart(Registry& registry) {
  std::vector<std::string> reasons;
  if (registry.keyExists(kWindowsUpdateRebootKey)) reasons.emplace_back("Windows Update");
  if (registry.keyExists(kCbsRebootKey)) reasons.emplace_back("Component Based Servicing");
  if (registry.valueExists(kSessionManagerKey, "PendingFileRenameOperations")) {
    reasons.emplace_back("Pending file rename operations");
  }
  inventory::RestartState restart;
  restart.required = !reasons.empty();
  restart.reason = fmt::format("{}", fmt::join(reasons, "; "));
  return restart;
}

UpdateLists mergeUpdates(const std::vector<WuaUpdate>& pending,
                         const std::vector<WuaUpdate>& installed) {
  // Superseded updates are named by update id; both searches give the KB
  // of each id they return.
  std::map<std::string, std::string> kb_of_id;
  for (const auto* list : {&pending, &installed}) {
    for (const auto& update : *list) {
      if (!update.kb.empty()) kb_of_id.emplace(update.update_id, update.kb);
    }
  }

  UpdateLists lists;
  for (const auto& update : pending) {
    if (update.kb.empty()) continue;
    inventory::WindowsPendingUpdate entry;
    entry.kb = update.kb;
    entry.title = update.title;
    entry.classification = update.classification;
    entry.severity = update.severity;
    entry.cve_ids = update.cve_ids;
    entry.restart_required = update.restart_required;
    for (const auto& id : update.superseded_update_ids) {
      auto found = kb_of_id.find(id);
      if (found != kb_of_id.end() && std::find(entry.supersedes.begin(), entry.supersedes.end(),
                                               found->second) == entry.supersedes.end()) {
        entry.supersedes.push_back(found->second);
      }
    }
    lists.pending.push_back(std::move(entry));
  }
  for (const auto& update : installed) {
    if (!update.kb.empty()) lists.installed_kbs.push_back(update.kb);
  }
  return lists;
}

Result<CollectedInventory> collectInventory(Registry& registry, IUpdateSession* session,
                                            SystemTime now) {
  auto facts = readOsFacts(registry);
  if (!facts) return tl::unexpected(facts.error());

  inventory::WindowsInventory document;
  document.hostname = readHostname(registry);
  if (document.hostname.empty()) {
    return fail(ErrorCode::kNotFound,
                fmt::format("The registry value ComputerName under HKLM\\{} is missing.",
                            kComputerNameKey));
  }
  document.collected_at = now;
  document.facts = std::move(*facts);
  document.facts.installed_kbs = readCbsInstalledKbs(registry);
  document.programs = readPrograms(registry);
  document.restart = readPendingRestart(registry);

  if (session != nullptr) {
    auto pending = searchUpdates(*session, kPendingCriteria);
    if (!pending) return tl::unexpected(pending.error());
    auto installed = searchUpdates(*session, kInstalledCriteria);
    if (!installed) return tl::unexpected(installed.error());
    UpdateLists lists = mergeUpdates(*pending, *installed);
    document.facts.pending_updates = std::move(lists.pending);
    document.facts.installed_kbs.insert(document.facts.installed_kbs.end(),
                                        lists.installed_kbs.begin(), lists.installed_kbs.end());
  }

  // The server's reader sorts and de-duplicates the KBs and checks every
  // field; a document it rejects is an agent defect, reported as such.
  CollectedInventory collected;
  const std::string text = inventory::toJsonText(document);
  auto parsed = inventory::parseWindowsInventory(text, "collected inventory", collected.issues);
  if (!parsed) {
    return fail(ErrorCode::kInternal,
                fmt::format("The collected inventory is not a valid Windows inventory document: {}",
                            parsed.error().message));
  }
  collected.inventory = std::move(*parsed);
  return collected;
}

}  // namespace pk::winagent
