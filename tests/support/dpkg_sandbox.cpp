#include "tests/support/dpkg_sandbox.h"

#include <fmt/format.h>

namespace pk::test_support {

std::string formatDpkgStatus(const std::vector<DpkgStanza>& stanzas) {
  std::string text;
  for (const DpkgStanza& stanza : stanzas) {
    if (!text.empty()) text += '\n';
    if (!stanza.package.empty()) text += fmt::format("Package: {}\n", stanza.package);
    if (!stanza.status.empty()) text += fmt::format("Status: {}\n", stanza.status);
    text += "Priority: optional\n";
    if (!stanza.architecture.empty())
      text += fmt::format("Architecture: {}\n", stanza.architecture);
    if (!stanza.source.empty()) text += fmt::format("Source: {}\n", stanza.source);
    if (!stanza.version.empty()) text += fmt::format("Version: {}\n", stanza.version);
    text += stanza.extra_lines;
    text += "Description: package written by a test\n";
    text += " It exists only in a sandbox root.\n";
  }
  return text;
}

Result<void> writeDpkgStatus(const std::filesystem::path& root,
                             const std::vector<DpkgStanza>& stanzas) {
  return writeFile(root, "var/lib/dpkg/status", formatDpkgStatus(stanzas));
}

Result<void> writeOsRelease(const std::filesystem::path& root, std::string_view text) {
  return writeFile(root, "etc/os-release", text);
}

Result<void> writeDebianRoot(const std::filesystem::path& root, std::string_view version_id,
                             const std::vector<DpkgStanza>& stanzas) {
  const std::string os_release = fmt::format(
      "PRETTY_NAME=\"Debian GNU/Linux {0}\"\nNAME=\"Debian "
      "GNU/Linux\"\nVERSION_ID=\"{0}\"\nID=debian\n",
      version_id);
  if (auto written = writeOsRelease(root, os_release); !written) return written;
  return writeDpkgStatus(root, stanzas);
}

}  // namespace pk::test_support
