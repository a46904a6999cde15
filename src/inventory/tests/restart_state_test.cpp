#include "inventory/restart_state.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace pk::inventory {
namespace {

TEST(RebootMarker, AbsentMarkerIsNotRequired) {
  const RestartState state = restartFromRebootMarker(false, "linux-image-6.1.0-21-amd64\n");
  EXPECT_FALSE(state.required);
  EXPECT_TRUE(state.packages.empty());
  EXPECT_EQ(state.reason, "");
}

TEST(RebootMarker, ListsPackagesOnce) {
  const RestartState state =
      restartFromRebootMarker(true, "linux-image-6.1.0-21-amd64\nlibc6\n\n  libc6  \n");
  EXPECT_TRUE(state.required);
  EXPECT_EQ(state.packages, (std::vector<std::string>{"linux-image-6.1.0-21-amd64", "libc6"}));
  EXPECT_EQ(
      state.reason,
      "The host asks for a restart (/run/reboot-required exists) to finish installing updates "
      "of: linux-image-6.1.0-21-amd64, libc6.");
}

TEST(RebootMarker, IgnoresLinesThatAreNoName) {
  const RestartState state = restartFromRebootMarker(true, "dbus\nnot a name\nsystemd\r\n");
  EXPECT_EQ(state.packages, (std::vector<std::string>{"dbus", "systemd"}));
}

TEST(RebootMarker, MarkerWithoutPackageList) {
  const RestartState state = restartFromRebootMarker(true, "");
  EXPECT_TRUE(state.required);
  EXPECT_TRUE(state.packages.empty());
  EXPECT_EQ(
      state.reason,
      "The host asks for a restart (/run/reboot-required exists) to finish installing updates.");
}

Package kernel(const char* name, const char* version) {
  return Package{name, version, "x86_64", "kernel", version, ""};
}

struct KernelCase {
  const char* label;
  std::vector<Package> packages;
  std::optional<std::string> running;
  bool required;
  const char* package;
};

TEST(RpmKernels, DecidesTable) {
  const std::string running = "5.14.0-427.13.1.el9_4.x86_64";
  const std::vector<KernelCase> cases = {
      {"newer kernel-core",
       {kernel("kernel-core", "5.14.0-427.18.1.el9_4")},
       running,
       true,
       "kernel-core"},
      {"same kernel", {kernel("kernel-core", "5.14.0-427.13.1.el9_4")}, running, false, ""},
      {"older kernel only", {kernel("kernel", "5.14.0-362.8.1.el9_3")}, running, false, ""},
      {"newest of several",
       {kernel("kernel-core", "5.14.0-362.8.1.el9_3"),
        kernel("kernel-core", "5.14.0-427.13.1.el9_4"), kernel("kernel", "5.14.0-427.20.1.el9_4")},
       running,
       true,
       "kernel"},
      {"unknown running kernel",
       {kernel("kernel-core", "5.14.0-427.18.1.el9_4")},
       std::nullopt,
       false,
       ""},
      {"no kernel package",
       {Package{"bash", "5.1.8-9.el9", "x86_64", "bash", "5.1.8-9.el9", ""}},
       running,
       false,
       ""},
      {"epoch ignored", {kernel("kernel-core", "0:5.14.0-427.13.1.el9_4")}, running, false, ""},
  };
  for (const KernelCase& test_case : cases) {
    SCOPED_TRACE(test_case.label);
    const RestartState state = restartFromRpmKernels(test_case.packages, test_case.running);
    EXPECT_EQ(state.required, test_case.required);
    if (test_case.required) {
      EXPECT_EQ(state.packages, std::vector<std::string>{test_case.package});
    } else {
      EXPECT_TRUE(state.packages.empty());
      EXPECT_EQ(state.reason, "");
    }
  }
}

TEST(RpmKernels, ReasonNamesBothKernels) {
  const RestartState state = restartFromRpmKernels({kernel("kernel-core", "5.14.0-427.18.1.el9_4")},
                                                   "5.14.0-427.13.1.el9_4.x86_64");
  EXPECT_EQ(
      state.reason,
      "The installed kernel kernel-core 5.14.0-427.18.1.el9_4 is newer than the running kernel "
      "5.14.0-427.13.1.el9_4.x86_64; restart the host to run it.");
}

}  // namespace
}  // namespace pk::inventory
