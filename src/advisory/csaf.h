#pragma once

// Reader of CSAF 2.0 advisories for rpm distributions, as Red Hat and CIQ
// (for Rocky Linux) publish them: one JSON document per advisory.
//
// A document becomes one Advisory:
//   id         document.tracking.id ("CRLSA-2025:0210", "RHSA-2025:0210")
//   source     "csaf"
//   summary    document.title
//   aliases    the CVE ids of vulnerabilities[], in document order, once each
//   severity   document.aggregate_severity.text (Red Hat's words); when that
//              is absent or unknown, the highest `impact` threat, then the
//              baseSeverity of the highest CVSS v3 score
//   cvss       the highest cvss_v3 baseScore over all vulnerabilities, with
//              its vectorString
//   published  tracking.initial_release_date; modified tracking.current_release_date
//
// Affected packages come from product_status.fixed only. Each fixed product
// id names a relationship (default_component_of) that joins a package, a
// product_version of the product tree, to a product such as "Rocky Linux
// from CIQ 9.5". Each gives one AffectedPackage with the range
// {introduced "0", fixed EVR}:
//   name       the rpm name, from the purl (pkg:rpm/<vendor>/<name>@<V>-<R>
//              ?arch=..&epoch=..) or else from the product_version name in
//              N-[E:]V-R.A form ("openssl-1:3.0.7-27.el9.x86_64")
//   EVR        [epoch:]version-release; an epoch of 0 is left out, because
//              rpm treats an absent epoch as 0
//   name_kind  kSource when the arch is "src", kBinary otherwise. A document
//              that lists the binaries and the source rpm keeps both.
//   ecosystem  from the product's CPE, or from its name when it has none:
//              Rocky Linux (vendor rocky/resf, or CIQ's rocky_linux_from_ciq)
//                -> "Rocky Linux:<major>", as OSV names it
//              AlmaLinux -> "AlmaLinux:<major>"
//              Red Hat (vendor redhat) -> "Red Hat:" + the CPE without its
//                "cpe:/o:redhat:" or "cpe:2.3:o:redhat:" prefix, such as
//                "Red Hat:enterprise_linux:9::appstream"; a Red Hat product
//                without a CPE gives "Red Hat:" + its name
//              A Rocky Linux product without a version ("Rocky Linux from CIQ")
//              takes its major version from the release's distribution tag
//              (".el9_5", "+el9.8.0").
// Entries equal in (ecosystem, name, name_kind, fixed) are kept once, so the
// x86_64, aarch64, ppc64le and s390x builds of one rpm give one entry.
//
// The epoch of a source entry comes from the source rpm's own purl or name.
// An installed rpm's SOURCERPM tag never carries an epoch, so a matcher that
// compares a source entry with SOURCERPM must take the epoch from the binary.
//
// Not read: known_affected, under_investigation and other statuses (they give
// no fixed version), remediations, and product_version entries whose purl is
// not pkg:rpm (modules, containers), which are skipped without an issue.

#include <string_view>

#include "advisory/advisory.h"
#include "common/error.h"

namespace pk::advisory {

// The value of Advisory::source for advisories read from CSAF documents.
inline constexpr std::string_view kCsafSource = "csaf";

// Parses one CSAF document and passes its advisory to `sink`. `origin` names
// the file in LoadIssue::file.
//
// Each fixed product that cannot be used is reported in `report` with the
// document's id and the JSON pointer of the product reference, and skipped;
// the rest of the document still loads. Reported: a product id that no
// relationship or product defines, a package that is not joined to a product,
// a product that maps to no known ecosystem, a package whose name and version
// cannot be read, and an EVR that rpm's rules reject. records_loaded counts
// the document when its advisory is passed to `sink`, even when every
// product was skipped.
//
// Fails with kMalformedInput, without calling `sink`, when the text is not
// JSON, has no "document" object, or has no document.tracking.id string.
Result<void> parseCsafDocument(std::string_view json, std::string_view origin,
                               const AdvisorySink& sink, LoadReport& report);

}  // namespace pk::advisory
