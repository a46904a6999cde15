#include "advisory/msrc_cvrf.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <utility>

#include <expat.h>
#include <fmt/format.h>

#include "advisory/kev.h"

namespace pk::advisory {
namespace {

// Expat takes lengths as int; larger inputs go in slices of this size.
constexpr std::size_t kSliceBytes = 1 << 20;

// Element text longer than this is cut: the fields read here are ids, KB
// numbers, builds and short words, and Notes (HTML, often large) are never
// captured.
constexpr std::size_t kMaxTextBytes = 64 * 1024;

struct ParserDeleter {
  void operator()(XML_Parser parser) const { XML_ParserFree(parser); }
};

struct Product {
  std::string name;
  std::string family;
};

struct Remediation {
  std::size_t index = 0;  // 1-based among the Vulnerability's Remediation elements
  std::string type;
  std::optional<std::string> description;
  std::string url;
  std::optional<std::string> supersedence;
  std::vector<std::string> product_ids;
  std::optional<std::string> restart_required;
  std::string sub_type;
  std::optional<std::string> fixed_build;
};

struct Threat {
  std::string type;
  std::string description;
  std::vector<std::string> product_ids;
};

struct Vulnerability {
  std::string ordinal;
  std::optional<std::string> cve;
  std::map<std::string, std::string> severity_by_product;
  std::vector<Remediation> remediations;
};

bool isDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kBlanks = " \t\r\n";
  auto first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(kBlanks);
  return text.substr(first, last - first + 1);
}

// Returns the digits of a KB number written "5060533" or "KB5060533" (any
// case), or nullopt for anything else.
std::optional<std::string> kbNumber(std::string_view text) {
  text = trim(text);
  if (text.size() > 2 && (text[0] == 'K' || text[0] == 'k') && (text[1] == 'B' || text[1] == 'b')) {
    text.remove_prefix(2);
  }
  if (!isDigits(text)) return std::nullopt;
  return std::string(text);
}

// Splits a Supercedence list at commas, semicolons and blanks. Returns
// nullopt when an item is not a KB number.
std::optional<std::vector<std::string>> kbList(std::string_view text) {
  std::vector<std::string> numbers;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of(",; \t\r\n", start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    if (!item.empty()) {
      auto kb = kbNumber(item);
      if (!kb) return std::nullopt;
      numbers.push_back(std::move(*kb));
    }
    start = end + 1;
  }
  return numbers;
}

// Accepts "CVE-2025-33073" (any case, returned in upper case) and MSRC's
// advisory ids such as "ADV250001".
std::optional<std::string> vulnerabilityId(std::string_view text) {
  text = trim(text);
  if (std::string cve = normalizeCveId(text); !cve.empty()) return cve;
  if (text.size() > 3 && text.substr(0, 3) == "ADV" && isDigits(text.substr(3))) {
    return std::string(text);
  }
  return std::nullopt;
}

std::optional<RestartRequired> parseRestart(std::string_view text) {
  text = trim(text);
  if (text.empty()) return RestartRequired::kUnknown;
  if (text == "Yes") return RestartRequired::kYes;
  if (text == "No") return RestartRequired::kNo;
  if (text == "Maybe") return RestartRequired::kMaybe;
  return std::nullopt;
}

class CvrfParser {
 public:
  CvrfParser(std::string_view origin, LoadReport& report) : origin_(origin), report_(report) {}

  Result<CvrfDocument> parse(std::string_view xml) {
    std::unique_ptr<XML_ParserStruct, ParserDeleter> parser(XML_ParserCreateNS(nullptr, '|'));
    if (!parser) return fail(ErrorCode::kInternal, "expat could not allocate an XML parser");
    parser_ = parser.get();
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &CvrfParser::onStart, &CvrfParser::onEnd);
    XML_SetCharacterDataHandler(parser_, &CvrfParser::onText);
    XML_SetEntityDeclHandler(parser_, &CvrfParser::onEntityDeclaration);

    bool well_formed = true;
    do {
      std::size_t size = std::min(xml.size(), kSliceBytes);
      bool last = size == xml.size();
      if (XML_Parse(parser_, xml.data(), static_cast<int>(size), last ? XML_TRUE : XML_FALSE) !=
          XML_STATUS_OK) {
        well_formed = false;
        break;
      }
      xml.remove_prefix(size);
    } while (!xml.empty());

    if (fatal_) return fail(ErrorCode::kMalformedInput, *fatal_);
    if (!well_formed) {
      std::string error = fmt::format(
          "XML is not well-formed at line {}, column {}: {}", XML_GetCurrentLineNumber(parser_),
          XML_GetCurrentColumnNumber(parser_), XML_ErrorString(XML_GetErrorCode(parser_)));
      if (!saw_root_) {
        return fail(ErrorCode::kMalformedInput,
                    fmt::format("CVRF {}: {}; is it an MSRC CVRF document?", origin_, error));
      }
      report_.addIssue(LoadIssue{std::string(origin_), "", "",
                                 fmt::format("CVRF {}: {}; the fixes of the {} Vulnerability "
                                             "elements before it are kept",
                                             origin_, error, vulnerabilities_ended_)});
    }
    return std::move(document_);
  }

 private:
  static void XMLCALL onStart(void* self, const XML_Char* name, const XML_Char** attributes) {
    static_cast<CvrfParser*>(self)->start(localName(name), attributes);
  }
  static void XMLCALL onEnd(void* self, const XML_Char* name) {
    static_cast<CvrfParser*>(self)->end(localName(name));
  }
  static void XMLCALL onText(void* self, const XML_Char* text, int length) {
    auto* parser = static_cast<CvrfParser*>(self);
    if (!parser->capturing_ || length <= 0) return;
    std::size_t room = kMaxTextBytes - std::min(kMaxTextBytes, parser->text_.size());
    parser->text_.append(text, std::min(room, static_cast<std::size_t>(length)));
  }
  static void XMLCALL onEntityDeclaration(void* self, const XML_Char*, int, const XML_Char*, int,
                                          const XML_Char*, const XML_Char*, const XML_Char*,
                                          const XML_Char*) {
    auto* parser = static_cast<CvrfParser*>(self);
    parser->stop(
        fmt::format("CVRF {}: declares an XML entity; MSRC documents declare none, so "
                    "the file is rejected",
                    parser->origin_));
  }

  // With namespace processing on, expat passes "<namespace URI>|<local name>".
  // Namespace URIs differ between CVRF versions (MSRC's files use the ICASI
  // 1.1 URIs), so only the local name is matched.
  static std::string_view localName(const XML_Char* name) {
    std::string_view full(name);
    auto bar = full.rfind('|');
    return bar == std::string_view::npos ? full : full.substr(bar + 1);
  }

  static std::string_view attribute(const XML_Char** attributes, std::string_view key) {
    for (std::size_t i = 0; attributes[i] != nullptr && attributes[i + 1] != nullptr; i += 2) {
      if (localName(attributes[i]) == key) return attributes[i + 1];
    }
    return {};
  }

  void stop(std::string message) {
    if (!fatal_) fatal_ = std::move(message);
    XML_StopParser(parser_, XML_FALSE);
  }

  std::string_view parent() const {
    return path_.size() >= 2 ? std::string_view(path_[path_.size() - 2]) : std::string_view();
  }

  void start(std::string_view name, const XML_Char** attributes) {
    if (path_.empty()) {
      saw_root_ = true;
      if (name != "cvrfdoc") {
        stop(fmt::format("CVRF {}: root element is {}, not cvrfdoc; is it an MSRC CVRF document?",
                         origin_, name));
        return;
      }
    }
    path_.emplace_back(name);
    text_.clear();
    capturing_ = false;

    if (name == "Branch") {
      branches_.push_back(
          {std::string(attribute(attributes, "Type")), std::string(attribute(attributes, "Name"))});
    } else if (name == "FullProductName") {
      product_id_ = std::string(attribute(attributes, "ProductID"));
      capturing_ = true;
    } else if (name == "Vulnerability" && !vulnerability_) {
      ++vulnerabilities_seen_;
      vulnerability_ = Vulnerability{};
      vulnerability_->ordinal = std::string(attribute(attributes, "Ordinal"));
      vulnerability_depth_ = path_.size();
    } else if (vulnerability_ && !threat_ && !remediation_ && name == "Threat") {
      threat_ = Threat{};
      threat_->type = std::string(attribute(attributes, "Type"));
      threat_depth_ = path_.size();
    } else if (vulnerability_ && !threat_ && !remediation_ && name == "Remediation") {
      remediation_ = Remediation{};
      remediation_->index = ++remediations_seen_;
      remediation_->type = std::string(attribute(attributes, "Type"));
      remediation_depth_ = path_.size();
    } else {
      capturing_ = isCapturedLeaf(name);
    }
  }

  bool isCapturedLeaf(std::string_view name) const {
    if (remediation_) {
      return name == "Description" || name == "URL" || name == "Supercedence" ||
             name == "Supersedence" || name == "ProductID" || name == "RestartRequired" ||
             name == "SubType" || name == "FixedBuild";
    }
    if (threat_) return name == "Description" || name == "ProductID";
    if (vulnerability_) return name == "CVE";
    return name == "DocumentTitle" || name == "ID" || name == "InitialReleaseDate" ||
           name == "CurrentReleaseDate";
  }

  void end(std::string_view name) {
    std::string text = capturing_ ? std::string(trim(text_)) : std::string();
    capturing_ = false;
    text_.clear();
    std::string_view within = parent();

    if (name == "Branch" && !branches_.empty()) {
      branches_.pop_back();
    } else if (name == "FullProductName") {
      // MSRC lists each product twice: inside its family's Branch, and again
      // at the top of the ProductTree with a CPE. Neither copy may erase
      // what the other gave.
      Product& product = products_[product_id_];
      if (!text.empty()) product.name = std::move(text);
      if (std::string family = currentFamily(); !family.empty()) product.family = std::move(family);
    } else if (remediation_ && path_.size() == remediation_depth_) {
      vulnerability_->remediations.push_back(std::move(*remediation_));
      remediation_.reset();
    } else if (remediation_ && within == "Remediation") {
      endRemediationChild(name, std::move(text));
    } else if (threat_ && path_.size() == threat_depth_) {
      if (threat_->type == "Severity") {
        for (auto& id : threat_->product_ids) {
          vulnerability_->severity_by_product[id] = threat_->description;
        }
      }
      threat_.reset();
    } else if (threat_ && within == "Threat") {
      if (name == "Description") threat_->description = std::move(text);
      if (name == "ProductID") threat_->product_ids.push_back(std::move(text));
    } else if (vulnerability_ && name == "CVE" && path_.size() == vulnerability_depth_ + 1) {
      vulnerability_->cve = std::move(text);
    } else if (vulnerability_ && path_.size() == vulnerability_depth_) {
      finishVulnerability(*vulnerability_);
      ++vulnerabilities_ended_;
      vulnerability_.reset();
      threat_.reset();
      remediation_.reset();
      remediations_seen_ = 0;
    } else if (name == "DocumentTitle" && within == "cvrfdoc") {
      document_.title = std::move(text);
    } else if (name == "ID" && within == "Identification") {
      document_.id = std::move(text);
    } else if (name == "InitialReleaseDate" && within == "DocumentTracking") {
      document_.initial_release_date = std::move(text);
    } else if (name == "CurrentReleaseDate" && within == "DocumentTracking") {
      document_.current_release_date = std::move(text);
    }
    if (!path_.empty()) path_.pop_back();
  }

  void endRemediationChild(std::string_view name, std::string text) {
    Remediation& remediation = *remediation_;
    if (name == "Description") {
      remediation.description = std::move(text);
    } else if (name == "URL") {
      remediation.url = std::move(text);
    } else if (name == "Supercedence" || name == "Supersedence") {
      remediation.supersedence = std::move(text);
    } else if (name == "ProductID") {
      remediation.product_ids.push_back(std::move(text));
    } else if (name == "RestartRequired") {
      remediation.restart_required = std::move(text);
    } else if (name == "SubType") {
      remediation.sub_type = std::move(text);
    } else if (name == "FixedBuild") {
      remediation.fixed_build = std::move(text);
    }
  }

  std::string currentFamily() const {
    for (auto it = branches_.rbegin(); it != branches_.rend(); ++it) {
      if (it->first == "Product Family") return it->second;
    }
    return {};
  }

  // Reports a problem with `element` ("CVE", "Remediation 3") of the
  // Vulnerability `record`; `field` is the element path stored in the issue.
  void addIssue(const std::string& record, std::string_view element, std::string field,
                std::string_view problem) {
    report_.addIssue(LoadIssue{
        std::string(origin_), record, std::move(field),
        fmt::format("CVRF {}: Vulnerability {}: {}: {}", origin_, record, element, problem)});
  }

  void finishVulnerability(const Vulnerability& vulnerability) {
    std::optional<std::string> id;
    if (vulnerability.cve) id = vulnerabilityId(*vulnerability.cve);
    if (!id) {
      std::string record = vulnerability.ordinal.empty()
                               ? fmt::format("#{}", vulnerabilities_seen_)
                               : fmt::format("Ordinal {}", vulnerability.ordinal);
      std::string problem =
          vulnerability.cve ? fmt::format("CVE \"{}\" is not a CVE or ADV id", *vulnerability.cve)
                            : std::string("missing CVE");
      addIssue(record, "CVE", "CVE", problem + "; the Vulnerability is skipped");
      return;
    }
    for (const Remediation& remediation : vulnerability.remediations) {
      addFixes(*id, vulnerability, remediation);
    }
  }

  void addFixes(const std::string& cve, const Vulnerability& vulnerability,
                const Remediation& remediation) {
    if (remediation.type != "Vendor Fix" || !remediation.description) return;
    auto kb = kbNumber(*remediation.description);
    if (!kb) return;

    std::string element = fmt::format("Remediation {}", remediation.index);
    auto problem = [&](std::string_view child, std::string_view what) {
      addIssue(cve, element, fmt::format("{}/{}", element, child),
               fmt::format("{} (KB{}); the remediation is skipped", what, *kb));
    };
    if (remediation.product_ids.empty()) return problem("ProductID", "missing ProductID");
    if (!remediation.fixed_build || remediation.fixed_build->empty()) {
      return problem("FixedBuild", "missing FixedBuild");
    }
    auto restart = parseRestart(remediation.restart_required.value_or(""));
    if (!restart) {
      return problem("RestartRequired",
                     fmt::format("RestartRequired \"{}\" is not Yes, No, Maybe or empty",
                                 *remediation.restart_required));
    }
    std::vector<std::string> supersedes;
    if (remediation.supersedence) {
      auto list = kbList(*remediation.supersedence);
      if (!list) {
        return problem("Supercedence",
                       fmt::format("Supercedence \"{}\" is not a list of KB numbers",
                                   *remediation.supersedence));
      }
      supersedes = std::move(*list);
    }

    for (const std::string& product_id : remediation.product_ids) {
      auto product = products_.find(product_id);
      if (product == products_.end()) {
        addIssue(cve, element, element + "/ProductID",
                 fmt::format("ProductID \"{}\" is not in the ProductTree; KB{} is skipped for it",
                             product_id, *kb));
        continue;
      }
      WindowsFix fix;
      fix.cve = cve;
      fix.product_id = product_id;
      fix.product_name = product->second.name;
      fix.product_family = product->second.family;
      fix.kb = *kb;
      fix.url = remediation.url;
      fix.supersedes = supersedes;
      fix.fixed_build = *remediation.fixed_build;
      fix.update_type = remediation.sub_type;
      fix.restart_required = *restart;
      if (auto severity = vulnerability.severity_by_product.find(product_id);
          severity != vulnerability.severity_by_product.end()) {
        fix.severity = severity->second;
      }
      document_.fixes.push_back(std::move(fix));
      ++report_.records_loaded;
    }
  }

  std::string_view origin_;
  LoadReport& report_;
  XML_Parser parser_ = nullptr;
  std::optional<std::string> fatal_;
  bool saw_root_ = false;

  std::vector<std::string> path_;  // local names from the root to the open element
  std::string text_;
  bool capturing_ = false;

  std::vector<std::pair<std::string, std::string>> branches_;  // (Type, Name) of open Branches
  std::string product_id_;
  std::unordered_map<std::string, Product> products_;

  std::size_t vulnerabilities_seen_ = 0;   // started, for "#3" when one has no Ordinal
  std::size_t vulnerabilities_ended_ = 0;  // completed, so their fixes are in document_
  std::size_t remediations_seen_ = 0;
  std::optional<Vulnerability> vulnerability_;
  std::optional<Threat> threat_;
  std::optional<Remediation> remediation_;
  // Depth in path_ of the open Vulnerability, Threat and Remediation. An
  // element of the same name nested inside one (not in MSRC's schema) is
  // read as an ordinary child, so only the outer element's end closes it.
  std::size_t vulnerability_depth_ = 0;
  std::size_t threat_depth_ = 0;
  std::size_t remediation_depth_ = 0;

  CvrfDocument document_;
};

}  // namespace

std::string_view restartRequiredName(RestartRequired restart) {
  switch (restart) {
    case RestartRequired::kYes:
      return "yes";
    case RestartRequired::kNo:
      return "no";
    case RestartRequired::kMaybe:
      return "maybe";
    case RestartRequired::kUnknown:
      return "unknown";
  }
  return "unknown";
}

Result<CvrfDocument> parseMsrcCvrf(std::string_view xml, std::string_view origin,
                                   LoadReport& report) {
  CvrfParser parser(origin, report);
  return parser.parse(xml);
}

Result<CvrfDocument> readMsrcCvrf(const std::filesystem::path& path, LoadReport& report) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return fail(ErrorCode::kNotFound,
                fmt::format("CVRF document {} does not exist", path.string()));
  }
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream text;
  text << stream.rdbuf();
  if (!stream || stream.bad()) {
    return fail(ErrorCode::kIoError, fmt::format("cannot read CVRF document {}", path.string()));
  }
  return parseMsrcCvrf(text.str(), path.filename().string(), report);
}

}  // namespace pk::advisory
