#include "inventory/os_release.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "inventory/tests/shared_data.h"

namespace pk::inventory {
namespace {

struct EcosystemCase {
  const char* id;
  const char* version_id;
  const char* ecosystem;
};

struct CodenameCase {
  const char* version_codename;
  const char* ecosystem;
};

TEST(OsvEcosystem, MapsDebianCodenames) {
  const std::vector<CodenameCase> cases = {
      {"buster", "Debian:10"},   {"bullseye", "Debian:11"},
      {"bookworm", "Debian:12"}, {"trixie", "Debian:13"},
      {"forky", "Debian:14"},    {"sid", ""},
      {"unknown", ""},           {"", ""},
  };
  for (const CodenameCase& test_case : cases) {
    SCOPED_TRACE(test_case.version_codename);
    EXPECT_EQ(osvEcosystem("debian", "", test_case.version_codename), test_case.ecosystem);
  }
  EXPECT_EQ(osvEcosystem("debian", "12", "trixie"), "Debian:12");
  EXPECT_EQ(osvEcosystem("ubuntu", "", "noble"), "");
}

TEST(OsvEcosystem, MapsTable) {
  const std::vector<EcosystemCase> cases = {
      {"debian", "12", "Debian:12"},
      {"debian", "11", "Debian:11"},
      {"debian", "", ""},
      {"ubuntu", "24.04", "Ubuntu:24.04:LTS"},
      {"ubuntu", "22.04", "Ubuntu:22.04:LTS"},
      {"ubuntu", "23.10", "Ubuntu:23.10"},
      {"ubuntu", "23.04", "Ubuntu:23.04"},
      {"ubuntu", "24.10", "Ubuntu:24.10"},
      {"almalinux", "9.4", "AlmaLinux:9"},
      {"almalinux", "8", "AlmaLinux:8"},
      {"rocky", "9.4", "Rocky Linux:9"},
      {"alpine", "3.20.3", "Alpine:v3.20"},
      {"alpine", "3.21.0_alpha20240807", "Alpine:v3.21"},
      {"alpine", "3", ""},
      {"rhel", "9.4", ""},
      {"fedora", "40", ""},
  };
  for (const EcosystemCase& test_case : cases) {
    SCOPED_TRACE(std::string(test_case.id) + " " + test_case.version_id);
    EXPECT_EQ(osvEcosystem(test_case.id, test_case.version_id), test_case.ecosystem);
  }
}

struct QuotingCase {
  const char* line;
  const char* pretty_name;
};

TEST(OsRelease, UnquotesTable) {
  const std::vector<QuotingCase> cases = {
      {"PRETTY_NAME=plain", "plain"},
      {"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"", "Debian GNU/Linux 12 (bookworm)"},
      {"PRETTY_NAME='single $quoted \\n'", "single $quoted \\n"},
      {"PRETTY_NAME=\"a \\\"b\\\" \\$c \\\\ \\n\"", "a \"b\" $c \\ \\n"},
      {"PRETTY_NAME=un\\ quoted", "un quoted"},
      {"PRETTY_NAME=\"mixed\"'parts'", "mixedparts"},
      {"PRETTY_NAME=\"unterminated", "unterminated"},
      {"PRETTY_NAME=", ""},
      {"  PRETTY_NAME=\"indented\"  ", "indented"},
  };
  for (const QuotingCase& test_case : cases) {
    SCOPED_TRACE(test_case.line);
    EXPECT_EQ(parseOsRelease(test_case.line).pretty_name, test_case.pretty_name);
  }
}

TEST(OsRelease, ReadsDebianHostFile) {
  const OsRelease os =
      parseOsRelease(testing::readSharedFile("inventories/this-host-debian12/os-release"));
  EXPECT_EQ(os.id, "debian");
  EXPECT_EQ(os.id_like, "");
  EXPECT_EQ(os.version_id, "12");
  EXPECT_EQ(os.version_codename, "bookworm");
  EXPECT_EQ(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(os.ecosystem, "Debian:12");
}

TEST(OsRelease, ReadsAlmaLinuxFile) {
  const OsRelease os = parseOsRelease(
      "# comment\nNAME=\"AlmaLinux\"\nVERSION=\"9.4 (Seafoam Ocelot)\"\nID=\"almalinux\"\n"
      "ID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\nnot a key\n=novalue\n"
      "PRETTY_NAME=\"AlmaLinux 9.4 (Seafoam Ocelot)\"\n");
  EXPECT_EQ(os.id, "almalinux");
  EXPECT_EQ(os.id_like, "rhel centos fedora");
  EXPECT_EQ(os.version_id, "9.4");
  EXPECT_EQ(os.version_codename, "");
  EXPECT_EQ(os.pretty_name, "AlmaLinux 9.4 (Seafoam Ocelot)");
  EXPECT_EQ(os.ecosystem, "AlmaLinux:9");
}

TEST(OsRelease, ReadsDebianTestingFile) {
  const OsRelease os = parseOsRelease(
      "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian GNU/Linux\"\n"
      "VERSION_CODENAME=trixie\nID=debian\n");
  EXPECT_EQ(os.version_id, "");
  EXPECT_EQ(os.version_codename, "trixie");
  EXPECT_EQ(os.ecosystem, "Debian:13");
}

TEST(OsRelease, LaterKeyWins) {
  const OsRelease os = parseOsRelease("ID=ubuntu\nVERSION_ID=22.04\nVERSION_ID=\"24.04\"\n");
  EXPECT_EQ(os.version_id, "24.04");
  EXPECT_EQ(os.ecosystem, "Ubuntu:24.04:LTS");
}

}  // namespace
}  // namespace pk::inventory
