#include "server/advisory_codec.h"

#include <array>
#include <cmath>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

namespace pk::server {
namespace {

using Json = nlohmann::json;
using advisory::AffectedPackage;
using advisory::PackageNameKind;
using advisory::RangeEvent;
using advisory::Severity;

std::string_view rangeEventTypeName(RangeEvent::Type type) {
  switch (type) {
    case RangeEvent::Type::kIntroduced:
      return "introduced";
    case RangeEvent::Type::kFixed:
      return "fixed";
    case RangeEvent::Type::kLastAffected:
      return "last_affected";
    case RangeEvent::Type::kLimit:
      return "limit";
  }
  return "introduced";
}

std::optional<RangeEvent::Type> parseRangeEventType(std::string_view name) {
  for (auto type : {RangeEvent::Type::kIntroduced, RangeEvent::Type::kFixed,
                    RangeEvent::Type::kLastAffected, RangeEvent::Type::kLimit}) {
    if (rangeEventTypeName(type) == name) return type;
  }
  return std::nullopt;
}

Json encodeAffected(const AffectedPackage& package) {
  Json ranges = Json::array();
  for (const auto& range : package.ranges) {
    Json events = Json::array();
    for (const auto& event : range) {
      events.push_back({{"type", rangeEventTypeName(event.type)}, {"version", event.version}});
    }
    ranges.push_back(std::move(events));
  }
  Json binaries = Json::array();
  for (const auto& binary : package.binaries) {
    binaries.push_back({{"name", binary.name}, {"version", binary.version}});
  }
  Json entry = {
      {"ecosystem", package.ecosystem},
      {"name", package.name},
      {"name_kind", package.name_kind == PackageNameKind::kSource ? "source" : "binary"},
      {"ranges", std::move(ranges)},
      {"versions", package.versions},
      {"binaries", std::move(binaries)},
  };
  if (package.severity) entry["severity"] = advisory::severityName(*package.severity);
  // Written only for Windows entries, so that the text, and with it the
  // content hash, of every other advisory stays as earlier versions wrote it.
  if (!package.kb_fixes.empty()) {
    Json fixes = Json::array();
    for (const auto& fix : package.kb_fixes) {
      fixes.push_back({{"kb", fix.kb},
                       {"fixed_build", fix.fixed_build},
                       {"update_type", fix.update_type},
                       {"supersedes", fix.supersedes},
                       {"restart_required", fix.restart_required},
                       {"url", fix.url}});
    }
    entry["kb_fixes"] = std::move(fixes);
  }
  return entry;
}

// Reads fields out of a decoded document, remembering the first failure
// with the JSON pointer of the field, so that decoding reads as a list of
// fields rather than a ladder of checks.
class Reader {
 public:
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  const Json* member(const Json& object, std::string_view key, const std::string& pointer) {
    if (failed()) return nullptr;
    auto found = object.find(key);
    if (found == object.end()) {
      fail(pointer, "is missing");
      return nullptr;
    }
    return &*found;
  }

  std::string text(const Json& object, std::string_view key, const std::string& pointer) {
    const Json* value = member(object, key, pointer);
    if (!value) return {};
    if (!value->is_string()) {
      fail(pointer, "is not a string");
      return {};
    }
    return value->get<std::string>();
  }

  std::vector<std::string> texts(const Json& object, std::string_view key,
                                 const std::string& pointer) {
    std::vector<std::string> result;
    const Json* value = array(object, key, pointer);
    if (!value) return result;
    for (std::size_t i = 0; i < value->size(); ++i) {
      const Json& item = (*value)[i];
      if (!item.is_string()) {
        fail(fmt::format("{}/{}", pointer, i), "is not a string");
        return {};
      }
      result.push_back(item.get<std::string>());
    }
    return result;
  }

  const Json* array(const Json& object, std::string_view key, const std::string& pointer) {
    const Json* value = member(object, key, pointer);
    if (!value) return nullptr;
    if (!value->is_array()) {
      fail(pointer, "is not an array");
      return nullptr;
    }
    return value;
  }

  bool requireObject(const Json& value, const std::string& pointer) {
    if (failed()) return false;
    if (!value.is_object()) {
      fail(pointer, "is not an object");
      return false;
    }
    return true;
  }

  Severity severity(const Json& object, std::string_view key, const std::string& pointer) {
    std::string name = text(object, key, pointer);
    if (failed()) return Severity::kUnknown;
    auto severity = parseSeverityName(name);
    if (!severity) {
      fail(pointer, fmt::format("is not a severity name: \"{}\"", name));
      return Severity::kUnknown;
    }
    return *severity;
  }

  void fail(const std::string& pointer, std::string_view what) {
    if (failed()) return;
    error_ = fmt::format("stored advisory field {} {}", pointer.empty() ? "/" : pointer, what);
  }

 private:
  std::string error_;
};

AffectedPackage decodeAffected(Reader& reader, const Json& entry, const std::string& pointer) {
  AffectedPackage package;
  if (!reader.requireObject(entry, pointer)) return package;
  package.ecosystem = reader.text(entry, "ecosystem", pointer + "/ecosystem");
  package.name = reader.text(entry, "name", pointer + "/name");

  std::string kind = reader.text(entry, "name_kind", pointer + "/name_kind");
  if (kind == "source") {
    package.name_kind = PackageNameKind::kSource;
  } else if (kind == "binary") {
    package.name_kind = PackageNameKind::kBinary;
  } else {
    reader.fail(pointer + "/name_kind", "is neither \"source\" nor \"binary\"");
  }

  if (const Json* ranges = reader.array(entry, "ranges", pointer + "/ranges")) {
    for (std::size_t r = 0; r < ranges->size() && !reader.failed(); ++r) {
      std::string range_pointer = fmt::format("{}/ranges/{}", pointer, r);
      const Json& range = (*ranges)[r];
      if (!range.is_array()) {
        reader.fail(range_pointer, "is not an array");
        break;
      }
      std::vector<RangeEvent> events;
      for (std::size_t e = 0; e < range.size() && !reader.failed(); ++e) {
        std::string event_pointer = fmt::format("{}/{}", range_pointer, e);
        const Json& event = range[e];
        if (!reader.requireObject(event, event_pointer)) break;
        std::string type_name = reader.text(event, "type", event_pointer + "/type");
        std::string version = reader.text(event, "version", event_pointer + "/version");
        if (reader.failed()) break;
        auto type = parseRangeEventType(type_name);
        if (!type) {
          reader.fail(event_pointer + "/type",
                      fmt::format("is not a range event type: \"{}\"", type_name));
          break;
        }
        events.push_back(RangeEvent{*type, std::move(version)});
      }
      package.ranges.push_back(std::move(events));
    }
  }

  package.versions = reader.texts(entry, "versions", pointer + "/versions");

  if (const Json* binaries = reader.array(entry, "binaries", pointer + "/binaries")) {
    for (std::size_t b = 0; b < binaries->size() && !reader.failed(); ++b) {
      std::string binary_pointer = fmt::format("{}/binaries/{}", pointer, b);
      const Json& binary = (*binaries)[b];
      if (!reader.requireObject(binary, binary_pointer)) break;
      AffectedPackage::BinaryVersion version;
      version.name = reader.text(binary, "name", binary_pointer + "/name");
      version.version = reader.text(binary, "version", binary_pointer + "/version");
      package.binaries.push_back(std::move(version));
    }
  }

  if (entry.contains("severity")) {
    package.severity = reader.severity(entry, "severity", pointer + "/severity");
  }

  if (entry.contains("kb_fixes")) {
    if (const Json* fixes = reader.array(entry, "kb_fixes", pointer + "/kb_fixes")) {
      for (std::size_t f = 0; f < fixes->size() && !reader.failed(); ++f) {
        std::string fix_pointer = fmt::format("{}/kb_fixes/{}", pointer, f);
        const Json& item = (*fixes)[f];
        if (!reader.requireObject(item, fix_pointer)) break;
        AffectedPackage::KbFix fix;
        fix.kb = reader.text(item, "kb", fix_pointer + "/kb");
        fix.fixed_build = reader.text(item, "fixed_build", fix_pointer + "/fixed_build");
        fix.update_type = reader.text(item, "update_type", fix_pointer + "/update_type");
        fix.supersedes = reader.texts(item, "supersedes", fix_pointer + "/supersedes");
        fix.restart_required =
            reader.text(item, "restart_required", fix_pointer + "/restart_required");
        fix.url = reader.text(item, "url", fix_pointer + "/url");
        package.kb_fixes.push_back(std::move(fix));
      }
    }
  }
  return package;
}

}  // namespace

std::optional<Severity> parseSeverityName(std::string_view name) {
  for (auto severity : {Severity::kUnknown, Severity::kNone, Severity::kLow, Severity::kMedium,
                        Severity::kHigh, Severity::kCritical}) {
    if (advisory::severityName(severity) == name) return severity;
  }
  return std::nullopt;
}

std::string encodeAdvisory(const advisory::Advisory& advisory) {
  Json affected = Json::array();
  for (const auto& package : advisory.affected) affected.push_back(encodeAffected(package));

  Json document = {
      {"format", kAdvisoryCodecFormat},
      {"id", advisory.id},
      {"source", advisory.source},
      {"summary", advisory.summary},
      {"aliases", advisory.aliases},
      {"severity", advisory::severityName(advisory.severity)},
      {"cvss_vector", advisory.cvss_vector},
      {"published", advisory.published},
      {"modified", advisory.modified},
      {"affected", std::move(affected)},
  };
  if (advisory.cvss_score && std::isfinite(*advisory.cvss_score)) {
    document["cvss_score"] = *advisory.cvss_score;
  }
  // nlohmann::json objects keep their keys sorted, so the text is the same
  // for the same advisory on every run.
  return document.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<advisory::Advisory> decodeAdvisory(std::string_view text) {
  Json document = Json::parse(text, nullptr, false);
  if (document.is_discarded()) {
    return fail(ErrorCode::kMalformedInput, "stored advisory is not valid JSON");
  }
  if (!document.is_object()) {
    return fail(ErrorCode::kMalformedInput, "stored advisory is not a JSON object");
  }
  auto format = document.find("format");
  if (format == document.end() || !format->is_number_integer() ||
      format->get<std::int64_t>() != kAdvisoryCodecFormat) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("stored advisory is not in codec format {}; another patchkeeper "
                            "version wrote it, so sync its feed again",
                            kAdvisoryCodecFormat));
  }

  Reader reader;
  advisory::Advisory advisory;
  advisory.id = reader.text(document, "id", "/id");
  advisory.source = reader.text(document, "source", "/source");
  advisory.summary = reader.text(document, "summary", "/summary");
  advisory.aliases = reader.texts(document, "aliases", "/aliases");
  advisory.severity = reader.severity(document, "severity", "/severity");
  advisory.cvss_vector = reader.text(document, "cvss_vector", "/cvss_vector");
  advisory.published = reader.text(document, "published", "/published");
  advisory.modified = reader.text(document, "modified", "/modified");

  if (!reader.failed()) {
    if (auto score = document.find("cvss_score"); score != document.end()) {
      if (!score->is_number()) {
        reader.fail("/cvss_score", "is not a number");
      } else {
        advisory.cvss_score = score->get<double>();
      }
    }
  }

  if (const Json* affected = reader.array(document, "affected", "/affected")) {
    for (std::size_t i = 0; i < affected->size() && !reader.failed(); ++i) {
      advisory.affected.push_back(
          decodeAffected(reader, (*affected)[i], fmt::format("/affected/{}", i)));
    }
  }

  if (reader.failed()) return fail(ErrorCode::kMalformedInput, reader.error());
  return advisory;
}

std::string contentHash(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // EVP_Digest only fails on allocation failure; an empty hash then makes
  // every record look changed, which costs a re-evaluation, not data.
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace pk::server
