#include "advisory/csaf.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "advisory/ecosystem.h"
#include "version/version.h"

namespace pk::advisory {
namespace {

using Json = nlohmann::json;

// Branches nest vendor > product family > product or architecture > version,
// so real trees are four or five levels deep. The limit keeps a hostile
// document from exhausting the stack.
constexpr int kMaxBranchDepth = 32;

// Architectures that may end an N-[E:]V-R.A product name.
constexpr std::array<std::string_view, 14> kRpmArches{
    "src",  "noarch", "x86_64", "aarch64", "ppc64le", "s390x", "i686",
    "i386", "ppc64",  "s390",   "armv7hl", "riscv64", "ia64",  "nosrc"};

const Json* member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string stringMember(const Json& object, const char* key) {
  const Json* value = member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

const Json& arrayMember(const Json& object, const char* key) {
  static const Json kEmpty = Json::array();
  const Json* value = member(object, key);
  return value != nullptr && value->is_array() ? *value : kEmpty;
}

bool isDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string toLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// --- The product tree ---------------------------------------------------

// A product or product_version of the tree.
struct ProductNode {
  std::string name;
  std::string purl;
  std::string cpe;
  std::string arch;  // from the enclosing "architecture" branch, if any
};

// A relationship's two ends: a package (product_version) and the product
// (such as a distribution release) it is a component of.
struct Relationship {
  std::string package_id;
  std::string product_id;
};

struct ProductTree {
  std::map<std::string, ProductNode> products;
  std::map<std::string, Relationship> relationships;
};

ProductNode nodeFromProduct(const Json& product, std::string arch) {
  ProductNode node;
  node.name = stringMember(product, "name");
  node.arch = std::move(arch);
  if (const Json* helper = member(product, "product_identification_helper")) {
    node.purl = stringMember(*helper, "purl");
    node.cpe = stringMember(*helper, "cpe");
  }
  return node;
}

void collectBranches(const Json& branches, const std::string& arch, int depth, ProductTree& tree) {
  if (depth > kMaxBranchDepth || !branches.is_array()) return;
  for (const Json& branch : branches) {
    std::string branch_arch = arch;
    if (stringMember(branch, "category") == "architecture") {
      branch_arch = stringMember(branch, "name");
    }
    if (const Json* product = member(branch, "product")) {
      std::string id = stringMember(*product, "product_id");
      if (!id.empty()) tree.products.emplace(std::move(id), nodeFromProduct(*product, branch_arch));
    }
    if (const Json* children = member(branch, "branches")) {
      collectBranches(*children, branch_arch, depth + 1, tree);
    }
  }
}

ProductTree readProductTree(const Json& root) {
  ProductTree tree;
  const Json* product_tree = member(root, "product_tree");
  if (product_tree == nullptr) return tree;

  if (const Json* branches = member(*product_tree, "branches")) {
    collectBranches(*branches, "", 0, tree);
  }
  for (const Json& product : arrayMember(*product_tree, "full_product_names")) {
    std::string id = stringMember(product, "product_id");
    if (!id.empty()) tree.products.emplace(std::move(id), nodeFromProduct(product, ""));
  }
  for (const Json& relationship : arrayMember(*product_tree, "relationships")) {
    const std::string category = stringMember(relationship, "category");
    if (category != "default_component_of" && category != "optional_component_of") continue;
    const Json* full_name = member(relationship, "full_product_name");
    if (full_name == nullptr) continue;
    std::string id = stringMember(*full_name, "product_id");
    if (id.empty()) continue;
    tree.relationships.emplace(
        std::move(id), Relationship{stringMember(relationship, "product_reference"),
                                    stringMember(relationship, "relates_to_product_reference")});
  }
  return tree;
}

// --- Packages -------------------------------------------------------------

struct RpmPackage {
  std::string name;
  std::string epoch;
  std::string version_release;
  std::string arch;
};

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes purl percent escapes ("libstdc%2B%2B"); a '%' without two hex
// digits after it stays as it is.
std::string percentDecode(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hexValue(text[i + 1]);
      const int low = hexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    decoded += text[i];
  }
  return decoded;
}

// Reads pkg:rpm/<namespace>/<name>@<version>-<release>?arch=<a>&epoch=<e>.
// Returns nullopt when the purl lacks a name or a version.
std::optional<RpmPackage> packageFromPurl(std::string_view purl) {
  purl = purl.substr(0, purl.find('#'));
  const std::size_t question = purl.find('?');
  std::string_view path = purl.substr(0, question);
  std::string_view qualifiers =
      question == std::string_view::npos ? std::string_view() : purl.substr(question + 1);

  path.remove_prefix(std::string_view("pkg:rpm/").size());
  const std::size_t at = path.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view name_path = path.substr(0, at);
  name_path = name_path.substr(name_path.rfind('/') + 1);

  RpmPackage package;
  package.name = percentDecode(name_path);
  package.version_release = percentDecode(path.substr(at + 1));
  for (std::string_view pair : split(qualifiers, '&')) {
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = pair.substr(0, equals);
    if (key == "arch") package.arch = percentDecode(pair.substr(equals + 1));
    if (key == "epoch") package.epoch = percentDecode(pair.substr(equals + 1));
  }
  if (package.name.empty() || package.version_release.empty()) return std::nullopt;
  return package;
}

bool isKnownArch(std::string_view arch) {
  return std::find(kRpmArches.begin(), kRpmArches.end(), arch) != kRpmArches.end();
}

// Reads an N-[E:]V-R.A product name such as "openssl-1:3.0.7-27.el9.x86_64".
// `branch_arch` is the architecture branch the product sits in, if any.
std::optional<RpmPackage> packageFromNevra(std::string_view nevra, std::string_view branch_arch) {
  RpmPackage package;
  const std::size_t dot = nevra.rfind('.');
  if (dot != std::string_view::npos && isKnownArch(nevra.substr(dot + 1))) {
    package.arch = std::string(nevra.substr(dot + 1));
    nevra = nevra.substr(0, dot);
  } else {
    package.arch = std::string(branch_arch);
  }

  const std::size_t release_dash = nevra.rfind('-');
  if (release_dash == std::string_view::npos) return std::nullopt;
  const std::size_t version_dash = nevra.substr(0, release_dash).rfind('-');
  if (version_dash == std::string_view::npos) return std::nullopt;

  package.name = std::string(nevra.substr(0, version_dash));
  std::string_view version_release = nevra.substr(version_dash + 1);
  if (const std::size_t colon = version_release.find(':'); colon != std::string_view::npos) {
    package.epoch = std::string(version_release.substr(0, colon));
    version_release.remove_prefix(colon + 1);
  }
  package.version_release = std::string(version_release);
  if (package.name.empty() || package.arch.empty() || package.version_release.empty() ||
      package.version_release.front() == '-' || package.version_release.back() == '-') {
    return std::nullopt;
  }
  return package;
}

enum class PackageRead { kRpm, kNotRpm, kUnreadable };

// Reads the rpm a product_version names: the purl first, then the name.
PackageRead readPackage(const ProductNode& node, RpmPackage& package) {
  std::optional<RpmPackage> from_purl;
  if (!node.purl.empty()) {
    // Modules (pkg:rpmmod) and container images (pkg:oci) have no rpm EVR.
    if (node.purl.rfind("pkg:rpm/", 0) != 0) return PackageRead::kNotRpm;
    from_purl = packageFromPurl(node.purl);
  }
  std::optional<RpmPackage> from_name = packageFromNevra(node.name, node.arch);
  if (!from_purl && !from_name) return PackageRead::kUnreadable;

  package = from_purl ? *from_purl : *from_name;
  if (package.arch.empty()) package.arch = from_name ? from_name->arch : node.arch;
  if (package.epoch.empty() && from_name) package.epoch = from_name->epoch;
  return package.arch.empty() ? PackageRead::kUnreadable : PackageRead::kRpm;
}

std::string evrOf(const RpmPackage& package) {
  // rpm reads an absent epoch as 0, so "0:" adds nothing for a matcher.
  if (package.epoch.empty() || package.epoch == "0") return package.version_release;
  return package.epoch + ":" + package.version_release;
}

// --- Products to ecosystems -----------------------------------------------

// The major release in "9.5", "10" or "8.10".
std::string majorOf(std::string_view version) {
  std::string_view major = version.substr(0, version.find('.'));
  return isDigits(major) ? std::string(major) : std::string();
}

// The major release in a distribution tag of an rpm release: "27.el9_5" and
// "1.module+el9.8.0+40158+490b3c67" give "9".
std::string majorFromRelease(std::string_view release) {
  for (std::size_t pos = release.find("el"); pos != std::string_view::npos;
       pos = release.find("el", pos + 1)) {
    if (pos == 0 || (release[pos - 1] != '.' && release[pos - 1] != '+')) continue;
    std::size_t end = pos + 2;
    while (end < release.size() && release[end] >= '0' && release[end] <= '9') ++end;
    if (end > pos + 2) return std::string(release.substr(pos + 2, end - pos - 2));
  }
  return {};
}

std::string distributionEcosystem(std::string_view family, std::string_view version,
                                  const RpmPackage& package) {
  std::string major = majorOf(version);
  if (major.empty()) major = majorFromRelease(package.version_release);
  if (major.empty()) return {};
  return fmt::format("{}:{}", family, major);
}

std::string ecosystemFromCpe(std::string_view cpe, const RpmPackage& package) {
  // CPE 2.3 "cpe:2.3:o:vendor:product:version:..." and 2.2 "cpe:/o:vendor:product:version:...".
  std::vector<std::string_view> fields;
  if (cpe.rfind("cpe:2.3:", 0) == 0) {
    fields = split(cpe.substr(8), ':');
  } else if (cpe.rfind("cpe:/", 0) == 0) {
    fields = split(cpe.substr(5), ':');
  } else {
    return {};
  }
  if (fields.size() < 3) return {};
  const std::string_view vendor = fields[1];
  const std::string_view product = fields[2];
  const std::string_view version = fields.size() > 3 ? fields[3] : std::string_view();

  if (vendor == "redhat") {
    // OSV's Red Hat ecosystems are the CPE from the product on; the trailing
    // "*" fields of CPE 2.3 carry nothing.
    while (fields.size() > 3 && (fields.back() == "*" || fields.back() == "-")) fields.pop_back();
    std::string suffix(product);
    for (std::size_t i = 3; i < fields.size(); ++i) suffix += fmt::format(":{}", fields[i]);
    return "Red Hat:" + suffix;
  }
  // CIQ's "Rocky Linux from CIQ" ships Rocky Linux's packages; its LTS and
  // FIPS products (rocky_linux_from_ciq_lts, ...) carry their own builds and
  // are not Rocky Linux for matching.
  const bool rocky = ((vendor == "rocky" || vendor == "rockylinux" || vendor == "resf") &&
                      product.find("rocky") != std::string_view::npos) ||
                     (vendor == "ciq" && product == "rocky_linux_from_ciq");
  if (rocky) return distributionEcosystem("Rocky Linux", version, package);
  if (vendor == "almalinux" && product == "almalinux") {
    return distributionEcosystem("AlmaLinux", version, package);
  }
  return {};
}

std::string ecosystemFromName(std::string_view name, const RpmPackage& package) {
  const std::string lower = toLower(name);
  // The first word that starts with a digit is the release: "Rocky Linux
  // 10.2 from CIQ", "Rocky Linux from CIQ 9.5".
  std::string_view version;
  for (std::string_view word : split(name, ' ')) {
    if (!word.empty() && word.front() >= '0' && word.front() <= '9') {
      version = word;
      break;
    }
  }
  if (lower.rfind("rocky linux", 0) == 0 && lower.find("lts") == std::string::npos &&
      lower.find("fips") == std::string::npos) {
    return distributionEcosystem("Rocky Linux", version, package);
  }
  if (lower.rfind("almalinux", 0) == 0) return distributionEcosystem("AlmaLinux", version, package);
  if (lower.rfind("red hat", 0) == 0) return fmt::format("Red Hat:{}", name);
  return {};
}

std::string ecosystemFor(const ProductNode& product, const RpmPackage& package) {
  if (!product.cpe.empty()) {
    std::string ecosystem = ecosystemFromCpe(product.cpe, package);
    if (!ecosystem.empty()) return ecosystem;
  }
  return ecosystemFromName(product.name, package);
}

// --- The document ---------------------------------------------------------

struct DocumentContext {
  std::string_view origin;
  const std::string& id;
  LoadReport& report;

  void issue(std::string field, std::string message) const {
    report.addIssue(LoadIssue{std::string(origin), id, std::move(field), std::move(message)});
  }
};

// Collects affected entries, keeping each (ecosystem, name, kind, fixed) once.
class AffectedCollector {
 public:
  void add(std::string ecosystem, const RpmPackage& package, std::string fixed) {
    const PackageNameKind kind = package.arch == "src" || package.arch == "nosrc"
                                     ? PackageNameKind::kSource
                                     : PackageNameKind::kBinary;
    auto key = std::make_tuple(ecosystem, package.name, kind, fixed);
    if (!seen_.insert(std::move(key)).second) return;

    AffectedPackage affected;
    affected.ecosystem = std::move(ecosystem);
    affected.name = package.name;
    affected.name_kind = kind;
    affected.ranges.push_back({RangeEvent{RangeEvent::Type::kIntroduced, "0"},
                               RangeEvent{RangeEvent::Type::kFixed, std::move(fixed)}});
    affected_.push_back(std::move(affected));
  }

  std::vector<AffectedPackage> take() { return std::move(affected_); }

 private:
  std::set<std::tuple<std::string, std::string, PackageNameKind, std::string>> seen_;
  std::vector<AffectedPackage> affected_;
};

// Resolves one fixed product id into an affected entry, or reports why not.
void addFixedProduct(const std::string& product_id, const std::string& field,
                     const ProductTree& tree, const DocumentContext& context,
                     AffectedCollector& collector) {
  auto relationship = tree.relationships.find(product_id);
  if (relationship == tree.relationships.end()) {
    if (tree.products.count(product_id) != 0) {
      context.issue(field, fmt::format("fixed product \"{}\" is not joined to a product by a "
                                       "relationship, so its distribution is unknown",
                                       product_id));
    } else {
      context.issue(field, fmt::format("fixed product \"{}\" is not defined in the product tree",
                                       product_id));
    }
    return;
  }

  auto package_node = tree.products.find(relationship->second.package_id);
  auto product_node = tree.products.find(relationship->second.product_id);
  if (package_node == tree.products.end() || product_node == tree.products.end()) {
    context.issue(field, fmt::format("relationship \"{}\" refers to \"{}\" and \"{}\", which the "
                                     "product tree does not define",
                                     product_id, relationship->second.package_id,
                                     relationship->second.product_id));
    return;
  }

  RpmPackage package;
  switch (readPackage(package_node->second, package)) {
    case PackageRead::kNotRpm:
      return;
    case PackageRead::kUnreadable:
      context.issue(field, fmt::format("cannot read an rpm name, version and arch from \"{}\"",
                                       package_node->first));
      return;
    case PackageRead::kRpm:
      break;
  }

  std::string ecosystem = ecosystemFor(product_node->second, package);
  const auto scheme = ecosystem.empty() ? std::nullopt : schemeForEcosystem(ecosystem);
  if (!scheme) {
    context.issue(field, fmt::format("product \"{}\" is not a distribution patchkeeper "
                                     "matches (Rocky Linux, AlmaLinux, Red Hat)",
                                     product_node->second.name));
    return;
  }

  std::string fixed = evrOf(package);
  if (auto valid = version::validate(*scheme, fixed); !valid) {
    context.issue(field, fmt::format("fixed version of {} is invalid: {}", package.name,
                                     valid.error().message));
    return;
  }
  collector.add(std::move(ecosystem), package, std::move(fixed));
}

void readSeverity(const Json& document, const Json& vulnerabilities, Advisory& advisory) {
  if (const Json* aggregate = member(document, "aggregate_severity")) {
    advisory.severity = parseSeverityWord(stringMember(*aggregate, "text"));
  }

  Severity threat_severity = Severity::kUnknown;
  Severity cvss_severity = Severity::kUnknown;
  for (const Json& vulnerability : vulnerabilities) {
    for (const Json& threat : arrayMember(vulnerability, "threats")) {
      if (stringMember(threat, "category") != "impact") continue;
      threat_severity =
          std::max(threat_severity, parseSeverityWord(stringMember(threat, "details")));
    }
    for (const Json& score : arrayMember(vulnerability, "scores")) {
      const Json* cvss = member(score, "cvss_v3");
      const Json* base_score = cvss == nullptr ? nullptr : member(*cvss, "baseScore");
      if (base_score == nullptr || !base_score->is_number()) continue;
      const double value = base_score->get<double>();
      if (advisory.cvss_score && *advisory.cvss_score >= value) continue;
      advisory.cvss_score = value;
      advisory.cvss_vector = stringMember(*cvss, "vectorString");
      cvss_severity = parseSeverityWord(stringMember(*cvss, "baseSeverity"));
    }
  }
  if (advisory.severity == Severity::kUnknown) advisory.severity = threat_severity;
  if (advisory.severity == Severity::kUnknown) advisory.severity = cvss_severity;
}

}  // namespace

Result<void> parseCsafDocument(std::string_view json, std::string_view origin,
                               const AdvisorySink& sink, LoadReport& report) {
  const Json root = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: not a JSON object; expected a CSAF 2.0 document", origin));
  }
  const Json* document = member(root, "document");
  if (document == nullptr || !document->is_object()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: no \"document\" object; expected a CSAF 2.0 document", origin));
  }
  const Json* tracking = member(*document, "tracking");
  Advisory advisory;
  advisory.id = tracking == nullptr ? std::string() : stringMember(*tracking, "id");
  if (advisory.id.empty()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: no document.tracking.id; a CSAF advisory needs its id", origin));
  }

  advisory.source = std::string(kCsafSource);
  advisory.summary = stringMember(*document, "title");
  advisory.published = stringMember(*tracking, "initial_release_date");
  advisory.modified = stringMember(*tracking, "current_release_date");

  const Json& vulnerabilities = arrayMember(root, "vulnerabilities");
  for (const Json& vulnerability : vulnerabilities) {
    const std::string cve = stringMember(vulnerability, "cve");
    if (!cve.empty() && std::find(advisory.aliases.begin(), advisory.aliases.end(), cve) ==
                            advisory.aliases.end()) {
      advisory.aliases.push_back(cve);
    }
  }
  readSeverity(*document, vulnerabilities, advisory);

  const ProductTree tree = readProductTree(root);
  const DocumentContext context{origin, advisory.id, report};
  AffectedCollector collector;
  for (std::size_t i = 0; i < vulnerabilities.size(); ++i) {
    const Json* status = member(vulnerabilities[i], "product_status");
    const Json* fixed = status == nullptr ? nullptr : member(*status, "fixed");
    if (fixed == nullptr || !fixed->is_array()) continue;
    for (std::size_t j = 0; j < fixed->size(); ++j) {
      const std::string field = fmt::format("/vulnerabilities/{}/product_status/fixed/{}", i, j);
      const Json& product_id = (*fixed)[j];
      if (!product_id.is_string()) {
        context.issue(field, "fixed product id is not a string");
        continue;
      }
      addFixedProduct(product_id.get<std::string>(), field, tree, context, collector);
    }
  }
  advisory.affected = collector.take();

  ++report.records_loaded;
  sink(std::move(advisory));
  return {};
}

}  // namespace pk::advisory
