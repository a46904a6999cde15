#pragma once

// Windows advisories: MSRC's monthly CVRF documents and the CVE -> KB
// tables turned into the common advisory model, so that they are stored,
// synced and indexed like every other feed.
//
// One advisory per CVE (or ADV id), with source "msrc-cvrf" or
// "kb-mapping". Each Windows product the fixes name becomes one affected
// entry: ecosystem kWindowsEcosystem, name the product key of
// windowsProductOfMsrcName ("Windows Server 2019"), no ranges, and kb_fixes
// listing the KB updates that fix the CVE there, one per KB and fixed build.
// Products that are not Windows itself (Office, Exchange, .NET Framework,
// Windows App) have no product key. Their fixes are counted in
// records_withdrawn and left out, so a CVE that names no Windows product
// gives no advisory.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "advisory/advisory.h"
#include "advisory/kb_mapping.h"
#include "advisory/msrc_cvrf.h"

namespace pk::advisory {

// Returns the product key of an MSRC product name, or of a KB table's "os",
// as inventory::windowsProduct() names the product of a host: the family
// and its release, without architecture or installation type, which share
// KBs and builds. Case-insensitive. For example:
//   "Windows 10 Version 22H2 for x64-based Systems"        "Windows 10 22H2"
//   "Windows 10 Version 22H2"                              "Windows 10 22H2"
//   "Windows 10 for 32-bit Systems"                        "Windows 10 1507"
//   "Windows 11 version 21H2 for ARM64-based Systems"      "Windows 11 21H2"
//   "Windows Server 2019 (Server Core installation)"       "Windows Server 2019"
//   "Windows Server 2022, 23H2 Edition (Server Core ...)"  "Windows Server 2022 23H2"
//   "Windows Server 2008 R2 for x64-based Systems Service Pack 1"
//                                                          "Windows Server 2008 R2 SP1"
// nullopt for anything else, such as "Microsoft .NET Framework 4.8 on
// Windows Server 2012" or "Windows Admin Center".
std::optional<std::string> windowsProductOfMsrcName(std::string_view name);

// Sends the advisories of one CVRF document to `sink`, in CVE order. Each
// entry's severity is the MSRC severity word of its product's fixes
// (Critical, Important, Moderate, Low, read by parseSeverityWord), and the
// advisory's is the highest of them. summary is the document title and
// published its initial release date.
void windowsAdvisoriesFromCvrf(const CvrfDocument& document, const AdvisorySink& sink,
                               LoadReport& report);

// Sends the advisories of a CVE -> KB table to `sink`, in CVE order.
// cvss_score is the highest score of the CVE's rows and severity follows
// from it (9.0 and up critical, 7.0 high, 4.0 medium, above 0 low). A
// fixed build without major.minor ("20348.3807" in the JSON form) gets the
// major.minor its build number belongs to (10.0 here, 6.3 for 9600). A row
// whose fixed build is not one Windows build, such as "2.0.50727.8984 &
// 3.0.30729.8980", is reported in `report` (file `origin`) and left out.
void windowsAdvisoriesFromKbMapping(const std::vector<KbMapping>& rows, std::string_view origin,
                                    const AdvisorySink& sink, LoadReport& report);

}  // namespace pk::advisory
