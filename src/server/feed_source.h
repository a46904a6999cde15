#pragma once

// One configured advisory feed, as the [[feeds]] tables of the server's
// configuration file name it.

#include <optional>
#include <string>

namespace pk::server {

struct FeedSource {
  std::string name;  // unique, "debian-tracker", "osv-debian"; used in the API and metrics
  // What the source holds: "osv" (a file, a folder or a zip of OSV records),
  // "debian-tracker" (the tracker's JSON export), "alpine-secdb", "csaf",
  // "kev", "epss", "msrc-cvrf" (MSRC's monthly CVRF documents) or
  // "kb-mapping" (a CVE -> KB table). "auto" recognises the format from the
  // content.
  std::string kind = "auto";
  std::string url;             // https:// or http:// to download; exclusive with path
  std::string path;            // a local file or folder
  int interval_minutes = 360;  // how often the job runner syncs it
  // A sync that would remove more than this share of the feed's records
  // waits for an admin to confirm it.
  double max_removal_share = 0.10;
};

}  // namespace pk::server
