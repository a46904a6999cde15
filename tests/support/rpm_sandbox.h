#pragma once

// Builds rpm sandbox roots for tests: tiny noarch rpms made with the real
// `rpmbuild` at test time, installed with the real `rpm` into
// ROOT/var/lib/rpm (an SQLite rpmdb with Debian 12's rpm 4.18). The result
// reads back with pk::inventory::readHostInventory(ROOT).
//
//   auto dir = TemporaryDirectory::create("rpm");
//   ASSERT_TRUE(dir);
//   ASSERT_TRUE(buildAndInstallRpms(dir->path(),
//       {{.name = "openssl-libs", .epoch = 1, .version = "3.0.7", .release = "27.el9",
//         .source_name = "openssl"}}));
//
// Needs `rpmbuild` and `rpm` in PATH; Debian 12's `rpm` package ships both.
// Packages are installed with --justdb and --noscripts, so no files land in
// the root besides the database.
// NOTE: only tested as root; rpm --root may need privileges as another user.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "tests/support/temporary_directory.h"

namespace pk::test_support {

// One binary rpm to build. With `source_name` unset the spec's own package is
// the binary, so its source rpm is NAME-VERSION-RELEASE.src.rpm. With
// `source_name` set, the spec is named after the source and the binary is a
// subpackage (`%package -n NAME`) with its own Epoch, Version and Release,
// so the binary's version can differ from its source rpm's.
struct RpmSpec {
  std::string name{};
  std::optional<std::uint32_t> epoch{};  // no Epoch: tag when unset
  std::string version{};
  std::string release{};
  std::optional<std::string> source_name{};
  std::optional<std::string> source_version{};  // defaults to `version`
  std::optional<std::string> source_release{};  // defaults to `release`
};

// Returns the text of the spec file that buildRpm builds for `spec`.
std::string formatSpecFile(const RpmSpec& spec);

// Runs `rpmbuild -bb` on formatSpecFile(spec) with _topdir set to
// `top_dir`, and returns the path of the one binary rpm it wrote. Fails with
// kIoError quoting rpmbuild's output when the build fails.
Result<std::filesystem::path> buildRpm(const RpmSpec& spec, const std::filesystem::path& top_dir);

// Runs `rpm --root ROOT --dbpath /var/lib/rpm -i --nodeps --justdb
// --noscripts RPMS...`. Fails with kIoError quoting rpm's standard error.
Result<void> installRpms(const std::filesystem::path& root,
                         const std::vector<std::filesystem::path>& rpms);

// Builds every spec in a temporary folder (removed afterwards) and installs
// them all into ROOT in one transaction.
Result<void> buildAndInstallRpms(const std::filesystem::path& root,
                                 const std::vector<RpmSpec>& specs);

}  // namespace pk::test_support
