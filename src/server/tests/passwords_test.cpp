#include "server/passwords.h"

#include <string>

#include <gtest/gtest.h>
#include <sodium.h>

namespace pk::server {
namespace {

constexpr std::string_view kGoodPassword = "correct horse battery staple";

TEST(PasswordPolicy, AcceptsTwelveCharacters) {
  EXPECT_TRUE(checkPasswordPolicy("abcdefghijkl", "alice"));
}

TEST(PasswordPolicy, RejectsElevenCharacters) {
  const auto result = checkPasswordPolicy("abcdefghijk", "alice");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message.find("at least 12 characters"), std::string::npos)
      << result.error().message;
  EXPECT_EQ(result.error().message.find("abcdefghijk"), std::string::npos)
      << "the message must not echo the password";
}

TEST(PasswordPolicy, CountsCharactersNotBytes) {
  // Eleven two-byte characters are 22 bytes but still too short.
  std::string eleven_accents;
  for (int i = 0; i < 11; ++i) eleven_accents += "\xC3\xA9";  // U+00E9
  EXPECT_FALSE(checkPasswordPolicy(eleven_accents, "alice"));
  EXPECT_TRUE(checkPasswordPolicy(eleven_accents + "\xC3\xA9", "alice"));
}

TEST(PasswordPolicy, RejectsOverMaximumBytes) {
  EXPECT_TRUE(checkPasswordPolicy(std::string(kMaxPasswordBytes, 'a'), "alice"));
  const auto result = checkPasswordPolicy(std::string(kMaxPasswordBytes + 1, 'a'), "alice");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
}

TEST(PasswordPolicy, RejectsTheUsername) {
  EXPECT_FALSE(checkPasswordPolicy("administrator", "administrator"));
  EXPECT_TRUE(checkPasswordPolicy("administrator", "alice"));
}

TEST(PasswordHash, VerifiesOnlyTheSamePassword) {
  const auto hash = hashPassword(kGoodPassword, "alice");
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$")) << *hash;
  EXPECT_EQ(hash->find(kGoodPassword), std::string::npos);
  EXPECT_TRUE(verifyPassword(*hash, kGoodPassword));
  EXPECT_FALSE(verifyPassword(*hash, "correct horse battery stapler"));
  EXPECT_FALSE(verifyPassword(*hash, ""));
}

TEST(PasswordHash, SaltsEachHash) {
  const auto first = hashPassword(kGoodPassword, "alice");
  const auto second = hashPassword(kGoodPassword, "alice");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_NE(*first, *second);
  EXPECT_TRUE(verifyPassword(*second, kGoodPassword));
}

TEST(PasswordHash, RefusesPolicyViolations) {
  const auto hash = hashPassword("short", "alice");
  ASSERT_FALSE(hash);
  EXPECT_EQ(hash.error().code, ErrorCode::kInvalidArgument);
}

TEST(PasswordHash, MalformedStoredHashNeverVerifies) {
  for (std::string_view stored : {std::string_view(""), std::string_view("plain text"),
                                  std::string_view("$argon2id$v=19$m=65536,t=2,p=1$AAAA$BBBB"),
                                  std::string_view("$argon2id$\0trailing", 19)}) {
    EXPECT_FALSE(verifyPassword(stored, kGoodPassword)) << stored;
  }
  EXPECT_FALSE(verifyPassword(std::string(500, '$'), kGoodPassword));
}

TEST(PasswordHash, CurrentHashNeedsNoRehash) {
  const auto hash = hashPassword(kGoodPassword, "alice");
  ASSERT_TRUE(hash);
  EXPECT_FALSE(passwordNeedsRehash(*hash));
  EXPECT_TRUE(passwordNeedsRehash("not a hash"));
}

TEST(PasswordHash, WeakerParametersNeedRehash) {
  ASSERT_TRUE(initSodium());
  // A hash made with the minimum limits stands for one made before the
  // parameters were raised. It still verifies, and needs a rehash.
  char weak[crypto_pwhash_STRBYTES] = {};
  ASSERT_EQ(crypto_pwhash_argon2id_str(weak, kGoodPassword.data(), kGoodPassword.size(),
                                       crypto_pwhash_argon2id_OPSLIMIT_MIN,
                                       crypto_pwhash_argon2id_MEMLIMIT_MIN),
            0);
  EXPECT_TRUE(verifyPassword(weak, kGoodPassword));
  EXPECT_TRUE(passwordNeedsRehash(weak));
}

}  // namespace
}  // namespace pk::server
