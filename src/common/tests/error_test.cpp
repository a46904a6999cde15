#include "common/error.h"

#include <gtest/gtest.h>

namespace pk {
namespace {

Result<int> parsePositive(int value) {
  if (value <= 0) {
    return fail(ErrorCode::kInvalidArgument, "value must be positive");
  }
  return value;
}

TEST(Result, CarriesValue) {
  auto result = parsePositive(3);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 3);
}

TEST(Result, CarriesCodeAndMessage) {
  auto result = parsePositive(-1);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().message, "value must be positive");
}

TEST(ErrorCodeName, IsStableForEveryCode) {
  EXPECT_EQ(errorCodeName(ErrorCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(errorCodeName(ErrorCode::kMalformedInput), "malformed_input");
  EXPECT_EQ(errorCodeName(ErrorCode::kNotFound), "not_found");
  EXPECT_EQ(errorCodeName(ErrorCode::kIoError), "io_error");
  EXPECT_EQ(errorCodeName(ErrorCode::kUnsupported), "unsupported");
  EXPECT_EQ(errorCodeName(ErrorCode::kInternal), "internal");
}

}  // namespace
}  // namespace pk
