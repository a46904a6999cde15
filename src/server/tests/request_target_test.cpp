#include "server/request_target.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace pk::server {
namespace {

struct DecodeCase {
  std::string text;
  bool plus_is_space;
  std::string decoded;
};

TEST(PercentDecode, FromTable) {
  const std::vector<DecodeCase> cases = {
      {"/api/v1/hosts", false, "/api/v1/hosts"},
      {"a%20b", false, "a b"},
      {"%2f%2F", false, "//"},
      {"a+b", false, "a+b"},
      {"a+b", true, "a b"},
      {"%2B", true, "+"},
      {"100%", false, "100%"},      // nothing after the '%'
      {"%4", false, "%4"},          // one digit only
      {"%zz%4g", false, "%zz%4g"},  // not hex digits
      {"%00end", false, std::string("\0end", 4)},
      {"%e2%82%ac", false, "\xe2\x82\xac"},
      {"", true, ""},
  };
  for (const auto& [text, plus_is_space, decoded] : cases) {
    EXPECT_EQ(percentDecode(text, plus_is_space), decoded) << text;
  }
}

TEST(ParseTarget, SplitsPathAndQuery) {
  std::string path;
  std::multimap<std::string, std::string> query;
  parseTarget("/api/v1/hosts%2Fx?owner=alice+smith&kind=server&&flag&owner=bob&e%3Dq=a%26b", path,
              query);
  EXPECT_EQ(path, "/api/v1/hosts/x");
  const std::multimap<std::string, std::string> expected = {
      {"owner", "alice smith"}, {"kind", "server"}, {"flag", ""}, {"owner", "bob"}, {"e=q", "a&b"}};
  EXPECT_EQ(query, expected);
}

TEST(ParseTarget, PathWithoutQuery) {
  std::string path;
  std::multimap<std::string, std::string> query;
  parseTarget("/healthz", path, query);
  EXPECT_EQ(path, "/healthz");
  EXPECT_TRUE(query.empty());

  parseTarget("/a+b?", path, query);
  EXPECT_EQ(path, "/a+b");  // '+' is a space only in the query
  EXPECT_TRUE(query.empty());
}

}  // namespace
}  // namespace pk::server
