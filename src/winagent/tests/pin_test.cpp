#include "winagent/pin.h"

#include <string>

#include <gtest/gtest.h>

namespace pk::winagent {
namespace {

TEST(Pin, AcceptsWellFormedPin) {
  EXPECT_TRUE(isPublicKeyPin("sha256:" + std::string(64, 'a')));
}

TEST(Pin, RejectsUpperCaseHex) {
  EXPECT_FALSE(isPublicKeyPin("sha256:" + std::string(64, 'A')));
}

TEST(Pin, RejectsShortPin) {
  EXPECT_FALSE(isPublicKeyPin("sha256:" + std::string(63, 'a')));
}

TEST(Pin, RejectsOtherPrefix) {
  EXPECT_FALSE(isPublicKeyPin("sha384:" + std::string(64, 'a')));
}

TEST(Pin, MatchIsExact) {
  const std::string pin = "sha256:" + std::string(64, 'a');
  std::string other = pin;
  other.back() = 'b';
  EXPECT_TRUE(pinsMatch(pin, pin));
  EXPECT_FALSE(pinsMatch(pin, other));
  EXPECT_FALSE(pinsMatch(pin, pin.substr(1)));
  EXPECT_FALSE(pinsMatch(pin, ""));
}

}  // namespace
}  // namespace pk::winagent
