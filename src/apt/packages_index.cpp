#include "apt/packages_index.h"

#include <utility>

namespace pk::apt {
namespace {

std::string_view trimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Splits "name (version)" as written in the Source field.
void splitSourceField(std::string_view value, IndexEntry& entry) {
  const auto open = value.find('(');
  if (open == std::string_view::npos) {
    entry.source = trimBlanks(value);
    return;
  }
  entry.source = trimBlanks(value.substr(0, open));
  std::string_view version = value.substr(open + 1);
  const auto close = version.find(')');
  if (close != std::string_view::npos) version = version.substr(0, close);
  entry.source_version = trimBlanks(version);
}

}  // namespace

PackagesParser::PackagesParser(OnEntry on_entry) : on_entry_(std::move(on_entry)) {}

void PackagesParser::feed(std::string_view chunk) {
  splitter_.feed(chunk, [this](std::string_view line) { handleLine(line); });
}

void PackagesParser::finish() {
  splitter_.finish([this](std::string_view line) { handleLine(line); });
  endStanza();
}

void PackagesParser::handleLine(std::string_view line) {
  if (deb822::isBlank(line)) {
    endStanza();
    return;
  }
  in_stanza_ = true;
  const auto field = deb822::splitField(line);
  if (!field) return;

  if (deb822::sameFieldName(field->name, "Package")) {
    current_.package = field->value;
  } else if (deb822::sameFieldName(field->name, "Version")) {
    current_.version = field->value;
  } else if (deb822::sameFieldName(field->name, "Architecture")) {
    current_.architecture = field->value;
  } else if (deb822::sameFieldName(field->name, "Source")) {
    splitSourceField(field->value, current_);
  } else if (deb822::sameFieldName(field->name, "Filename")) {
    current_.filename = field->value;
  }
}

void PackagesParser::endStanza() {
  if (!in_stanza_) return;
  in_stanza_ = false;
  IndexEntry entry = std::exchange(current_, IndexEntry{});
  if (entry.package.empty() || entry.version.empty() || entry.architecture.empty()) {
    ++skipped_stanzas_;
    return;
  }
  if (entry.source.empty()) entry.source = entry.package;
  if (entry.source_version.empty()) entry.source_version = entry.version;
  on_entry_(std::move(entry));
}

std::vector<IndexEntry> parsePackages(std::string_view text) {
  std::vector<IndexEntry> entries;
  PackagesParser parser([&entries](IndexEntry&& entry) { entries.push_back(std::move(entry)); });
  parser.feed(text);
  parser.finish();
  return entries;
}

}  // namespace pk::apt
