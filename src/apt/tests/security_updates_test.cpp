#include "apt/security_updates.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "apt/compressed_file.h"
#include "apt/deb_changelog.h"
#include "apt/tests/sandbox.h"

namespace pk::apt {
namespace {

using testing::TempDir;

constexpr std::string_view kSecurityInRelease =
    "deb.debian.org_debian-security_dists_bookworm-security_InRelease";
constexpr std::string_view kSecurityPackages =
    "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages";

std::filesystem::path sharedLists() {
  return testing::sharedData() / "debian/bookworm-security/apt-lists";
}

std::filesystem::path sharedChangelog(std::string_view name) {
  return testing::sharedData() / "debian/bookworm-security/changelogs" /
         (std::string(name) + ".changelog.gz");
}

inventory::Package installed(std::string name, std::string version, std::string architecture,
                             std::string source = "", std::string source_version = "") {
  inventory::Package package;
  package.name = std::move(name);
  package.version = std::move(version);
  package.architecture = std::move(architecture);
  package.source_name = std::move(source);
  package.source_version = std::move(source_version);
  package.state = "installed";
  return package;
}

// Copies the real security lists into ROOT/var/lib/apt/lists under apt's
// names, compressing the index with the real tool for `extension`.
void placeSecurityLists(const std::filesystem::path& root, std::string_view extension) {
  const auto lists = root / "var/lib/apt/lists";
  std::filesystem::create_directories(lists);
  std::filesystem::copy_file(sharedLists() / kSecurityInRelease, lists / kSecurityInRelease);
  const auto plain = lists / kSecurityPackages;
  std::filesystem::copy_file(sharedLists() / "bookworm-security_main_binary-amd64_Packages", plain);
  if (extension == ".lz4")
    testing::runTool({"lz4", "-q", "--rm", plain.string(), plain.string() + ".lz4"});
  if (extension == ".gz") testing::runTool({"gzip", "-1", "-n", plain.string()});
  if (extension == ".xz") testing::runTool({"xz", "-0", plain.string()});
}

// A point-release archive whose newer openssl must not replace the security
// archive's version in the report.
void placeUpdatesLists(const std::filesystem::path& root) {
  const auto lists = root / "var/lib/apt/lists";
  testing::writeFile(lists / "deb.debian.org_debian_dists_bookworm-updates_InRelease",
                     "Origin: Debian\nLabel: Debian\nSuite: oldstable-updates\n"
                     "Codename: bookworm-updates\n");
  testing::writeFile(
      lists / "deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages",
      "Package: openssl\nVersion: 3.0.23-1~deb12u1\nArchitecture: amd64\n\n"
      "Package: bash\nVersion: 5.2.15-2+b9\nArchitecture: amd64\n");
}

// Builds a real .deb with dpkg-deb into ROOT/var/cache/apt/archives. The doc
// folder contains `changelog` as changelog.Debian.gz, or is a link to
// `doc_link` when that is set.
void buildDeb(const std::filesystem::path& root, const std::string& package,
              const std::string& version, const std::string& source,
              const std::filesystem::path& changelog, const std::string& doc_link = "") {
  TempDir tree;
  const auto top = tree.path() / "pkg";
  testing::writeFile(top / "DEBIAN/control",
                     "Package: " + package + "\nSource: " + source + "\nVersion: " + version +
                         "\nArchitecture: amd64\nMaintainer: Test <test@example.org>\n"
                         "Description: test package\n");
  const auto doc = top / "usr/share/doc";
  std::filesystem::create_directories(doc);
  if (!doc_link.empty()) {
    std::filesystem::create_directory_symlink(doc_link, doc / package);
  } else {
    std::filesystem::create_directories(doc / package);
    std::filesystem::copy_file(changelog, doc / package / "changelog.Debian.gz");
  }
  const auto archives = archivesFolder(root);
  std::filesystem::create_directories(archives);
  testing::runTool({"dpkg-deb", "--root-owner-group", "-Zgzip", "--build", top.string(),
                    (archives / debFileName(package, version, "amd64")).string()});
}

const SecurityUpdate* findUpdate(const std::vector<SecurityUpdate>& updates,
                                 std::string_view package) {
  for (const auto& update : updates) {
    if (update.package == package) return &update;
  }
  return nullptr;
}

TEST(FindSecurityUpdates, RealListsAndChangelogs) {
  TempDir root;
  placeSecurityLists(root.path(), ".lz4");
  placeUpdatesLists(root.path());
  buildDeb(root.path(), "openssl", "3.0.22-1~deb12u2", "openssl",
           sharedChangelog("openssl_3.0.22-1~deb12u2"));
  buildDeb(root.path(), "libssl3", "3.0.22-1~deb12u2", "openssl", {}, "openssl");
  buildDeb(root.path(), "jq", "1.6-2.1+deb12u3", "jq", sharedChangelog("jq_1.6-2.1+deb12u3"));
  buildDeb(root.path(), "libssh2-1", "1.10.0-3+deb12u1", "libssh2",
           sharedChangelog("libssh2_1.10.0-3+deb12u1"));
  buildDeb(root.path(), "zlib1g", "1:1.2.13.dfsg-1+deb12u1", "zlib",
           sharedChangelog("zlib_1%1.2.13.dfsg-1+deb12u1"));

  const std::vector<inventory::Package> packages = {
      installed("openssl", "3.0.20-1~deb12u2", "amd64"),
      installed("libssl3", "3.0.22-1~deb12u1", "amd64", "openssl", "3.0.22-1~deb12u1"),
      installed("jq", "1.6-2.1+deb12u1", "amd64"),
      installed("libjq1", "1.6-2.1+deb12u3", "amd64", "jq", "1.6-2.1+deb12u3"),
      installed("libssh2-1", "1.10.0-3", "amd64", "libssh2", "1.10.0-3"),
      installed("zlib1g", "1:1.2.13.dfsg-1", "amd64", "zlib", "1:1.2.13.dfsg-1"),
      installed("libcups2", "2.4.2-3+deb12u8", "amd64", "cups", "2.4.2-3+deb12u8"),
      installed("libexpat1", "2.5.0-1+deb12u1", "i386", "expat", "2.5.0-1+deb12u1"),
      installed("bash", "5.2.15-2+b8", "amd64", "bash", "5.2.15-2"),
  };
  auto updates = findSecurityUpdates(root.path(), packages);
  ASSERT_TRUE(updates.has_value()) << updates.error().message;

  std::vector<std::string> names;
  for (const auto& update : *updates) names.push_back(update.package);
  EXPECT_EQ(names, (std::vector<std::string>{"jq", "libcups2", "libssh2-1", "libssl3", "openssl",
                                             "zlib1g"}));

  const auto* openssl = findUpdate(*updates, "openssl");
  ASSERT_NE(openssl, nullptr);
  EXPECT_EQ(openssl->architecture, "amd64");
  EXPECT_EQ(openssl->source_package, "openssl");
  EXPECT_EQ(openssl->installed_version, "3.0.20-1~deb12u2");
  EXPECT_EQ(openssl->security_version, "3.0.22-1~deb12u2");
  EXPECT_EQ(openssl->suite, "oldstable-security");
  EXPECT_EQ(openssl->codename, "bookworm-security");
  EXPECT_EQ(openssl->label, "Debian-Security");
  EXPECT_EQ(openssl->origin, "Debian");
  EXPECT_EQ(openssl->filename, "pool/updates/main/o/openssl/openssl_3.0.22-1~deb12u2_amd64.deb");
  EXPECT_EQ(openssl->changelog_status, ChangelogStatus::kRead) << openssl->changelog_detail;
  EXPECT_EQ(openssl->cve_ids,
            (std::vector<std::string>{"CVE-2026-35189", "CVE-2026-42767", "CVE-2026-54872",
                                      "CVE-2026-54874", "CVE-2026-63072", "CVE-2026-63074",
                                      "CVE-2026-63076", "CVE-2026-75803", "CVE-2026-75805",
                                      "CVE-2026-75806", "CVE-2026-77696", "CVE-2026-84782"}));

  // libssl3's doc folder links to openssl's, so openssl's .deb supplies it.
  const auto* libssl3 = findUpdate(*updates, "libssl3");
  ASSERT_NE(libssl3, nullptr);
  EXPECT_EQ(libssl3->changelog_status, ChangelogStatus::kRead) << libssl3->changelog_detail;
  EXPECT_EQ(libssl3->installed_source_version, "3.0.22-1~deb12u1");
  EXPECT_EQ(libssl3->cve_ids,
            (std::vector<std::string>{"CVE-2026-35189", "CVE-2026-54872", "CVE-2026-75805",
                                      "CVE-2026-75806", "CVE-2026-77696", "CVE-2026-84782"}));

  const auto* jq = findUpdate(*updates, "jq");
  ASSERT_NE(jq, nullptr);
  EXPECT_EQ(jq->security_version, "1.6-2.1+deb12u3");
  EXPECT_EQ(jq->changelog_status, ChangelogStatus::kRead) << jq->changelog_detail;
  EXPECT_EQ(jq->cve_ids, (std::vector<std::string>{
                             "CVE-2026-32316", "CVE-2026-33947", "CVE-2026-33948", "CVE-2026-39956",
                             "CVE-2026-39979", "CVE-2026-40164", "CVE-2026-41256", "CVE-2026-41257",
                             "CVE-2026-43894", "CVE-2026-43895", "CVE-2026-43896", "CVE-2026-44777",
                             "CVE-2026-47770", "CVE-2026-49839", "CVE-2026-54679"}));

  const auto* libssh2 = findUpdate(*updates, "libssh2-1");
  ASSERT_NE(libssh2, nullptr);
  EXPECT_EQ(libssh2->source_package, "libssh2");
  EXPECT_EQ(libssh2->cve_ids,
            (std::vector<std::string>{"CVE-2025-15661", "CVE-2026-7598", "CVE-2026-58050",
                                      "CVE-2026-58051", "CVE-2026-66032", "CVE-2026-66034"}));

  const auto* zlib = findUpdate(*updates, "zlib1g");
  ASSERT_NE(zlib, nullptr);
  EXPECT_EQ(zlib->security_version, "1:1.2.13.dfsg-1+deb12u1");
  EXPECT_EQ(zlib->cve_ids, (std::vector<std::string>{"CVE-2026-27171", "CVE-2026-85091"}));

  const auto* cups = findUpdate(*updates, "libcups2");
  ASSERT_NE(cups, nullptr);
  EXPECT_EQ(cups->security_version, "2.4.2-3+deb12u11");
  EXPECT_EQ(cups->changelog_status, ChangelogStatus::kNoPackageFile);
  EXPECT_TRUE(cups->cve_ids.empty());
}

TEST(FindSecurityUpdates, IndexCompressions) {
  for (const std::string_view extension : {"", ".lz4", ".gz", ".xz"}) {
    SCOPED_TRACE(extension);
    TempDir root;
    placeSecurityLists(root.path(), extension);
    auto updates =
        findSecurityUpdates(root.path(), {installed("libcups2", "2.4.2-3+deb12u8", "amd64")},
                            {.read_changelogs = false, .download = false});
    ASSERT_TRUE(updates.has_value()) << updates.error().message;
    ASSERT_EQ(updates->size(), 1U);
    EXPECT_EQ((*updates)[0].security_version, "2.4.2-3+deb12u11");
    EXPECT_EQ((*updates)[0].changelog_status, ChangelogStatus::kNotRequested);
  }
}

TEST(FindSecurityUpdates, VersionAndArchitectureTable) {
  struct Case {
    inventory::Package package;
    std::string expected_version;  // empty when no update is expected
  };
  const Case cases[] = {
      {installed("ca-certificates", "20230311+deb12u1", "all"), "20250419~deb12u2"},
      {installed("ca-certificates", "20250419~deb12u2", "all"), ""},
      {installed("jq", "1.6-2.1+deb12u3", "amd64"), ""},
      {installed("jq", "1.6-2.1+deb12u3~bpo1", "amd64"), "1.6-2.1+deb12u3"},
      {installed("jq", "1.6-2.1+deb12u4", "amd64"), ""},
      {installed("jq", "1.6-2.1+deb12u1", "arm64"), ""},
      {installed("activemq", "5.17.2+dfsg-2", "amd64"), "5.17.2+dfsg-2+deb12u1"},
      {installed("no-such-package", "1.0", "amd64"), ""},
  };
  TempDir root;
  placeSecurityLists(root.path(), "");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.package.name + " " + c.package.version + " " + c.package.architecture);
    auto updates = findSecurityUpdates(root.path(), {c.package}, {.read_changelogs = false});
    ASSERT_TRUE(updates.has_value()) << updates.error().message;
    if (c.expected_version.empty()) {
      EXPECT_TRUE(updates->empty());
      continue;
    }
    ASSERT_EQ(updates->size(), 1U);
    EXPECT_EQ((*updates)[0].security_version, c.expected_version);
    EXPECT_EQ((*updates)[0].architecture, c.package.architecture);
  }
}

TEST(FindSecurityUpdates, UbuntuSecurityPocket) {
  TempDir root;
  const auto lists = root.path() / "var/lib/apt/lists";
  testing::writeFile(lists / "security.ubuntu.com_ubuntu_dists_noble-security_InRelease",
                     "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Ubuntu\n"
                     "Label: Ubuntu\nSuite: noble-security\nVersion: 24.04\nCodename: noble\n"
                     "-----BEGIN PGP SIGNATURE-----\n\nxyz\n-----END PGP SIGNATURE-----\n");
  testing::writeFile(
      lists / "security.ubuntu.com_ubuntu_dists_noble-security_main_binary-amd64_Packages",
      "Package: libssl3t64\nSource: openssl\nVersion: 3.0.13-0ubuntu3.5\nArchitecture: amd64\n");
  testing::writeFile(lists / "archive.ubuntu.com_ubuntu_dists_noble_InRelease",
                     "Origin: Ubuntu\nLabel: Ubuntu\nSuite: noble\nCodename: noble\n");
  testing::writeFile(lists / "archive.ubuntu.com_ubuntu_dists_noble_main_binary-amd64_Packages",
                     "Package: libssl3t64\nSource: openssl\nVersion: 3.0.13-0ubuntu3.9\n"
                     "Architecture: amd64\n");

  auto updates =
      findSecurityUpdates(root.path(), {installed("libssl3t64", "3.0.13-0ubuntu3.4", "amd64")});
  ASSERT_TRUE(updates.has_value()) << updates.error().message;
  ASSERT_EQ(updates->size(), 1U);
  EXPECT_EQ((*updates)[0].security_version, "3.0.13-0ubuntu3.5");
  EXPECT_EQ((*updates)[0].suite, "noble-security");
  EXPECT_EQ((*updates)[0].codename, "noble");
  EXPECT_EQ((*updates)[0].label, "Ubuntu");
  EXPECT_EQ((*updates)[0].source_package, "openssl");
  EXPECT_EQ((*updates)[0].changelog_status, ChangelogStatus::kNoPackageFile);
}

TEST(FindSecurityUpdates, DamagedIndexFails) {
  TempDir root;
  placeSecurityLists(root.path(), ".lz4");
  const auto index = root.path() / "var/lib/apt/lists" / (std::string(kSecurityPackages) + ".lz4");
  const std::string data = testing::readFile(index);
  testing::writeFile(index, data.substr(0, data.size() / 2));
  auto updates = findSecurityUpdates(root.path(), {installed("jq", "1.6-2.1", "amd64")});
  ASSERT_FALSE(updates.has_value());
  EXPECT_EQ(updates.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(updates.error().message.find(index.string()), std::string::npos)
      << updates.error().message;
}

TEST(FindSecurityUpdates, MissingListsFolder) {
  TempDir root;
  auto updates = findSecurityUpdates(root.path(), {});
  ASSERT_FALSE(updates.has_value());
  EXPECT_EQ(updates.error().code, ErrorCode::kNotFound);
}

TEST(ReadDebChangelog, NoChangelogAndLink) {
  TempDir root;
  buildDeb(root.path(), "libssl3", "3.0.22-1~deb12u2", "openssl", {}, "openssl");
  auto doc = readDebChangelog(archivesFolder(root.path()) / "libssl3_3.0.22-1~deb12u2_amd64.deb",
                              "libssl3");
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  EXPECT_FALSE(doc->changelog.has_value());
  EXPECT_EQ(doc->linked_package, "openssl");
}

TEST(ReadDebChangelog, DamagedDebFails) {
  TempDir root;
  const auto path = root.path() / "broken_1_amd64.deb";
  testing::writeFile(path, "!<arch>\nnot really a deb");
  auto doc = readDebChangelog(path, "broken");
  ASSERT_FALSE(doc.has_value());
  EXPECT_EQ(doc.error().code, ErrorCode::kIoError);
  EXPECT_NE(doc.error().message.find("dpkg-deb"), std::string::npos) << doc.error().message;
}

TEST(DebFileName, EpochEscaped) {
  EXPECT_EQ(debFileName("zlib1g", "1:1.2.13.dfsg-1+deb12u1", "amd64"),
            "zlib1g_1%3a1.2.13.dfsg-1+deb12u1_amd64.deb");
  EXPECT_EQ(debFileName("jq", "1.6-2.1+deb12u3", "amd64"), "jq_1.6-2.1+deb12u3_amd64.deb");
}

}  // namespace
}  // namespace pk::apt
