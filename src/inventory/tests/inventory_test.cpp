#include "inventory/inventory.h"

#include <gtest/gtest.h>

namespace pk::inventory {
namespace {

TEST(InstalledState, KeepsPartlyInstalledPackages) {
  EXPECT_TRUE(isInstalledState("installed"));
  EXPECT_TRUE(isInstalledState("half-configured"));
  EXPECT_TRUE(isInstalledState("unpacked"));
  EXPECT_TRUE(isInstalledState("half-installed"));
  EXPECT_TRUE(isInstalledState("triggers-awaited"));
  EXPECT_TRUE(isInstalledState("triggers-pending"));
}

TEST(InstalledState, DropsRemovedPackages) {
  EXPECT_FALSE(isInstalledState("config-files"));
  EXPECT_FALSE(isInstalledState("not-installed"));
}

}  // namespace
}  // namespace pk::inventory
