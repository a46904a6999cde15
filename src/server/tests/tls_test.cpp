#include "server/tls.h"

#include <sys/stat.h>

#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "common/child_process.h"
#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

using namespace std::chrono_literals;
using test_support::TemporaryDirectory;

// 2026-12-04T23:24:08Z
const SystemTime kNow =
    std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::sys_seconds(1796426648s));

unsigned modeOf(const std::filesystem::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return 0;
  return status.st_mode & 07777u;
}

// Runs a command and returns its standard output, failing the test when it
// cannot run or exits non-zero.
std::string run(const std::vector<std::string>& argv) {
  const auto output = runCommand(argv);
  if (!output) {
    ADD_FAILURE() << output.error().message;
    return "";
  }
  if (output->exit_code != 0) {
    ADD_FAILURE() << describeFailure(argv, *output);
    return "";
  }
  return output->standard_output;
}

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = TemporaryDirectory::create("server-tls");
    ASSERT_TRUE(directory) << directory.error().message;
    directory_.emplace(std::move(*directory));
    certificate_ = (directory_->path() / "tls" / "server.crt").string();
    key_ = (directory_->path() / "tls" / "server.key").string();
  }

  std::filesystem::path path(std::string_view name) const { return directory_->path() / name; }

  std::optional<TemporaryDirectory> directory_;
  std::string certificate_;
  std::string key_;
};

TEST_F(Tls, GeneratesOnFirstStartOnly) {
  const auto first = loadOrGenerateTlsIdentity(certificate_, key_, true, "pk-test-host", kNow);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->generated);
  EXPECT_TRUE(std::regex_match(first->pin, std::regex("sha256:[0-9a-f]{64}"))) << first->pin;
  EXPECT_EQ(first->subject, "O=patchkeeper,CN=pk-test-host");
  EXPECT_EQ(first->certificate_path, certificate_);
  EXPECT_EQ(first->private_key_path, key_);

  const auto second = loadOrGenerateTlsIdentity(certificate_, key_, true, "pk-test-host", kNow);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->generated);
  EXPECT_EQ(second->pin, first->pin);
}

TEST_F(Tls, FilesArePrivate) {
  ASSERT_TRUE(generateSelfSignedCertificate(certificate_, key_, "pk-test-host", kNow));
  EXPECT_EQ(modeOf(certificate_), 0600u);
  EXPECT_EQ(modeOf(key_), 0600u);
  EXPECT_EQ(modeOf(path("tls")), 0700u);
  // No temporary file is left beside them.
  std::size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path("tls"))) {
    static_cast<void>(entry);
    ++entries;
  }
  EXPECT_EQ(entries, 2u);
}

TEST_F(Tls, PinMatchesOpensslCommand) {
  ASSERT_TRUE(generateSelfSignedCertificate(certificate_, key_, "pk-test-host", kNow));
  const auto public_key = path("public.pem").string();
  const auto der = path("public.der").string();
  run({"openssl", "x509", "-in", certificate_, "-pubkey", "-noout", "-out", public_key});
  run({"openssl", "pkey", "-pubin", "-in", public_key, "-outform", "der", "-out", der});
  const auto sum = run({"sha256sum", der});
  ASSERT_GE(sum.size(), 64u);

  const auto pin = spkiPinFromPemFile(certificate_);
  ASSERT_TRUE(pin) << pin.error().message;
  EXPECT_EQ(*pin, "sha256:" + sum.substr(0, 64));

  const auto identity = loadTlsIdentity(certificate_, key_);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->pin, *pin);
}

TEST_F(Tls, CertificateHasRequiredNamesAndKey) {
  ASSERT_TRUE(generateSelfSignedCertificate(certificate_, key_, "pk-test-host", kNow));
  const auto text = run({"openssl", "x509", "-in", certificate_, "-noout", "-text"});
  for (const char* part :
       {"DNS:pk-test-host", "DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1",
        "ASN1 OID: prime256v1", "Signature Algorithm: ecdsa-with-SHA256",
        "TLS Web Server Authentication", "Not After : Dec  4 23:24:08 2036 GMT",
        "Not Before: Dec  4 22:24:08 2026 GMT"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
  const auto identity = loadTlsIdentity(certificate_, key_);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->not_after, kNow + std::chrono::days(3653));
}

TEST_F(Tls, CertificateVerifiesAsItsOwnTrustAnchor) {
  ASSERT_TRUE(generateSelfSignedCertificate(certificate_, key_, "pk-test-host", kNow));
  // The check time is the generation time, so the test does not depend on
  // today's date.
  const auto output = run({"openssl", "verify", "-attime", "1796430000", "-purpose", "sslserver",
                           "-CAfile", certificate_, certificate_});
  EXPECT_NE(output.find(": OK"), std::string::npos) << output;
}

TEST_F(Tls, UnusableHostnameIsLeftOut) {
  ASSERT_TRUE(generateSelfSignedCertificate(certificate_, key_, "bad host/name", kNow));
  const auto identity = loadTlsIdentity(certificate_, key_);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->subject, "O=patchkeeper,CN=patchkeeper-server");
  const auto text =
      run({"openssl", "x509", "-in", certificate_, "-noout", "-ext", "subjectAltName"});
  EXPECT_NE(text.find("DNS:localhost"), std::string::npos) << text;
  EXPECT_EQ(text.find("bad"), std::string::npos) << text;
}

TEST_F(Tls, EachGenerationHasNewKeyAndSerial) {
  ASSERT_TRUE(generateSelfSignedCertificate(certificate_, key_, "pk-test-host", kNow));
  const auto first_pin = spkiPinFromPemFile(certificate_);
  const auto first_serial = run({"openssl", "x509", "-in", certificate_, "-noout", "-serial"});
  ASSERT_TRUE(generateSelfSignedCertificate(certificate_, key_, "pk-test-host", kNow));
  const auto second_pin = spkiPinFromPemFile(certificate_);
  const auto second_serial = run({"openssl", "x509", "-in", certificate_, "-noout", "-serial"});
  ASSERT_TRUE(first_pin);
  ASSERT_TRUE(second_pin);
  EXPECT_NE(*first_pin, *second_pin);
  EXPECT_NE(first_serial, second_serial);
  // 128 random bits with the top bit clear print as 32 hex digits.
  EXPECT_TRUE(std::regex_search(first_serial, std::regex("serial=[0-9A-F]{32}"))) << first_serial;
}

TEST_F(Tls, MissingKeyRegeneratesPair) {
  const auto first = loadOrGenerateTlsIdentity(certificate_, key_, true, "pk-test-host", kNow);
  ASSERT_TRUE(first);
  std::filesystem::remove(key_);
  const auto second = loadOrGenerateTlsIdentity(certificate_, key_, true, "pk-test-host", kNow);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->generated);
  EXPECT_NE(second->pin, first->pin);
}

TEST_F(Tls, ConfiguredPairIsNeverGenerated) {
  const auto identity = loadOrGenerateTlsIdentity(certificate_, key_, false, "pk-test-host", kNow);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error().code, ErrorCode::kNotFound);
  EXPECT_NE(identity.error().message.find(certificate_), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(key_));
}

TEST_F(Tls, MismatchedKeyRejected) {
  const auto other_certificate = path("other.crt").string();
  const auto other_key = path("other.key").string();
  ASSERT_TRUE(generateSelfSignedCertificate(certificate_, key_, "pk-test-host", kNow));
  ASSERT_TRUE(generateSelfSignedCertificate(other_certificate, other_key, "pk-test-host", kNow));
  const auto identity = loadTlsIdentity(certificate_, other_key);
  ASSERT_FALSE(identity);
  EXPECT_EQ(identity.error().code, ErrorCode::kMalformedInput);
  EXPECT_NE(identity.error().message.find("does not belong"), std::string::npos)
      << identity.error().message;
}

TEST_F(Tls, LoadsPairMadeByOpensslCommand) {
  const auto certificate = path("rsa.crt").string();
  const auto key = path("rsa.key").string();
  run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
       certificate, "-days", "1", "-subj", "/CN=example.test"});
  const auto identity = loadTlsIdentity(certificate, key);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->subject, "CN=example.test");
  EXPECT_TRUE(std::regex_match(identity->pin, std::regex("sha256:[0-9a-f]{64}")));
}

TEST_F(Tls, NonPemFilesRejected) {
  ASSERT_TRUE(test_support::writeFile(directory_->path(), "garbage.pem", "not a certificate\n"));
  const auto garbage = path("garbage.pem").string();
  ASSERT_TRUE(generateSelfSignedCertificate(certificate_, key_, "pk-test-host", kNow));

  const auto pin = spkiPinFromPemFile(garbage);
  ASSERT_FALSE(pin);
  EXPECT_EQ(pin.error().code, ErrorCode::kMalformedInput);

  const auto bad_certificate = loadTlsIdentity(garbage, key_);
  ASSERT_FALSE(bad_certificate);
  EXPECT_EQ(bad_certificate.error().code, ErrorCode::kMalformedInput);

  const auto bad_key = loadTlsIdentity(certificate_, garbage);
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().code, ErrorCode::kMalformedInput);

  // A certificate given where the key belongs is not a key either.
  const auto swapped = loadTlsIdentity(certificate_, certificate_);
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.error().code, ErrorCode::kMalformedInput);
}

TEST_F(Tls, MissingFileIsNotFound) {
  const auto pin = spkiPinFromPemFile(path("absent.crt").string());
  ASSERT_FALSE(pin);
  EXPECT_EQ(pin.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace pk::server
