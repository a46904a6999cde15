#pragma once

// Rendering of `patchkeeper scan` results as a table, JSON or CSV.

#include <iosfwd>
#include <string>
#include <vector>

#include "inventory/inventory.h"
#include "matching/finding.h"

namespace pk::cli {

enum class OutputFormat { kTable, kJson, kCsv };

struct ScanReport {
  std::string root;  // the scanned root directory
  inventory::HostInventory host;
  std::vector<matching::Finding> findings;  // most urgent first
  std::size_t advisories_loaded = 0;
  std::size_t records_skipped = 0;  // malformed feed records
};

// Writes the findings in `format`, followed (for the table) by a one-line
// summary. JSON has the shape {"host": {...}, "findings": [...],
// "summary": {...}}; CSV has one header row and one row per finding.
void writeScanReport(const ScanReport& report, OutputFormat format, std::ostream& out);

// Returns the one-line summary, such as
// "3 findings (1 critical, 2 high; 1 known exploited) in 812 packages on Debian GNU/Linux 12".
std::string summaryLine(const ScanReport& report);

}  // namespace pk::cli
