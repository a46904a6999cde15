#include "inventory/windows_inventory.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "version/windows.h"

namespace pk::inventory {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxNestingDepth = 32;
constexpr std::size_t kMaxKbDigits = 10;
constexpr std::size_t kMaxQuotedBytes = 40;
constexpr std::string_view kReasonSeparator = "; ";

// Thrown for a problem that rejects the whole document, and caught in
// parseWindowsInventory.
struct DocumentError {
  std::string element;
  std::string message;
};

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

char toUpper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string toUpper(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return toUpper(c); });
  return upper;
}

bool startsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && toUpper(text.substr(0, prefix.size())) == toUpper(prefix);
}

// Cuts `value` to its first 40 bytes (at a UTF-8 character boundary) and
// marks the cut with "...", so that a huge value does not flood a message.
std::string shortened(std::string_view value) {
  if (value.size() <= kMaxQuotedBytes) return std::string(value);
  std::size_t end = kMaxQuotedBytes;
  while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0u) == 0x80u) --end;
  return fmt::format("{}...", value.substr(0, end));
}

std::string quotedValue(std::string_view value) {
  return fmt::format("\"{}\"", shortened(value));
}

// Names the type of `value` for "must be a string, found a number".
std::string_view typeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "a list";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "true or false";
    case Json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

// Reports whether `text` opens more than `limit` objects and lists inside
// one another. Brackets inside strings do not count. nlohmann's parser keeps
// its own stack, but copying and dumping a document recurse, so deep
// nesting is rejected before parsing.
bool nestsDeeperThan(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return true;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// Returns the digits of "KB5058411", "kb5058411" or "5058411", or the
// reason `text` is not a KB number.
Result<std::string> normalizeKb(std::string_view text) {
  std::string_view digits = text;
  if (digits.size() >= 2 && toUpper(digits[0]) == 'K' && toUpper(digits[1]) == 'B') {
    digits.remove_prefix(2);
  }
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), isDigit)) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{} is not a KB number such as KB5058411", quotedValue(text)));
  }
  if (digits.size() > kMaxKbDigits) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{} has more than {} digits, which no KB number has", quotedValue(text),
                            kMaxKbDigits));
  }
  // KB0005068781 and KB5068781 are one update.
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  return std::string(digits);
}

// Returns `text` upper-cased when it is "CVE-", a four-digit year, "-" and
// at least four digits, in any case, or nullopt otherwise.
std::optional<std::string> normalizeCve(std::string_view text) {
  constexpr std::size_t kSequenceStart = 9;  // after "CVE-YYYY-"
  if (text.size() < kSequenceStart + 4 || !startsWithIgnoringCase(text, "CVE-") || text[8] != '-') {
    return std::nullopt;
  }
  std::string_view year = text.substr(4, 4);
  std::string_view sequence = text.substr(kSequenceStart);
  if (!std::all_of(year.begin(), year.end(), isDigit) ||
      !std::all_of(sequence.begin(), sequence.end(), isDigit)) {
    return std::nullopt;
  }
  return toUpper(text);
}

// Orders KB digit strings by the number they write. Leading zeros do not
// change the number but still make two strings different, so they break a
// tie last.
bool kbLess(const std::string& a, const std::string& b) {
  std::string_view a_value(a);
  std::string_view b_value(b);
  a_value.remove_prefix(std::min(a_value.find_first_not_of('0'), a_value.size()));
  b_value.remove_prefix(std::min(b_value.find_first_not_of('0'), b_value.size()));
  if (a_value.size() != b_value.size()) return a_value.size() < b_value.size();
  if (a_value != b_value) return a_value < b_value;
  return a < b;
}

// Reads one document. Problems that reject it are thrown as DocumentError.
// Problems that leave one element out are collected in issues().
class DocumentReader {
 public:
  explicit DocumentReader(std::string_view origin) : origin_(origin) {}

  WindowsInventory read(const Json& document) {
    if (!document.is_object()) {
      throw DocumentError{
          "", fmt::format("the document must be a JSON object, found {}", typeName(document))};
    }
    checkFormat(document);

    WindowsInventory inventory;
    inventory.hostname = requiredString(document, "hostname", "");
    inventory.collected_at = collectedAt(document);
    inventory.facts = readFacts(document);
    inventory.programs = readPrograms(document);
    inventory.restart = readRestart(document);
    return inventory;
  }

  std::vector<WindowsInventoryIssue>& issues() { return issues_; }

 private:
  // Returns the member `key` of `object`, or nullptr when it is absent or
  // null, which both read as "not reported".
  static const Json* member(const Json& object, std::string_view key) {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
  }

  static std::string pointerTo(std::string_view parent, std::string_view key) {
    return fmt::format("{}/{}", parent, key);
  }

  static std::string pointerTo(std::string_view parent, std::size_t index) {
    return fmt::format("{}/{}", parent, index);
  }

  void addIssue(std::string element, std::string message) {
    issues_.push_back(
        WindowsInventoryIssue{std::string(origin_), std::move(element), std::move(message)});
  }

  void checkFormat(const Json& document) {
    std::string format = requiredString(document, "format", "");
    if (format != kWindowsInventoryFormat) {
      throw DocumentError{"/format", fmt::format("is {}, but a Windows inventory has \"{}\"",
                                                 quotedValue(format), kWindowsInventoryFormat)};
    }
    const Json* version = member(document, "format_version");
    if (version == nullptr) throw DocumentError{"/format_version", "required field is missing"};
    if (!version->is_number_integer() || *version != kWindowsInventoryFormatVersion) {
      throw DocumentError{"/format_version",
                          fmt::format("is {}, but this patchkeeper reads only version {}",
                                      shortened(version->dump()), kWindowsInventoryFormatVersion)};
    }
  }

  // Reads a required, non-empty string of the document or of its os object.
  std::string requiredString(const Json& object, std::string_view key, std::string_view parent) {
    std::string pointer = pointerTo(parent, key);
    const Json* value = member(object, key);
    if (value == nullptr) throw DocumentError{pointer, "required field is missing"};
    if (!value->is_string()) {
      throw DocumentError{pointer, fmt::format("must be a string, found {}", typeName(*value))};
    }
    std::string text = value->get<std::string>();
    if (text.empty()) throw DocumentError{pointer, "required field is empty"};
    return text;
  }

  // Reads an optional string of the document or of its os object, empty
  // when absent. A value of another type rejects the document.
  std::string optionalString(const Json& object, std::string_view key, std::string_view parent) {
    const Json* value = member(object, key);
    if (value == nullptr) return {};
    if (!value->is_string()) {
      throw DocumentError{pointerTo(parent, key),
                          fmt::format("must be a string, found {}", typeName(*value))};
    }
    return value->get<std::string>();
  }

  // Throws when `list` has more elements than any list may have.
  static void checkListSize(const Json& list, const std::string& pointer) {
    if (list.size() > kMaxWindowsItems) {
      throw DocumentError{pointer, fmt::format("has {} elements, more than the limit of {}",
                                               list.size(), kMaxWindowsItems)};
    }
  }

  // Returns the list `key` of the document, or nullptr when it is absent.
  // A value of another type rejects the document.
  const Json* optionalList(const Json& object, std::string_view key) {
    std::string pointer = pointerTo("", key);
    const Json* value = member(object, key);
    if (value == nullptr) return nullptr;
    if (!value->is_array()) {
      throw DocumentError{pointer, fmt::format("must be a list, found {}", typeName(*value))};
    }
    checkListSize(*value, pointer);
    return value;
  }

  // Reads a string inside an update, a program or restart. A value of
  // another type is reported and reads as empty.
  std::string lenientString(const Json& object, std::string_view key, std::string_view parent) {
    const Json* value = member(object, key);
    if (value == nullptr) return {};
    if (!value->is_string()) {
      addIssue(pointerTo(parent, key),
               fmt::format("must be a string, found {}, so it reads as empty", typeName(*value)));
      return {};
    }
    return value->get<std::string>();
  }

  bool lenientBoolean(const Json& object, std::string_view key, std::string_view parent) {
    const Json* value = member(object, key);
    if (value == nullptr) return false;
    if (!value->is_boolean()) {
      addIssue(
          pointerTo(parent, key),
          fmt::format("must be true or false, found {}, so it reads as false", typeName(*value)));
      return false;
    }
    return value->get<bool>();
  }

  // Returns a list inside an update or restart, or nullptr when it is
  // absent. A value of another type is reported and reads as empty, but an
  // oversized list still rejects the document.
  const Json* lenientList(const Json& object, std::string_view key, std::string_view parent) {
    std::string pointer = pointerTo(parent, key);
    const Json* value = member(object, key);
    if (value == nullptr) return nullptr;
    if (!value->is_array()) {
      addIssue(pointer,
               fmt::format("must be a list, found {}, so it reads as empty", typeName(*value)));
      return nullptr;
    }
    checkListSize(*value, pointer);
    return value;
  }

  // Reads the KB numbers of `list`, leaving out and reporting each element
  // that is not one.
  std::vector<std::string> readKbList(const Json* list, const std::string& pointer) {
    std::vector<std::string> kbs;
    if (list == nullptr) return kbs;
    kbs.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
      const Json& element = (*list)[i];
      if (!element.is_string()) {
        addIssue(pointerTo(pointer, i), fmt::format("must be a string such as \"KB5058411\", "
                                                    "found {}",
                                                    typeName(element)));
        continue;
      }
      auto digits = normalizeKb(element.get_ref<const std::string&>());
      if (!digits) {
        addIssue(pointerTo(pointer, i), digits.error().message);
        continue;
      }
      kbs.push_back(std::move(*digits));
    }
    return kbs;
  }

  std::optional<SystemTime> collectedAt(const Json& document) {
    if (member(document, "collected_at") == nullptr) return std::nullopt;
    std::string text = optionalString(document, "collected_at", "");

    auto time = parseRfc3339(text);
    if (!time) {
      throw DocumentError{"/collected_at", fmt::format("{} is not an RFC 3339 time such as "
                                                       "\"2026-06-10T09:12:00Z\"",
                                                       quotedValue(text))};
    }
    // formatRfc3339 writes four-digit years, so toJsonText could not write
    // an instant outside them back.
    const std::chrono::year year =
        std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(*time)).year();
    if (year < std::chrono::year(0) || year > std::chrono::year(9999)) {
      throw DocumentError{
          "/collected_at",
          fmt::format("{} falls outside the years 0000 to 9999 in UTC", quotedValue(text))};
    }
    return time;
  }

  WindowsFacts readFacts(const Json& document) {
    const Json* os = member(document, "os");
    if (os == nullptr) throw DocumentError{"/os", "required field is missing"};
    if (!os->is_object()) {
      throw DocumentError{"/os", fmt::format("must be an object, found {}", typeName(*os))};
    }

    WindowsFacts facts;
    facts.edition = requiredString(*os, "edition", "/os");
    facts.release = optionalString(*os, "release", "/os");
    facts.build = requiredString(*os, "build", "/os");
    if (auto build = version::windows::parse(facts.build); !build) {
      throw DocumentError{"/os/build", fmt::format("is not a Windows build such as "
                                                   "\"10.0.26100.4061\": {}",
                                                   build.error().message)};
    }
    facts.installation_type = requiredString(*os, "installation_type", "/os");
    if (facts.installation_type != "Client" && facts.installation_type != "Server" &&
        facts.installation_type != "Server Core") {
      throw DocumentError{"/os/installation_type",
                          fmt::format("{} is not one of \"Client\", \"Server\", \"Server Core\"",
                                      quotedValue(facts.installation_type))};
    }
    facts.architecture = optionalString(*os, "architecture", "/os");

    facts.installed_kbs = readKbList(optionalList(document, "installed_kbs"), "/installed_kbs");
    std::sort(facts.installed_kbs.begin(), facts.installed_kbs.end(), kbLess);
    facts.installed_kbs.erase(std::unique(facts.installed_kbs.begin(), facts.installed_kbs.end()),
                              facts.installed_kbs.end());

    if (const Json* updates = optionalList(document, "pending_updates")) {
      for (std::size_t i = 0; i < updates->size(); ++i) {
        auto update = readPendingUpdate((*updates)[i], pointerTo("/pending_updates", i));
        if (update) facts.pending_updates.push_back(std::move(*update));
      }
    }
    return facts;
  }

  std::optional<WindowsPendingUpdate> readPendingUpdate(const Json& value,
                                                        const std::string& pointer) {
    if (!value.is_object()) {
      addIssue(pointer, fmt::format("must be an object, found {}, so the update is left out",
                                    typeName(value)));
      return std::nullopt;
    }

    // An update is known by its KB number, so one without a valid number is
    // left out whole.
    WindowsPendingUpdate update;
    std::string kb_pointer = pointerTo(pointer, "kb");
    const Json* kb = member(value, "kb");
    if (kb == nullptr) {
      addIssue(kb_pointer, "is missing, so the update is left out");
      return std::nullopt;
    }
    if (!kb->is_string()) {
      addIssue(kb_pointer, fmt::format("must be a string such as \"KB5060842\", found {}, so the "
                                       "update is left out",
                                       typeName(*kb)));
      return std::nullopt;
    }
    auto digits = normalizeKb(kb->get_ref<const std::string&>());
    if (!digits) {
      addIssue(kb_pointer, fmt::format("{}, so the update is left out", digits.error().message));
      return std::nullopt;
    }
    update.kb = std::move(*digits);

    update.title = lenientString(value, "title", pointer);
    update.classification = lenientString(value, "classification", pointer);
    update.severity = lenientString(value, "severity", pointer);
    update.cve_ids =
        readCveIds(lenientList(value, "cve_ids", pointer), pointerTo(pointer, "cve_ids"));
    std::string supersedes_pointer = pointerTo(pointer, "supersedes");
    update.supersedes = readKbList(lenientList(value, "supersedes", pointer), supersedes_pointer);
    update.restart_required = lenientBoolean(value, "restart_required", pointer);
    return update;
  }

  std::vector<std::string> readCveIds(const Json* list, const std::string& pointer) {
    std::vector<std::string> cve_ids;
    if (list == nullptr) return cve_ids;
    cve_ids.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
      const Json& element = (*list)[i];
      if (!element.is_string()) {
        addIssue(pointerTo(pointer, i), fmt::format("must be a string such as "
                                                    "\"CVE-2025-33073\", found {}",
                                                    typeName(element)));
        continue;
      }
      const auto& text = element.get_ref<const std::string&>();
      auto cve = normalizeCve(text);
      if (!cve) {
        addIssue(pointerTo(pointer, i),
                 fmt::format("{} is not a CVE id such as CVE-2025-33073", quotedValue(text)));
        continue;
      }
      cve_ids.push_back(std::move(*cve));
    }
    return cve_ids;
  }

  std::vector<WindowsProgram> readPrograms(const Json& document) {
    std::vector<WindowsProgram> programs;
    const Json* list = optionalList(document, "programs");
    if (list == nullptr) return programs;
    programs.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto program = readProgram((*list)[i], pointerTo("/programs", i));
      if (program) programs.push_back(std::move(*program));
    }
    return programs;
  }

  std::optional<WindowsProgram> readProgram(const Json& value, const std::string& pointer) {
    if (!value.is_object()) {
      addIssue(pointer, fmt::format("must be an object, found {}, so the program is left out",
                                    typeName(value)));
      return std::nullopt;
    }

    // Matching and display need a name, so a program without one is left
    // out whole.
    WindowsProgram program;
    std::string name_pointer = pointerTo(pointer, "name");
    const Json* name = member(value, "name");
    if (name == nullptr) {
      addIssue(name_pointer, "is missing, so the program is left out");
      return std::nullopt;
    }
    if (!name->is_string()) {
      addIssue(name_pointer, fmt::format("must be a string, found {}, so the program is left out",
                                         typeName(*name)));
      return std::nullopt;
    }
    program.name = name->get<std::string>();
    if (program.name.empty()) {
      addIssue(name_pointer, "is empty, so the program is left out");
      return std::nullopt;
    }

    program.version = lenientString(value, "version", pointer);
    program.publisher = lenientString(value, "publisher", pointer);
    return program;
  }

  RestartState readRestart(const Json& document) {
    RestartState restart;
    const Json* value = member(document, "restart");
    if (value == nullptr) return restart;
    if (!value->is_object()) {
      addIssue("/restart", fmt::format("must be an object, found {}, so no restart reads as "
                                       "pending",
                                       typeName(*value)));
      return restart;
    }

    restart.required = lenientBoolean(*value, "pending", "/restart");
    const Json* reasons = lenientList(*value, "reasons", "/restart");
    if (reasons == nullptr) return restart;

    std::vector<std::string> texts;
    for (std::size_t i = 0; i < reasons->size(); ++i) {
      const Json& reason = (*reasons)[i];
      if (!reason.is_string()) {
        addIssue(pointerTo("/restart/reasons", i),
                 fmt::format("must be a string, found {}", typeName(reason)));
        continue;
      }
      // An empty reason adds nothing to the joined sentence.
      if (!reason.get_ref<const std::string&>().empty()) {
        texts.push_back(reason.get<std::string>());
      }
    }
    // RestartState gives a reason only when a restart is required.
    if (restart.required) restart.reason = fmt::format("{}", fmt::join(texts, kReasonSeparator));
    return restart;
  }

  std::string_view origin_;
  std::vector<WindowsInventoryIssue> issues_;
};

// Writes `time` as RFC 3339 UTC, with microseconds when it has a fraction
// of a second, so that parseRfc3339 reads back the same instant.
std::string formatTime(SystemTime time) {
  const auto whole = std::chrono::floor<std::chrono::seconds>(time);
  const auto fraction = time - whole;
  std::string text = formatRfc3339(whole);
  if (fraction.count() == 0) return text;
  text.pop_back();  // the "Z", written again after the fraction
  return fmt::format("{}.{:06}Z", text, fraction.count());
}

std::vector<std::string> withKbPrefix(const std::vector<std::string>& kbs) {
  std::vector<std::string> prefixed;
  prefixed.reserve(kbs.size());
  for (const auto& kb : kbs) prefixed.push_back("KB" + kb);
  return prefixed;
}

struct BuildProduct {
  std::uint32_t build;
  std::string_view product;
};

// Client releases by build number, as Microsoft's release information pages
// for Windows 10 and Windows 11 list them.
constexpr std::array<BuildProduct, 10> kClientProducts{{
    {10240, "Windows 10 1507"},
    {14393, "Windows 10 1607"},
    {17763, "Windows 10 1809"},
    {19044, "Windows 10 21H2"},
    {19045, "Windows 10 22H2"},
    {22000, "Windows 11 21H2"},
    {22621, "Windows 11 22H2"},
    {22631, "Windows 11 23H2"},
    {26100, "Windows 11 24H2"},
    {26200, "Windows 11 25H2"},
}};

// Server releases by build number. Some share a build with a client
// release (14393, 17763, 26100), which is why installation_type decides.
constexpr std::array<BuildProduct, 9> kServerProducts{{
    {6003, "Windows Server 2008 SP2"},
    {7601, "Windows Server 2008 R2 SP1"},
    {9200, "Windows Server 2012"},
    {9600, "Windows Server 2012 R2"},
    {14393, "Windows Server 2016"},
    {17763, "Windows Server 2019"},
    {20348, "Windows Server 2022"},
    {25398, "Windows Server 2022 23H2"},
    {26100, "Windows Server 2025"},
}};

// The first Windows 11 build. Windows 11 still writes "Windows 10" into the
// registry's ProductName, so an edition read from there names the wrong
// family from this build on.
constexpr std::uint32_t kFirstWindows11Build = 22000;

template <std::size_t N>
std::optional<std::string> findProduct(const std::array<BuildProduct, N>& table,
                                       std::uint32_t build) {
  for (const auto& row : table) {
    if (row.build == build) return std::string(row.product);
  }
  return std::nullopt;
}

}  // namespace

std::string describe(const WindowsInventoryIssue& issue) {
  return fmt::format("{}: {}: {}", issue.file, issue.element, issue.message);
}

Result<WindowsInventory> parseWindowsInventory(std::string_view text, std::string_view origin,
                                               std::vector<WindowsInventoryIssue>& issues) {
  if (text.size() > kMaxWindowsInventoryBytes) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: the document is {} bytes, more than the limit of {}", origin,
                            text.size(), kMaxWindowsInventoryBytes));
  }
  if (nestsDeeperThan(text, kMaxNestingDepth)) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: the document nests objects and lists deeper than {} levels",
                            origin, kMaxNestingDepth));
  }

  Json document;
  try {
    document = Json::parse(text);
  } catch (const Json::parse_error& error) {
    return fail(
        ErrorCode::kMalformedInput,
        fmt::format("{}: the document is not valid JSON: error at byte {}", origin, error.byte));
  } catch (const Json::exception& error) {
    // Raised, for example, for a number too large for a double ("1e400").
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: the document is not valid JSON: {}", origin, error.what()));
  }

  DocumentReader reader(origin);
  try {
    WindowsInventory inventory = reader.read(document);
    // Issues are handed over only with a result, so a rejected document
    // adds none.
    issues.insert(issues.end(), std::make_move_iterator(reader.issues().begin()),
                  std::make_move_iterator(reader.issues().end()));
    return inventory;
  } catch (const DocumentError& error) {
    if (error.element.empty()) {
      return fail(ErrorCode::kMalformedInput, fmt::format("{}: {}", origin, error.message));
    }
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: {}: {}", origin, error.element, error.message));
  } catch (const Json::exception& error) {
    // The reader checks every type before reading a value, so reaching
    // this is a defect. It is still reported as bad input rather than
    // ending the program.
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{}: unreadable JSON ({})", origin, error.what()));
  }
}

std::string toJsonText(const WindowsInventory& inventory) {
  const WindowsFacts& facts = inventory.facts;

  Json updates = Json::array();
  for (const auto& update : facts.pending_updates) {
    updates.push_back(Json{{"kb", "KB" + update.kb},
                           {"title", update.title},
                           {"classification", update.classification},
                           {"severity", update.severity},
                           {"cve_ids", update.cve_ids},
                           {"supersedes", withKbPrefix(update.supersedes)},
                           {"restart_required", update.restart_required}});
  }

  Json programs = Json::array();
  for (const auto& program : inventory.programs) {
    programs.push_back(Json{
        {"name", program.name}, {"version", program.version}, {"publisher", program.publisher}});
  }

  // The reader joins the reasons into one sentence, which is written back
  // as a single reason so that reading it again gives the same sentence.
  Json reasons = Json::array();
  if (inventory.restart.required && !inventory.restart.reason.empty()) {
    reasons.push_back(inventory.restart.reason);
  }

  Json document{
      {"format", kWindowsInventoryFormat},
      {"format_version", kWindowsInventoryFormatVersion},
      {"hostname", inventory.hostname},
      {"collected_at",
       inventory.collected_at ? Json(formatTime(*inventory.collected_at)) : Json(nullptr)},
      {"os",
       {{"edition", facts.edition},
        {"release", facts.release},
        {"build", facts.build},
        {"installation_type", facts.installation_type},
        {"architecture", facts.architecture}}},
      {"installed_kbs", withKbPrefix(facts.installed_kbs)},
      {"pending_updates", std::move(updates)},
      {"programs", std::move(programs)},
      {"restart", {{"pending", inventory.restart.required}, {"reasons", std::move(reasons)}}}};

  // Invalid UTF-8, which only a caller-built inventory can hold, is
  // written as U+FFFD instead of throwing.
  return document.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

HostInventory toHostInventory(const WindowsInventory& inventory) {
  HostInventory host;
  host.scheme = version::Scheme::kWindows;
  host.os.id = "windows";
  host.os.pretty_name = inventory.facts.edition;
  host.os.version_id = inventory.facts.release;

  host.packages.reserve(inventory.programs.size());
  for (const auto& program : inventory.programs) {
    Package package;
    package.name = program.name;
    package.version = program.version;
    host.packages.push_back(std::move(package));
  }
  host.restart = inventory.restart;
  host.windows = inventory.facts;
  return host;
}

std::optional<std::string> windowsProduct(const WindowsFacts& facts) {
  auto build = version::windows::parse(facts.build);
  if (!build) return std::nullopt;

  if (facts.installation_type == "Server" || facts.installation_type == "Server Core") {
    return findProduct(kServerProducts, build->build);
  }
  if (facts.installation_type != "Client") return std::nullopt;
  if (auto product = findProduct(kClientProducts, build->build)) return product;

  // For a client build the table does not know yet, the family comes from
  // the edition and the release from DisplayVersion.
  if (facts.release.empty()) return std::nullopt;
  std::string_view family;
  if (startsWithIgnoringCase(facts.edition, "Windows 11")) {
    family = "Windows 11";
  } else if (startsWithIgnoringCase(facts.edition, "Windows 10")) {
    family = build->build >= kFirstWindows11Build ? "Windows 11" : "Windows 10";
  } else {
    return std::nullopt;
  }
  return fmt::format("{} {}", family, toUpper(facts.release));
}

}  // namespace pk::inventory
