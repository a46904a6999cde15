#include "cli/scan_command.h"

#include <unistd.h>

#include <array>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "advisory/feed.h"
#include "apt/security_updates.h"
#include "cli/exit_codes.h"
#include "inventory/host_reader.h"
#include "inventory/windows_inventory.h"
#include "matching/index.h"

namespace pk::cli {
namespace {

// At most this many malformed feed records are listed on stderr; the rest
// are only counted, so a broken feed cannot flood the terminal.
constexpr std::size_t kMaxIssuesShown = 20;

// A progress line on stderr every this many feed files: a few lines for a
// distribution's OSV folder of some thousand records.
constexpr std::size_t kProgressEveryFiles = 500;

std::optional<OutputFormat> parseFormat(const std::string& name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "json") return OutputFormat::kJson;
  if (name == "csv") return OutputFormat::kCsv;
  return std::nullopt;
}

int exitCodeFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kMalformedInput:
    case ErrorCode::kUnsupported:
      return kExitInvalidInput;
    default:
      return kExitError;
  }
}

// Turns the host's pending security-archive updates into findings. The
// advisory id names the archive and the source version that fixes them,
// such as "oldstable-security/openssl_3.0.15-1~deb12u1".
std::vector<matching::Finding> securityUpdateFindings(
    const std::vector<apt::SecurityUpdate>& updates, const inventory::HostInventory& host,
    const advisory::Enrichment& enrichment) {
  std::vector<matching::Finding> findings;
  for (const auto& update : updates) {
    matching::Finding finding;
    finding.package = update.package;
    finding.source_package = update.source_package;
    finding.installed_version = update.installed_version;
    finding.compared_version = update.installed_version;
    finding.fixed_version = update.security_version;
    std::string archive = update.suite.empty() ? update.codename : update.suite;
    finding.advisory_id =
        fmt::format("{}/{}_{}", archive, update.source_package, update.security_source_version);
    finding.advisory_source = "apt-security";
    finding.aliases = update.cve_ids;
    finding.ecosystem = host.os.ecosystem;
    matching::enrich(finding, enrichment);
    findings.push_back(std::move(finding));
  }
  return findings;
}

void printIssues(const advisory::LoadReport& report, std::ostream& err) {
  std::size_t printed = 0;
  for (const auto& issue : report.issues) {
    if (printed++ == kMaxIssuesShown) break;
    err << fmt::format("patchkeeper: skipped record {} in {} ({}): {}\n",
                       issue.record_id.empty() ? "(no id)" : issue.record_id, issue.file,
                       issue.field.empty() ? "-" : issue.field, issue.message);
  }
  if (report.issues.size() > kMaxIssuesShown) {
    err << fmt::format("patchkeeper: {} more malformed records skipped\n",
                       report.issues.size() - kMaxIssuesShown);
  }
}

// A host, or the exit status of a failed read whose message was printed.
using HostRead = tl::expected<inventory::HostInventory, int>;

HostRead readRoot(const ScanOptions& options, std::ostream& err) {
  inventory::HostReadOptions read_options;
  if (!options.running_kernel.empty()) {
    read_options.running_kernel_release = options.running_kernel;
  } else if (options.root == "/") {
    read_options.running_kernel_release = inventory::runningKernelRelease();
  }
  read_options.on_skipped_record = [&err](const inventory::SkippedRecord& record) {
    err << fmt::format("patchkeeper: skipped package {} at {}:{}: {}\n",
                       record.package.empty() ? "(unnamed)" : record.package, record.file,
                       record.line, record.reason);
  };
  auto host = inventory::readHostInventory(options.root, read_options);
  if (!host) {
    err << "patchkeeper: " << host.error().message << '\n';
    return tl::unexpected(exitCodeFor(host.error()));
  }
  return std::move(*host);
}

// Reads --windows-inventory. Elements the reader skips are listed on
// stderr, and the rest is scanned.
HostRead readWindowsInventory(const ScanOptions& options, std::ostream& err) {
  const std::string& path = options.windows_inventory;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << fmt::format("patchkeeper: cannot open Windows inventory {}\n", path);
    return tl::unexpected(kExitInvalidInput);
  }
  std::string text;
  std::array<char, 65536> buffer{};
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
    text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > inventory::kMaxWindowsInventoryBytes) break;
  }
  std::vector<inventory::WindowsInventoryIssue> issues;
  auto document = inventory::parseWindowsInventory(text, path, issues);
  for (const auto& issue : issues) {
    err << "patchkeeper: skipped " << inventory::describe(issue) << '\n';
  }
  if (!document) {
    err << "patchkeeper: " << document.error().message << '\n';
    return tl::unexpected(exitCodeFor(document.error()));
  }
  return inventory::toHostInventory(*document);
}

// Findings for the security updates Windows Update offers the host, as the
// server makes them: advisory id "security-update:KB" + the KB.
std::vector<matching::Finding> windowsUpdateFindings(const inventory::HostInventory& host,
                                                     const advisory::Enrichment& enrichment) {
  std::vector<matching::Finding> findings;
  if (!host.windows) return findings;
  std::string product = inventory::windowsProduct(*host.windows).value_or("Windows");
  for (const auto& update : host.windows->pending_updates) {
    if (update.classification != "Security Updates" && update.cve_ids.empty()) continue;
    matching::Finding finding;
    finding.package = product;
    finding.installed_version = host.windows->build;
    finding.compared_version = host.windows->build;
    finding.advisory_id = "security-update:KB" + update.kb;
    finding.advisory_source = "windows-update";
    finding.aliases = update.cve_ids;
    finding.ecosystem = std::string(advisory::kWindowsEcosystem);
    finding.severity = advisory::parseSeverityWord(update.severity);
    finding.fix_kb = update.kb;
    matching::enrich(finding, enrichment);
    findings.push_back(std::move(finding));
  }
  return findings;
}

}  // namespace

void addScanCommand(CLI::App& app, ScanOptions& options, int& exit_status) {
  auto* scan = app.add_subcommand(
      "scan",
      "List the vulnerable packages of a host, most severe first.\n"
      "Exit status: 0 nothing found, 1 findings, 2 invalid input, 3 a root or feed could not "
      "be read.");
  auto* root = scan->add_option("--root", options.root, "root directory of the host to scan")
                   ->capture_default_str();
  scan->add_option("--windows-inventory", options.windows_inventory,
                   "scan a Windows host from its inventory document (JSON; see "
                   "docs/WINDOWS-INVENTORY.md) instead of a root directory")
      ->excludes(root);
  scan->add_option(
      "--advisories", options.advisories,
      "advisory feed: OSV file, folder or zip; Debian tracker JSON; DSA/DLA list; "
      "Alpine secdb; CSAF file, folder or tar.xz; MSRC CVRF document or CVE -> KB table; "
      "KEV or EPSS file (repeatable)");
  scan->add_flag("--download", options.download,
                 "fetch the security updates' packages through apt to read the CVE ids in their "
                 "changelogs");
  scan->add_flag("!--no-apt-security", options.apt_security,
                 "do not check the host's own security archives (Debian and Ubuntu)");
  scan->add_option("--format", options.format, "table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  scan->add_option("--running-kernel", options.running_kernel,
                   "running kernel release of the scanned host, to tell whether a newer "
                   "installed kernel needs a restart (default for root /: this machine's)");
  scan->add_flag("-q,--quiet", options.quiet, "do not show progress on stderr");
  scan->callback(
      [&options, &exit_status] { exit_status = runScan(options, std::cout, std::cerr); });
}

int runScan(const ScanOptions& options, std::ostream& out, std::ostream& err) {
  auto format = parseFormat(options.format);
  if (!format) {
    err << fmt::format("patchkeeper: unknown format '{}'; expected table, json or csv\n",
                       options.format);
    return kExitInvalidInput;
  }

  // The host first: a wrong --root should fail before minutes of feed loading.
  auto host = options.windows_inventory.empty() ? readRoot(options, err)
                                                : readWindowsInventory(options, err);
  if (!host) return host.error();

  // Advisories are keyed by ecosystem or Windows product; without one
  // nothing can match, and a clean report would be a false negative.
  if (host->windows && !inventory::windowsProduct(*host->windows) && !options.advisories.empty()) {
    err << fmt::format(
        "patchkeeper: cannot tell which Windows product build {} ({}, {}) is, so no advisory "
        "can be matched; check the os fields of {}\n",
        host->windows->build, host->windows->installation_type, host->windows->edition,
        options.windows_inventory);
    return kExitError;
  }
  if (!host->windows && host->os.ecosystem.empty() && !options.advisories.empty()) {
    err << fmt::format(
        "patchkeeper: cannot tell which distribution release {} runs (os-release ID={}, "
        "VERSION_ID={}), so no advisory can be matched; check its etc/os-release\n",
        options.root, host->os.id.empty() ? "(none)" : host->os.id,
        host->os.version_id.empty() ? "(none)" : host->os.version_id);
    return kExitError;
  }

  matching::AdvisoryIndex index;
  advisory::Enrichment enrichment;
  advisory::LoadReport report;
  for (const auto& path : options.advisories) {
    advisory::FeedLoadOptions load_options;
    if (!options.quiet) {
      load_options.on_progress = [&err](const advisory::FeedProgress& progress,
                                        const std::filesystem::path&) {
        if (progress.files_read % kProgressEveryFiles == 0) {
          err << fmt::format("patchkeeper: loading advisories: {} files, {} advisories\n",
                             progress.files_read, progress.advisories);
        }
      };
    }
    std::size_t advisories_before = index.advisoryCount();
    std::size_t kev_before = enrichment.kev.size();
    std::size_t epss_before = enrichment.epss.size();
    auto loaded = advisory::loadFeed(
        path, [&](advisory::Advisory&& record) { index.add(std::move(record), report); },
        enrichment, report, load_options);
    if (!loaded) {
      err << "patchkeeper: " << loaded.error().message;
      if (loaded.error().code == ErrorCode::kNotFound) err << "; check the --advisories path";
      err << '\n';
      return exitCodeFor(loaded.error());
    }
    if (!options.quiet) {
      std::string loaded_what =
          fmt::format("{} advisories", index.advisoryCount() - advisories_before);
      if (enrichment.kev.size() != kev_before) {
        loaded_what += fmt::format(", {} KEV entries", enrichment.kev.size() - kev_before);
      }
      if (enrichment.epss.size() != epss_before) {
        loaded_what += fmt::format(", {} EPSS scores", enrichment.epss.size() - epss_before);
      }
      err << fmt::format("patchkeeper: loaded {} from {}\n", loaded_what, path);
    }
  }
  printIssues(report, err);
  index.setEnrichment(enrichment);

  ScanReport scan;
  scan.root = options.windows_inventory.empty() ? options.root : options.windows_inventory;
  scan.findings = index.match(*host);
  if (host->windows) {
    auto offered = windowsUpdateFindings(*host, enrichment);
    scan.findings.insert(scan.findings.end(), offered.begin(), offered.end());
    std::stable_sort(scan.findings.begin(), scan.findings.end(), matching::moreUrgent);
  }
  scan.advisories_loaded = index.advisoryCount();
  scan.records_skipped = report.records_skipped;

  bool debian_family = host->scheme == version::Scheme::kDpkg;
  if (options.apt_security && debian_family) {
    std::vector<inventory::Package> installed;
    for (const auto& package : host->packages) {
      if (inventory::isInstalledState(package.state)) installed.push_back(package);
    }
    apt::SecurityUpdateOptions update_options;
    update_options.download = options.download;
    auto updates = apt::findSecurityUpdates(options.root, installed, update_options);
    if (updates) {
      auto found = securityUpdateFindings(*updates, *host, enrichment);
      scan.findings.insert(scan.findings.end(), found.begin(), found.end());
      std::stable_sort(scan.findings.begin(), scan.findings.end(), matching::moreUrgent);
    } else if (updates.error().code == ErrorCode::kNotFound) {
      // A root without apt lists (a bare dpkg database) has no archives to ask.
      if (!options.quiet) err << "patchkeeper: no apt lists; " << updates.error().message << '\n';
    } else {
      err << "patchkeeper: " << updates.error().message << '\n';
      return kExitError;
    }
  } else if (options.download && !debian_family) {
    err << "patchkeeper: --download applies only to Debian and Ubuntu hosts; ignored\n";
  }

  scan.host = std::move(*host);
  writeScanReport(scan, *format, out);
  if (!options.quiet && *format != OutputFormat::kTable) err << summaryLine(scan) << '\n';
  return scan.findings.empty() ? kExitOk : kExitFindings;
}

}  // namespace pk::cli
