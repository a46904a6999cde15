#include "advisory/osv.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "advisory/ecosystem.h"
#include "version/version.h"

// simdjson's On-Demand API parses only what is read. It parsed the AlmaLinux
// records about 5 times faster than nlohmann::json (docs/PERFORMANCE.md). It reads forward only, so
// each object is walked once over its fields, and a record's parts are validated after they are all
// known.

namespace pk::advisory {
namespace {

namespace od = simdjson::ondemand;

// Ends the parse of one record; caught in parseObject.
struct FieldError {
  std::string pointer;
  std::string message;
};

// Bug-fix and enhancement errata of the Red Hat family; they fix no
// vulnerability, so they must never produce findings.
constexpr std::array<std::string_view, 6> kNonSecurityErrataPrefixes{"ALBA-", "ALEA-", "RLBA-",
                                                                     "RLEA-", "RHBA-", "RHEA-"};

bool isNonSecurityErratum(std::string_view id) {
  return std::any_of(kNonSecurityErrataPrefixes.begin(), kNonSecurityErrataPrefixes.end(),
                     [id](std::string_view prefix) { return id.starts_with(prefix); });
}

std::string_view ecosystemFamily(std::string_view ecosystem) {
  return ecosystem.substr(0, ecosystem.find(':'));
}

PackageNameKind nameKindForEcosystem(std::string_view ecosystem) {
  std::string_view family = ecosystemFamily(ecosystem);
  return family == "Debian" || family == "Ubuntu" ? PackageNameKind::kSource
                                                  : PackageNameKind::kBinary;
}

// Errata summaries carry the rating as a prefix ("Important: kernel security
// update"); one AlmaLinux record puts it last instead ("... (Important)").
Severity severityFromSummary(std::string_view summary) {
  constexpr std::size_t kLongestWord = 16;
  std::size_t colon = summary.find(':');
  if (colon != std::string_view::npos && colon <= kLongestWord) {
    Severity severity = parseSeverityWord(summary.substr(0, colon));
    if (severity != Severity::kUnknown) return severity;
  }
  if (summary.ends_with(')')) {
    std::size_t open = summary.rfind('(');
    if (open != std::string_view::npos) {
      return parseSeverityWord(summary.substr(open + 1, summary.size() - open - 2));
    }
  }
  return Severity::kUnknown;
}

Severity higher(Severity a, Severity b) {
  // kUnknown sorts below kNone, so any known rating wins over it.
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

// The ratings found in one `severity` list.
struct SeverityList {
  Severity vendor = Severity::kUnknown;  // a vendor's word such as Ubuntu's priority
  std::optional<double> cvss_v3_score;
  std::string cvss_v3_vector;
  std::string cvss_v4_vector;

  Severity best() const {
    if (vendor != Severity::kUnknown) return vendor;
    if (cvss_v3_score) return severityForCvssScore(*cvss_v3_score);
    return Severity::kUnknown;
  }
};

struct PendingRange {
  std::size_t json_index = 0;  // position in `ranges`, for issue pointers
  bool semver = false;
  std::vector<RangeEvent> events;
  std::vector<std::string_view> event_keys;
};

class RecordParser {
 public:
  RecordParser(std::string_view origin, LoadReport& report) : origin_(origin), report_(report) {}

  // Parses one record object; reports and returns nullopt as parseOsvRecord
  // documents.
  // `base` is the pointer of the record inside its document: empty for a
  // document that is one record, "/3" for the fourth record of an array.
  std::optional<Advisory> parseObject(od::object& object, std::string_view base);

  // Reports a record that could not be parsed at all.
  void reportIssue(std::string pointer, std::string message) {
    report_.addIssue(
        LoadIssue{std::string(origin_), advisory_.id, std::move(pointer), std::move(message)});
  }

  std::string& pointer() { return pointer_; }

 private:
  [[noreturn]] void fail(std::string message) { throw FieldError{pointer_, std::move(message)}; }
  [[noreturn]] void fail(simdjson::error_code error, std::string_view expected) {
    if (error == simdjson::INCORRECT_TYPE) fail(fmt::format("must be {}", expected));
    fail(fmt::format("is not valid JSON: {}", simdjson::error_message(error)));
  }

  std::size_t enter(std::string_view key) {
    std::size_t previous = pointer_.size();
    pointer_ += '/';
    pointer_ += key;
    return previous;
  }
  std::size_t enter(std::size_t index) {
    std::size_t previous = pointer_.size();
    fmt::format_to(std::back_inserter(pointer_), "/{}", index);
    return previous;
  }
  void leave(std::size_t previous) { pointer_.resize(previous); }

  std::string_view getString(od::value& value) {
    std::string_view text;
    if (auto error = value.get_string().get(text)) fail(error, "a string");
    return text;
  }
  od::object getObject(od::value& value) {
    od::object object;
    if (auto error = value.get_object().get(object)) fail(error, "an object");
    return object;
  }
  od::array getArray(od::value& value) {
    od::array array;
    if (auto error = value.get_array().get(array)) fail(error, "an array");
    return array;
  }
  bool isString(od::value& value) {
    od::json_type type;
    if (auto error = value.type().get(type)) fail(error, "a JSON value");
    return type == od::json_type::string;
  }
  bool isArray(od::value& value) {
    od::json_type type;
    if (auto error = value.type().get(type)) fail(error, "a JSON value");
    return type == od::json_type::array;
  }

  // Calls `visit(value, key)` for each field of `object`, with the pointer
  // extended by the key.
  template <typename Visit>
  void forEachField(od::object object, Visit&& visit) {
    for (auto field_result : object) {
      od::field field;
      if (auto error = std::move(field_result).get(field)) fail(error, "an object");
      std::string_view key;
      if (auto error = field.unescaped_key().get(key)) fail(error, "a string key");
      std::size_t previous = enter(key);
      visit(field.value(), key);
      leave(previous);
    }
  }

  // Calls `visit(value, index)` for each element of `array`, with the
  // pointer extended by the index.
  template <typename Visit>
  void forEachElement(od::array array, Visit&& visit) {
    std::size_t index = 0;
    for (auto element_result : array) {
      od::value element;
      std::size_t previous = enter(index);
      if (auto error = element_result.get(element)) fail(error, "an array element");
      visit(element, index);
      leave(previous);
      ++index;
    }
  }

  void readIds(od::value& value) {
    forEachElement(getArray(value), [this](od::value& element, std::size_t) {
      std::string_view id = getString(element);
      if (id.empty() || id == advisory_.id) return;
      auto& aliases = advisory_.aliases;
      if (std::find(aliases.begin(), aliases.end(), id) == aliases.end()) aliases.emplace_back(id);
    });
  }

  SeverityList readSeverityList(od::value& value);
  Severity readCvesMapSeverity(od::value& value);
  Severity readSeverityWordField(od::object object);
  void readBinaries(od::value& value, std::vector<AffectedPackage::BinaryVersion>& binaries);
  void readAffected(od::value& value);
  // Both expect the pointer to name `value` already.
  std::optional<AffectedPackage> readAffectedEntry(od::value& value);
  PendingRange readRange(od::value& value, std::size_t index);
  void validateVersion(std::optional<version::Scheme> scheme, std::string_view version,
                       std::string event_pointer);

  std::string_view origin_;
  LoadReport& report_;
  Advisory advisory_;
  std::string pointer_;
};

std::optional<Advisory> RecordParser::parseObject(od::object& object, std::string_view base) {
  advisory_ = Advisory{};
  advisory_.source = std::string(kOsvSource);
  pointer_ = base;

  // The id comes first so that every issue can name it, wherever it sits.
  std::string_view id;
  auto id_error = object.find_field_unordered("id").get_string().get(id);
  if (id_error || id.empty()) {
    enter("id");
    if (id_error == simdjson::NO_SUCH_FIELD) fail("is missing");
    if (id_error) fail(id_error, "a string");
    fail("is empty");
  }
  advisory_.id = std::string(id);
  if (isNonSecurityErratum(advisory_.id)) {
    ++report_.records_withdrawn;
    return std::nullopt;
  }
  if (auto error = object.reset().error()) fail(error, "an object");

  bool withdrawn = false;
  SeverityList severity_list;
  Severity vendor_word = Severity::kUnknown;
  forEachField(object, [&](od::value& value, std::string_view key) {
    if (key == "summary") {
      advisory_.summary = std::string(getString(value));
    } else if (key == "aliases" || key == "related" || key == "upstream") {
      readIds(value);
    } else if (key == "withdrawn") {
      withdrawn = true;
    } else if (key == "published") {
      advisory_.published = std::string(getString(value));
    } else if (key == "modified") {
      advisory_.modified = std::string(getString(value));
    } else if (key == "severity") {
      severity_list = readSeverityList(value);
    } else if (key == "database_specific") {
      vendor_word = readSeverityWordField(getObject(value));
    } else if (key == "affected") {
      readAffected(value);
    }
  });
  if (withdrawn) {
    ++report_.records_withdrawn;
    return std::nullopt;
  }

  // The first rating that a source states wins; see osv.h for the order.
  advisory_.severity = vendor_word != Severity::kUnknown ? vendor_word : severity_list.best();
  if (advisory_.severity == Severity::kUnknown) {
    advisory_.severity = severityFromSummary(advisory_.summary);
  }
  if (advisory_.severity == Severity::kUnknown) {
    for (const auto& affected : advisory_.affected) {
      if (affected.severity) advisory_.severity = higher(advisory_.severity, *affected.severity);
    }
  }
  advisory_.cvss_score = severity_list.cvss_v3_score;
  advisory_.cvss_vector = !severity_list.cvss_v3_vector.empty()
                              ? std::move(severity_list.cvss_v3_vector)
                              : std::move(severity_list.cvss_v4_vector);

  ++report_.records_loaded;
  return std::move(advisory_);
}

SeverityList RecordParser::readSeverityList(od::value& value) {
  SeverityList list;
  forEachElement(getArray(value), [&](od::value& element, std::size_t) {
    std::string_view type;
    std::string_view score;
    forEachField(getObject(element), [&](od::value& field, std::string_view key) {
      if (key == "type") type = getString(field);
      if (key == "score") score = getString(field);
    });
    // The views above point into the parser's buffer, which stays valid for
    // the whole document.
    if (type == "CVSS_V3") {
      list.cvss_v3_vector = std::string(score);
      list.cvss_v3_score = cvssV3BaseScore(score);
    } else if (type == "CVSS_V4") {
      list.cvss_v4_vector = std::string(score);
    } else if (type == "Ubuntu") {
      list.vendor = parseSeverityWord(score);
    }
  });
  return list;
}

Severity RecordParser::readSeverityWordField(od::object object) {
  Severity severity = Severity::kUnknown;
  forEachField(std::move(object), [&](od::value& value, std::string_view key) {
    // Only a string counts: some databases put other shapes under the same
    // name, and a rating is not worth dropping the record for.
    if (key == "severity" && isString(value)) severity = parseSeverityWord(getString(value));
  });
  return severity;
}

// Ubuntu's USN records rate each CVE they fix for each release:
// database_specific.cves_map.cves[].severity is a `severity` list.
Severity RecordParser::readCvesMapSeverity(od::value& value) {
  Severity highest = Severity::kUnknown;
  forEachField(getObject(value), [&](od::value& cves_map, std::string_view key) {
    if (key != "cves") return;
    forEachElement(getArray(cves_map), [&](od::value& cve, std::size_t) {
      forEachField(getObject(cve), [&](od::value& field, std::string_view cve_key) {
        if (cve_key == "severity") highest = higher(highest, readSeverityList(field).best());
      });
    });
  });
  return highest;
}

// Ubuntu lists the binaries a fixed source builds, each with its own
// version: ecosystem_specific.binaries[] = {binary_name, binary_version}.
// Entries without both strings are passed over; they only add detail.
void RecordParser::readBinaries(od::value& value,
                                std::vector<AffectedPackage::BinaryVersion>& binaries) {
  forEachElement(getArray(value), [&](od::value& element, std::size_t) {
    AffectedPackage::BinaryVersion binary;
    forEachField(getObject(element), [&](od::value& field, std::string_view key) {
      if (!isString(field)) return;
      if (key == "binary_name") binary.name = std::string(getString(field));
      if (key == "binary_version") binary.version = std::string(getString(field));
    });
    if (!binary.name.empty() && !binary.version.empty()) binaries.push_back(std::move(binary));
  });
}

void RecordParser::readAffected(od::value& value) {
  forEachElement(getArray(value), [this](od::value& element, std::size_t) {
    auto entry = readAffectedEntry(element);
    if (entry) advisory_.affected.push_back(std::move(*entry));
  });
}

std::optional<AffectedPackage> RecordParser::readAffectedEntry(od::value& value) {
  AffectedPackage package;
  bool has_package = false;
  std::vector<PendingRange> ranges;
  SeverityList own_severity;
  Severity ecosystem_word = Severity::kUnknown;
  Severity database_word = Severity::kUnknown;
  Severity cves_map_severity = Severity::kUnknown;

  forEachField(getObject(value), [&](od::value& field, std::string_view key) {
    if (key == "package") {
      has_package = true;
      forEachField(getObject(field), [&](od::value& package_field, std::string_view package_key) {
        if (package_key == "ecosystem") package.ecosystem = std::string(getString(package_field));
        if (package_key == "name") package.name = std::string(getString(package_field));
      });
    } else if (key == "ranges") {
      forEachElement(getArray(field), [&](od::value& range, std::size_t range_index) {
        ranges.push_back(readRange(range, range_index));
      });
    } else if (key == "versions") {
      forEachElement(getArray(field), [&](od::value& listed, std::size_t) {
        package.versions.emplace_back(getString(listed));
      });
    } else if (key == "severity") {
      own_severity = readSeverityList(field);
    } else if (key == "ecosystem_specific") {
      forEachField(getObject(field), [&](od::value& specific, std::string_view specific_key) {
        if (specific_key == "severity" && isString(specific)) {
          ecosystem_word = parseSeverityWord(getString(specific));
        } else if (specific_key == "binaries" && isArray(specific)) {
          readBinaries(specific, package.binaries);
        }
      });
    } else if (key == "database_specific") {
      forEachField(getObject(field), [&](od::value& database_field, std::string_view db_key) {
        if (db_key == "severity" && isString(database_field)) {
          database_word = parseSeverityWord(getString(database_field));
        } else if (db_key == "cves_map") {
          cves_map_severity = readCvesMapSeverity(database_field);
        }
      });
    }
  });

  // OSV allows entries without a package for ranges over a git repository,
  // which no installed package can match.
  if (!has_package) return std::nullopt;
  std::size_t package_pointer = enter("package");
  if (package.ecosystem.empty()) {
    enter("ecosystem");
    fail("is missing or empty");
  }
  if (package.name.empty()) {
    enter("name");
    fail("is missing or empty");
  }
  leave(package_pointer);

  // Checked here rather than while reading, because `package` may follow
  // `ranges` in the object.
  std::optional<version::Scheme> scheme = schemeForEcosystem(package.ecosystem);
  for (auto& range : ranges) {
    if (range.events.empty()) continue;
    for (std::size_t i = 0; i < range.events.size(); ++i) {
      const RangeEvent& event = range.events[i];
      if (event.type == RangeEvent::Type::kIntroduced && event.version == "0") continue;
      std::string event_pointer = fmt::format("{}/ranges/{}/events/{}/{}", pointer_,
                                              range.json_index, i, range.event_keys[i]);
      validateVersion(scheme, event.version, event_pointer);
      if (range.semver) validateVersion(version::Scheme::kSemver, event.version, event_pointer);
    }
    // Without an introduced event no version can be inside the range, so a
    // record that forgot it would silently match nothing.
    bool has_introduced = std::any_of(
        range.events.begin(), range.events.end(),
        [](const RangeEvent& event) { return event.type == RangeEvent::Type::kIntroduced; });
    if (!has_introduced) {
      enter("ranges");
      enter(range.json_index);
      enter("events");
      fail("has no introduced event; an OSV range must start with one");
    }
    package.ranges.push_back(std::move(range.events));
  }
  for (std::size_t i = 0; i < package.versions.size(); ++i) {
    validateVersion(scheme, package.versions[i], fmt::format("{}/versions/{}", pointer_, i));
  }

  if (package.ranges.empty() && package.versions.empty()) return std::nullopt;
  package.name_kind = nameKindForEcosystem(package.ecosystem);

  Severity severity = own_severity.best();
  if (severity == Severity::kUnknown) severity = ecosystem_word;
  if (severity == Severity::kUnknown) severity = database_word;
  if (severity == Severity::kUnknown) severity = cves_map_severity;
  if (severity != Severity::kUnknown) package.severity = severity;
  return package;
}

PendingRange RecordParser::readRange(od::value& value, std::size_t index) {
  PendingRange range;
  range.json_index = index;
  std::string_view type;
  forEachField(getObject(value), [&](od::value& field, std::string_view key) {
    if (key == "type") {
      type = getString(field);
    } else if (key == "events") {
      forEachElement(getArray(field), [&](od::value& event_value, std::size_t) {
        std::size_t fields = 0;
        RangeEvent event;
        std::string_view event_key;
        forEachField(getObject(event_value), [&](od::value& event_field, std::string_view name) {
          ++fields;
          if (name == "introduced") {
            event.type = RangeEvent::Type::kIntroduced;
            event_key = "introduced";
          } else if (name == "fixed") {
            event.type = RangeEvent::Type::kFixed;
            event_key = "fixed";
          } else if (name == "last_affected") {
            event.type = RangeEvent::Type::kLastAffected;
            event_key = "last_affected";
          } else if (name == "limit") {
            event.type = RangeEvent::Type::kLimit;
            event_key = "limit";
          } else {
            fail("is not a range event; expected introduced, fixed, last_affected or limit");
          }
          event.version = std::string(getString(event_field));
          if (event.version.empty()) fail("is an empty version");
        });
        if (fields != 1) fail("must hold exactly one of introduced, fixed, last_affected, limit");
        range.events.push_back(std::move(event));
        range.event_keys.push_back(event_key);
      });
    }
  });

  if (type.empty()) {
    enter("type");
    fail("is missing or empty");
  }
  range.semver = type == "SEMVER";
  // Commit hashes of a GIT range cannot be compared with package versions.
  if (type == "GIT") range.events.clear();
  return range;
}

void RecordParser::validateVersion(std::optional<version::Scheme> scheme, std::string_view version,
                                   std::string event_pointer) {
  if (!scheme) return;
  auto valid = version::validate(*scheme, version);
  if (!valid) throw FieldError{std::move(event_pointer), valid.error().message};
}

// Each thread keeps one parser and one padded copy of the input, because
// simdjson reads up to SIMDJSON_PADDING bytes past the end of the text and a
// parser's buffers are worth reusing across records.
struct ThreadState {
  od::parser parser;
  std::string buffer;
};

ThreadState& threadState() {
  thread_local ThreadState state;
  return state;
}

simdjson::padded_string_view padded(std::string_view json, std::string& buffer) {
  buffer.assign(json);
  buffer.append(simdjson::SIMDJSON_PADDING, '\0');
  return simdjson::padded_string_view(buffer.data(), json.size(), buffer.size());
}

// simdjson 3.0 has no document::at_end(); its current_location() reports
// OUT_OF_BOUNDS once every token was consumed.
bool atEnd(od::document& document) {
  return document.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

// Parses the object `value` as one record and catches every error inside it.
std::optional<Advisory> parseGuarded(RecordParser& parser, od::object& object,
                                     std::string_view base = "") {
  try {
    return parser.parseObject(object, base);
  } catch (FieldError& error) {
    parser.reportIssue(std::move(error.pointer), std::move(error.message));
  } catch (const simdjson::simdjson_error& error) {
    parser.reportIssue(parser.pointer(), fmt::format("is not valid JSON: {}", error.what()));
  }
  return std::nullopt;
}

// Parses one record's text; `base` is its pointer inside the document.
std::optional<Advisory> parseRecordText(std::string_view json, std::string_view origin,
                                        std::string_view base, LoadReport& report) {
  ThreadState& state = threadState();
  RecordParser parser(origin, report);

  od::document document;
  od::object object;
  auto error = state.parser.iterate(padded(json, state.buffer)).get(document);
  if (!error) error = document.get_object().get(object);
  if (error) {
    parser.reportIssue(std::string(base), fmt::format("the record is not a JSON object: {}",
                                                      simdjson::error_message(error)));
    return std::nullopt;
  }

  std::optional<Advisory> advisory = parseGuarded(parser, object, base);
  if (advisory && !atEnd(document)) {
    // The record was complete but text follows it, so it is not counted.
    --report.records_loaded;
    report.addIssue(LoadIssue{std::string(origin), advisory->id, std::string(base),
                              "unexpected text after the record's closing brace"});
    return std::nullopt;
  }
  return advisory;
}

// Copies each element of a top-level array. On-Demand cannot resume an
// array after a record was abandoned halfway (its iterator would be left
// inside the element), so records are cut out first and parsed one by one.
std::vector<std::string> splitRecords(od::array array, std::string_view origin,
                                      LoadReport& report) {
  std::vector<std::string> records;
  std::size_t index = 0;
  for (auto element : array) {
    od::object object;
    std::string_view raw;
    auto error = element.get_object().get(object);
    if (!error) error = object.raw_json().get(raw);
    if (error) {
      report.addIssue(LoadIssue{
          std::string(origin), "", fmt::format("/{}", index),
          fmt::format("is not an OSV record object: {}", simdjson::error_message(error))});
      // After a syntax error the rest of the array cannot be found.
      if (error != simdjson::INCORRECT_TYPE) break;
      records.emplace_back();
    } else {
      records.emplace_back(raw);
    }
    ++index;
  }
  return records;
}

}  // namespace

std::optional<Advisory> parseOsvRecord(std::string_view json, std::string_view origin,
                                       LoadReport& report) {
  return parseRecordText(json, origin, "", report);
}

void parseOsvDocument(std::string_view json, std::string_view origin, const AdvisorySink& sink,
                      LoadReport& report) {
  // The first character decides, so that a single record is indexed by
  // simdjson only once.
  std::size_t first = json.find_first_not_of(" \t\r\n");
  char opening = first == std::string_view::npos ? '\0' : json[first];
  if (opening == '{') {
    // Sent after the parse, so that a sink may itself parse OSV text on this
    // thread without clobbering the parser.
    auto advisory = parseRecordText(json, origin, "", report);
    if (advisory) sink(std::move(*advisory));
    return;
  }
  if (opening != '[') {
    report.addIssue(LoadIssue{std::string(origin), "", "",
                              "the document is neither an OSV record nor an array of records"});
    return;
  }

  ThreadState& state = threadState();
  od::document document;
  od::array array;
  auto error = state.parser.iterate(padded(json, state.buffer)).get(document);
  if (!error) error = document.get_array().get(array);
  if (error) {
    report.addIssue(LoadIssue{
        std::string(origin), "", "",
        fmt::format("the document is not valid JSON: {}", simdjson::error_message(error))});
    return;
  }
  std::vector<std::string> records = splitRecords(array, origin, report);
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i].empty()) continue;
    auto advisory = parseRecordText(records[i], origin, fmt::format("/{}", i), report);
    if (advisory) sink(std::move(*advisory));
  }
}

std::optional<double> cvssV3BaseScore(std::string_view vector) {
  if (!vector.starts_with("CVSS:3.0/") && !vector.starts_with("CVSS:3.1/")) return std::nullopt;
  vector.remove_prefix(9);

  // Base metrics in the order of the specification, each with its values
  // and their weights. PR's weights change when the scope changes, below.
  struct Value {
    char code;
    double weight;
  };
  struct Metric {
    std::string_view name;
    std::array<Value, 4> values;
    std::size_t value_count;
  };
  static constexpr std::array<Metric, 8> kMetrics{{
      {"AV", {{{'N', 0.85}, {'A', 0.62}, {'L', 0.55}, {'P', 0.2}}}, 4},
      {"AC", {{{'L', 0.77}, {'H', 0.44}}}, 2},
      {"PR", {{{'N', 0.85}, {'L', 0.62}, {'H', 0.27}}}, 3},
      {"UI", {{{'N', 0.85}, {'R', 0.62}}}, 2},
      {"S", {{{'U', 0.0}, {'C', 0.0}}}, 2},
      {"C", {{{'H', 0.56}, {'L', 0.22}, {'N', 0.0}}}, 3},
      {"I", {{{'H', 0.56}, {'L', 0.22}, {'N', 0.0}}}, 3},
      {"A", {{{'H', 0.56}, {'L', 0.22}, {'N', 0.0}}}, 3},
  }};
  std::array<std::optional<Value>, 8> chosen;

  while (!vector.empty()) {
    std::size_t slash = vector.find('/');
    std::string_view part = vector.substr(0, slash);
    vector = slash == std::string_view::npos ? std::string_view() : vector.substr(slash + 1);
    std::size_t colon = part.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view name = part.substr(0, colon);
    std::string_view code = part.substr(colon + 1);

    auto metric = std::find_if(kMetrics.begin(), kMetrics.end(),
                               [name](const Metric& m) { return m.name == name; });
    // Temporal and environmental metrics do not change the base score.
    if (metric == kMetrics.end()) continue;
    auto slot = static_cast<std::size_t>(metric - kMetrics.begin());
    if (chosen[slot] || code.size() != 1) return std::nullopt;
    for (std::size_t i = 0; i < metric->value_count; ++i) {
      if (metric->values[i].code == code[0]) chosen[slot] = metric->values[i];
    }
    if (!chosen[slot]) return std::nullopt;
  }
  if (std::any_of(chosen.begin(), chosen.end(), [](const auto& v) { return !v; })) {
    return std::nullopt;
  }

  bool scope_changed = chosen[4]->code == 'C';
  double privileges = chosen[2]->weight;
  if (scope_changed && chosen[2]->code == 'L') privileges = 0.68;
  if (scope_changed && chosen[2]->code == 'H') privileges = 0.5;

  double impact_subscore =
      1.0 - (1.0 - chosen[5]->weight) * (1.0 - chosen[6]->weight) * (1.0 - chosen[7]->weight);
  double impact = scope_changed ? 7.52 * (impact_subscore - 0.029) -
                                      3.25 * std::pow(impact_subscore - 0.02, 15.0)
                                : 6.42 * impact_subscore;
  double exploitability =
      8.22 * chosen[0]->weight * chosen[1]->weight * privileges * chosen[3]->weight;
  if (impact <= 0.0) return 0.0;

  double raw = scope_changed ? std::min(1.08 * (impact + exploitability), 10.0)
                             : std::min(impact + exploitability, 10.0);
  // CVSS v3.1's Roundup works on integers so that 4.000000001 does not
  // become 4.1 through floating-point noise.
  auto scaled = std::llround(raw * 100000.0);
  if (scaled % 10000 == 0) return static_cast<double>(scaled) / 100000.0;
  return (std::floor(static_cast<double>(scaled) / 10000.0) + 1.0) / 10.0;
}

Severity severityForCvssScore(double score) {
  if (!(score >= 0.0 && score <= 10.0)) return Severity::kUnknown;
  if (score == 0.0) return Severity::kNone;
  if (score < 4.0) return Severity::kLow;
  if (score < 7.0) return Severity::kMedium;
  if (score < 9.0) return Severity::kHigh;
  return Severity::kCritical;
}

}  // namespace pk::advisory
