#pragma once

// Reads an rpm database by running the `rpm` command: rpm's own code is the
// only reliable reader of its BerkeleyDB, NDB and SQLite formats.

#include <filesystem>
#include <string>

#include "common/error.h"
#include "inventory/parsed_packages.h"

namespace pk::inventory {

// Runs `RPM --root ROOT --dbpath DB_PATH -qa --queryformat kRpmQueryFormat`
// and parses its output with parseRpmQueryOutput. `db_path` is absolute
// inside `root` ("/var/lib/rpm"); it is always passed because Debian's rpm
// looks in ~/.rpmdb by default. Which formats load depends on the rpm that
// runs: Debian 12's rpm 4.18 reads SQLite and, read-only, BerkeleyDB.
// Fails with kNotFound when `rpm_program` cannot be started, and with
// kIoError naming the command and quoting its standard error when rpm exits
// with a non-zero status.
Result<ParsedPackages> readRpmDatabase(const std::filesystem::path& root,
                                       const std::string& db_path,
                                       const std::string& rpm_program = "rpm");

}  // namespace pk::inventory
