// Checks parseWindowsInventory on arbitrary text. A rejected document adds
// no issues. An accepted one holds only what the reader promises:
// digit-only KB numbers, upper-case CVE ids, named programs and a Windows
// build. toJsonText writes it as text that reads back equal and without
// issues, and writing that again gives the same bytes. A violated property
// traps, so libFuzzer records the input.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/windows_inventory.h"
#include "version/windows.h"

namespace {

constexpr std::string_view kOrigin = "fuzz.json";

void require(bool property) {
  if (!property) __builtin_trap();
}

bool isKb(std::string_view digits) {
  return !digits.empty() && digits.size() <= 10 &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isUpperCaseCve(std::string_view id) {
  return id.size() >= 13 && id.substr(0, 4) == "CVE-" && id[8] == '-' &&
         std::none_of(id.begin(), id.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

void checkContents(const pk::inventory::WindowsInventory& inventory) {
  const auto& facts = inventory.facts;
  require(!inventory.hostname.empty());
  require(!facts.edition.empty());
  require(pk::version::windows::parse(facts.build).has_value());
  require(facts.installation_type == "Client" || facts.installation_type == "Server" ||
          facts.installation_type == "Server Core");

  for (const auto& kb : facts.installed_kbs) require(isKb(kb));
  require(std::adjacent_find(facts.installed_kbs.begin(), facts.installed_kbs.end()) ==
          facts.installed_kbs.end());
  for (const auto& update : facts.pending_updates) {
    require(isKb(update.kb));
    for (const auto& kb : update.supersedes) require(isKb(kb));
    for (const auto& cve : update.cve_ids) require(isUpperCaseCve(cve));
  }
  for (const auto& program : inventory.programs) require(!program.name.empty());
  if (!inventory.restart.required) require(inventory.restart.reason.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<pk::inventory::WindowsInventoryIssue> issues;
  auto inventory = pk::inventory::parseWindowsInventory(text, kOrigin, issues);
  if (!inventory) {
    require(issues.empty());
    require(inventory.error().code == pk::ErrorCode::kMalformedInput);
    require(inventory.error().message.rfind(kOrigin, 0) == 0);
    return 0;
  }

  checkContents(*inventory);
  for (const auto& issue : issues) {
    require(issue.file == kOrigin);
    require(!issue.element.empty() && issue.element[0] == '/');
    require(!issue.message.empty());
  }
  (void)pk::inventory::windowsProduct(inventory->facts);
  const auto host = pk::inventory::toHostInventory(*inventory);
  require(host.packages.size() == inventory->programs.size());

  const std::string written = pk::inventory::toJsonText(*inventory);
  std::vector<pk::inventory::WindowsInventoryIssue> reread_issues;
  auto reread = pk::inventory::parseWindowsInventory(written, kOrigin, reread_issues);
  require(reread.has_value());
  require(reread_issues.empty());
  require(*reread == *inventory);
  require(pk::inventory::toJsonText(*reread) == written);
  return 0;
}
