#pragma once

// Reader of the Microsoft Security Response Center's monthly security update
// documents in CVRF XML (cvrfDocument-2025-Jun.xml and the like). Each
// document lists the products of the month in a ProductTree and one
// Vulnerability element per CVE, whose Remediations name the KB updates that
// fix it for each product.
//
// Each Remediation of Type "Vendor Fix" whose Description is a KB number
// ("5060533", or "KB5060533") gives one WindowsFix per ProductID it lists:
//   cve              the Vulnerability's CVE element
//   product_id       the ProductID, such as "11929"
//   product_name     the ProductTree's FullProductName for that id
//   product_family   the Name of the enclosing ProductTree Branch of Type
//                    "Product Family" ("Windows", "ESU", "Microsoft Office"),
//                    or empty when the product sits outside one
//   kb               the KB number, digits only
//   url              the Remediation's URL (usually the update catalog), or empty
//   supersedes       the KB numbers of the Supercedence element (Microsoft's
//                    spelling; "Supersedence" is read too), split at commas,
//                    semicolons and blanks
//   fixed_build      the FixedBuild text as published
//   update_type      the SubType: "Security Update", "SecurityHotpatchUpdate",
//                    "Monthly Rollup", "Security Only", ...
//   restart_required RestartRequired: Yes, No, Maybe, or kUnknown when empty
//   severity         the Description of the Vulnerability's Threat of Type
//                    "Severity" that lists the product ("Critical",
//                    "Important", ...), or empty when none does
//
// Other remediations (Release Notes, Known Issue, Workaround, Vendor Fix
// entries that name a package or a release note instead of a KB, as those
// for Azure Linux do) are not KB updates and are passed over without an issue.
//
// fixed_build is not always a Windows build: Office, SQL Server and .NET
// fixes carry their own product versions, and some ESU fixes for Windows
// Server 2008 carry "1.000". Callers that compare it as a Windows build
// must validate it with version::windows::parse first.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::advisory {

enum class RestartRequired { kUnknown, kYes, kNo, kMaybe };

// Returns "unknown", "yes", "no" or "maybe".
std::string_view restartRequiredName(RestartRequired restart);

// One KB update that fixes one CVE on one product.
struct WindowsFix {
  std::string cve;
  std::string product_id;
  std::string product_name;
  std::string product_family;
  std::string kb;
  std::string url;
  std::vector<std::string> supersedes;
  std::string fixed_build;
  std::string update_type;
  RestartRequired restart_required = RestartRequired::kUnknown;
  std::string severity;
};

// One monthly document: its tracking data and the fixes it lists, in
// document order (by Vulnerability, then Remediation, then ProductID).
struct CvrfDocument {
  std::string id;                    // DocumentTracking/Identification/ID, "2025-Jun"
  std::string title;                 // DocumentTitle, "June 2025 Security Updates"
  std::string initial_release_date;  // as written: "2025-06-10T07:00:00", no time zone
  std::string current_release_date;
  std::vector<WindowsFix> fixes;
};

// Parses one CVRF document. `origin` names the file in each LoadIssue and
// message.
//
// A KB remediation that cannot be used becomes a LoadIssue and is skipped;
// the rest of the document still loads. The record_id is the CVE,
// its field the element ("Remediation 3/FixedBuild", counting the
// Vulnerability's Remediation elements from 1), and its message reads like
// "CVRF cvrfDocument-2025-Jun.xml: Vulnerability CVE-2025-33073:
// Remediation 3: missing FixedBuild". Reported: a Vulnerability without a
// CVE or ADV id (the whole Vulnerability is skipped), a KB remediation
// without ProductID or with an empty or missing FixedBuild, a RestartRequired
// other than Yes, No, Maybe or empty, a Supercedence that is not a list of
// KB numbers, and a ProductID that the ProductTree does not define (only
// that product is skipped). The ProductTree must come before the
// Vulnerability elements, as the CVRF schema orders them.
//
// XML that is not well-formed (a truncated download, say) becomes one
// LoadIssue with its line and column; the fixes of every Vulnerability that
// ended before the error are kept. report.records_loaded counts the fixes
// returned.
//
// Fails with kMalformedInput, and nothing is returned, when the root element
// is not cvrfdoc, when the XML breaks before the root element ends its
// start tag, or when the document declares XML entities (rejected so that
// no input can expand without bound).
Result<CvrfDocument> parseMsrcCvrf(std::string_view xml, std::string_view origin,
                                   LoadReport& report);

// Reads the file at `path` and parses it as parseMsrcCvrf does, naming it by
// its file name. Fails with kNotFound when it does not exist and kIoError
// when it cannot be read.
Result<CvrfDocument> readMsrcCvrf(const std::filesystem::path& path, LoadReport& report);

}  // namespace pk::advisory
