#include "winagent/shutdown.h"

#include <gtest/gtest.h>

namespace pk::winagent {
namespace {

// The values of reason.h and winreg.h as Microsoft documents them, so a
// changed constant fails here rather than in the event log.
TEST(Shutdown, ReasonIsPlannedSecurityFix) {
  EXPECT_EQ(kRestartReason, 0x80020012u);
}

TEST(Shutdown, FlagsRestartAndForce) {
  EXPECT_EQ(kRestartFlags, 0x00000004u | 0x00000001u | 0x00000002u);
}

// Runs the real privilege call; it changes only this process's token.
TEST(Shutdown, EnablesShutdownPrivilege) {
  auto enabled = enableShutdownPrivilege();
  EXPECT_TRUE(enabled.has_value()) << enabled.error().message;
}

}  // namespace
}  // namespace pk::winagent
