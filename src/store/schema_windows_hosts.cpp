#include "store/schema_parts.h"

namespace pk::store {

// Windows hosts report a build and KBs instead of packages. Their facts
// live beside the inventory, one row per host, with the installed KBs and
// the updates Windows Update offers. product is inventory::windowsProduct()
// of the facts, or empty when the build names no known product. It is
// indexed so that a changed Windows advisory finds the hosts to evaluate
// again. Findings gain the KB that fixes them on Windows.
Migration windowsHostsMigration() {
  return Migration{
      .version = 8,
      .name = "windows host facts",
      .statements =
          {
              R"sql(CREATE TABLE windows_hosts (
  host_id TEXT PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
  product TEXT NOT NULL,
  edition TEXT NOT NULL,
  release_name TEXT NOT NULL,
  build TEXT NOT NULL,
  installation_type TEXT NOT NULL,
  architecture TEXT NOT NULL
))sql",
              "CREATE INDEX windows_hosts_product ON windows_hosts (product)",
              R"sql(CREATE TABLE windows_host_kbs (
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  kb TEXT NOT NULL,
  PRIMARY KEY (host_id, kb)
))sql",
              R"sql(CREATE TABLE windows_host_updates (
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  kb TEXT NOT NULL,
  title TEXT NOT NULL,
  classification TEXT NOT NULL,
  severity TEXT NOT NULL,
  cve_ids TEXT NOT NULL,
  supersedes TEXT NOT NULL,
  restart_required INTEGER NOT NULL,
  PRIMARY KEY (host_id, kb)
))sql",
              "ALTER TABLE findings ADD COLUMN fix_kb TEXT NOT NULL DEFAULT ''",
          },
  };
}

}  // namespace pk::store
