#include "server/patch_catalog.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "advisory/ecosystem.h"

namespace pk::server {
namespace {

constexpr std::size_t kIdHexDigits = 16;

// The pseudo-advisory prefix the evaluator gives security updates from the
// host's own repositories (evaluation.h).
constexpr std::string_view kHostUpdatePrefix = "security-update:";

bool isLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

}  // namespace

std::string patchIdOf(std::string_view kind, std::string_view ecosystem, std::string_view name,
                      std::string_view version) {
  const std::string text = fmt::format("{}|{}|{}|{}", kind, ecosystem, name, version);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // EVP_Digest fails only when it cannot allocate; the id is then derived
  // from zeros, which a later evaluation corrects.
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr);
  std::string id = "p-";
  for (std::size_t i = 0; i < kIdHexDigits / 2; ++i) id += fmt::format("{:02x}", digest[i]);
  return id;
}

bool isPatchId(std::string_view text) {
  if (text.size() != 2 + kIdHexDigits || text.substr(0, 2) != "p-") return false;
  return std::all_of(text.begin() + 2, text.end(), isLowerHex);
}

std::optional<PatchIdentity> patchOf(const store::StoredFinding& finding) {
  PatchIdentity patch;
  if (finding.ecosystem == advisory::kWindowsEcosystem || !finding.fix_kb.empty()) {
    if (finding.fix_kb.empty()) return std::nullopt;
    patch.kind = kPatchKindKb;
    patch.ecosystem = advisory::kWindowsEcosystem;
    patch.name = finding.fix_kb;
  } else {
    const auto scheme = advisory::schemeForEcosystem(finding.ecosystem);
    if (!scheme) return std::nullopt;
    switch (*scheme) {
      case version::Scheme::kDpkg:
      case version::Scheme::kApk:
        if (finding.fixed_version.empty() || finding.source_package.empty()) return std::nullopt;
        patch.kind = kPatchKindSourcePackage;
        patch.name = finding.source_package;
        patch.version = finding.fixed_version;
        break;
      case version::Scheme::kRpm:
        if (finding.fixed_version.empty()) return std::nullopt;
        patch.kind = kPatchKindAdvisory;
        patch.name = finding.advisory_id;
        // A host-repository update is no advisory: its candidate version
        // tells one update of the package from the next.
        if (finding.advisory_id.rfind(kHostUpdatePrefix, 0) == 0) {
          patch.version = finding.fixed_version;
        }
        break;
      case version::Scheme::kSemver:
      case version::Scheme::kWindows:
        return std::nullopt;
    }
    patch.ecosystem = finding.ecosystem;
  }
  patch.id = patchIdOf(patch.kind, patch.ecosystem, patch.name, patch.version);
  return patch;
}

int severityRank(advisory::Severity severity) {
  return static_cast<int>(severity);
}

bool ruleMatches(const ApprovalRule& rule, const PatchFacts& facts) {
  if (!rule.enabled) return false;
  if (!rule.ecosystem.empty() && rule.ecosystem != facts.ecosystem) return false;
  if (severityRank(facts.highest_severity) < severityRank(rule.minimum_severity)) return false;
  if (rule.known_exploited_only && !facts.known_exploited) return false;
  if (!facts.from_advisory && !rule.include_host_repository) return false;
  return facts.from_advisory || facts.from_host_repository;
}

}  // namespace pk::server
