#pragma once

// The result shared by the package database parsers: the packages that
// loaded, and the records that were skipped because they break the format.

#include <cstddef>
#include <string>
#include <vector>

#include "inventory/inventory.h"

namespace pk::inventory {

// A record that a parser skipped. One bad record never stops the rest of a
// database from loading, but it must stay visible to the operator.
struct SkippedRecord {
  std::string file;      // the file name the caller gave the parser
  std::size_t line = 0;  // 1-based line where the record starts
  std::string package;   // the record's package name, empty when it has none
  std::string reason;    // what is wrong, in a sentence
};

struct ParsedPackages {
  std::vector<Package> packages;       // in the order of the database
  std::vector<SkippedRecord> skipped;  // in the order of the database
};

// Formats `record` for a log line or an error message:
// "FILE:LINE: skipped package 'NAME': REASON" (without the package part when
// the record has no name).
std::string describe(const SkippedRecord& record);

}  // namespace pk::inventory
