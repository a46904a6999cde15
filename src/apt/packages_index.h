#pragma once

// apt's Packages indexes: one deb822 stanza per binary package that a
// repository offers. Pure and streaming, because an index of Debian's main
// archive contains over 60,000 stanzas. Text goes in by chunks of any size,
// and each finished entry comes out through a callback.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "apt/deb822.h"

namespace pk::apt {

// The fields of one stanza that security checks need.
struct IndexEntry {
  std::string package;       // Package:, the binary package name
  std::string version;       // Version:, the binary's version (with epoch)
  std::string architecture;  // Architecture:, "amd64", "all", ...
  // Source: "name" or "name (version)". When the field is absent the source
  // name is the package name; when it has no version the source version is
  // the binary's version.
  std::string source;
  std::string source_version;
  std::string filename;  // Filename:, path of the .deb under the repository's URI
};

// Parses a Packages index fed in chunks. A stanza without Package, Version
// or Architecture is skipped and counted rather than failing the whole index,
// so that one damaged stanza does not hide every other update.
//
// Not thread-safe; use one parser per index.
class PackagesParser {
 public:
  using OnEntry = std::function<void(IndexEntry&&)>;

  explicit PackagesParser(OnEntry on_entry);

  // Parses the lines that `chunk` completes and reports finished stanzas.
  void feed(std::string_view chunk);

  // Parses the rest (a stanza not followed by a blank line, a last line
  // without '\n') and reports it. Call once, after the last feed().
  void finish();

  // Returns the number of stanzas skipped for lacking a required field.
  std::size_t skippedStanzas() const { return skipped_stanzas_; }

 private:
  void handleLine(std::string_view line);
  void endStanza();

  OnEntry on_entry_;
  deb822::LineSplitter splitter_;
  IndexEntry current_;
  bool in_stanza_ = false;
  std::size_t skipped_stanzas_ = 0;
};

// Parses a whole index held in memory; a convenience over PackagesParser.
std::vector<IndexEntry> parsePackages(std::string_view text);

}  // namespace pk::apt
