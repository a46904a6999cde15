#include "winagent/transport.h"

#include <windows.h>
// wincrypt.h needs the types of windows.h.
#include <wincrypt.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "winagent/pin.h"

namespace pk::winagent {
namespace {

// A self-signed P-256 certificate made for this test with
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ...
// and its pin as OpenSSL computes it:
//   openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum
constexpr char kCertificatePem[] = R"(-----BEGIN CERTIFICATE-----
MIIBjDCCATOgAwIBAgIUNEjia7Coq+FGcXtXOXvZ3iX3LtkwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQcGF0Y2hrZWVwZXItdGVzdDAgFw0yNjEyMDUyMDM1NTRaGA8y
MTI2MTExMTIwMzU1NFowGzEZMBcGA1UEAwwQcGF0Y2hrZWVwZXItdGVzdDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABGXjdnc2HgnU33dbjyZC7twxp5cBBOa5GbxO
8qzEmqFX317zX0obaRV8g5dV2A8oX4GXPv7IwtsPrUx3Avs7kSSjUzBRMB0GA1Ud
DgQWBBSFk6pt5esQPrZNxGChaBn2XrwEzjAfBgNVHSMEGDAWgBSFk6pt5esQPrZN
xGChaBn2XrwEzjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIHvT
p+TIHVpDFHtzGS8nyvnPAS+aqegOV2DNk6aCaELcAiAKjKe3bxXe8n0fF05OpDmi
a5pxknajgYAfelk/D6sZmQ==
-----END CERTIFICATE-----
)";
constexpr char kCertificatePin[] =
    "sha256:c5051377779e9525ba0e548bbc9f099ce8486b72df7b08a20a9533117d0e59f8";

const std::string kPin = "sha256:" + std::string(64, 'a');

HttpRequest postReport() {
  return HttpRequest{"POST", "/api/v1/hosts/h-0123456789abcdef/reports", R"({"a":1})"};
}

TEST(CertificatePin, MatchesOpenSslPin) {
  DWORD size = 0;
  ASSERT_TRUE(CryptStringToBinaryA(kCertificatePem, 0, CRYPT_STRING_BASE64HEADER, nullptr, &size,
                                   nullptr, nullptr));
  std::vector<BYTE> der(size);
  ASSERT_TRUE(CryptStringToBinaryA(kCertificatePem, 0, CRYPT_STRING_BASE64HEADER, der.data(), &size,
                                   nullptr, nullptr));
  const CERT_CONTEXT* certificate =
      CertCreateCertificateContext(X509_ASN_ENCODING, der.data(), size);
  ASSERT_NE(certificate, nullptr);

  auto pin = pinOfCertificate(*certificate);
  CertFreeCertificateContext(certificate);
  ASSERT_TRUE(pin.has_value()) << pin.error().message;
  EXPECT_EQ(*pin, kCertificatePin);
}

TEST(ServerUrl, HttpsDefaultsToPort443) {
  auto url = parseServerUrl("https://pk.example", false);
  ASSERT_TRUE(url.has_value());
  EXPECT_TRUE(url->secure);
  EXPECT_EQ(url->host, "pk.example");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->prefix, "");
}

TEST(ServerUrl, KeepsPortAndPrefix) {
  auto url = parseServerUrl("https://pk.example:8443/patch/", false);
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->prefix, "/patch");
}

TEST(ServerUrl, ReadsIpv6Literal) {
  auto url = parseServerUrl("https://[::1]:9443", false);
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 9443);
}

TEST(ServerUrl, RejectsPlainHttpByDefault) {
  EXPECT_FALSE(parseServerUrl("http://127.0.0.1:8080", false).has_value());
}

TEST(ServerUrl, PlainHttpWhenAllowed) {
  auto url = parseServerUrl("http://127.0.0.1:8080", true);
  ASSERT_TRUE(url.has_value());
  EXPECT_FALSE(url->secure);
}

TEST(ServerUrl, RejectsBadUrls) {
  for (const char* text :
       {"ftp://pk.example", "https://", "https://pk.example:0", "https://pk.example:65536",
        "https://pk.example:", "https://u@pk.example", "https://pk.example/?q=1", "https://[::1"}) {
    EXPECT_FALSE(parseServerUrl(text, true).has_value()) << text;
  }
}

TEST(RequestSpec, BuildsPinnedPost) {
  TransportOptions options{
      .base_url = "https://pk.example:8443/pk", .server_pin = kPin, .bearer_token = "0123abcd"};
  auto spec = buildRequestSpec(options, postReport());
  ASSERT_TRUE(spec.has_value()) << spec.error().message;
  EXPECT_EQ(spec->host, L"pk.example");
  EXPECT_EQ(spec->port, 8443);
  EXPECT_EQ(spec->verb, L"POST");
  EXPECT_EQ(spec->object_name, L"/pk/api/v1/hosts/h-0123456789abcdef/reports");
  EXPECT_TRUE(spec->secure);
  EXPECT_EQ(spec->pin, kPin);
  EXPECT_TRUE(spec->ignore_certificate_errors);
  EXPECT_EQ(spec->body, R"({"a":1})");
  EXPECT_EQ(spec->headers,
            L"Accept: application/json\r\nContent-Type: application/json\r\n"
            L"Authorization: Bearer 0123abcd\r\n");
}

TEST(RequestSpec, WithoutPinChecksChain) {
  TransportOptions options{.base_url = "https://pk.example"};
  auto spec = buildRequestSpec(options, HttpRequest{"GET", "/api/v1/hosts/h-1/jobs", ""});
  ASSERT_TRUE(spec.has_value());
  EXPECT_TRUE(spec->pin.empty());
  EXPECT_FALSE(spec->ignore_certificate_errors);
  EXPECT_EQ(spec->headers, L"Accept: application/json\r\n");
}

TEST(RequestSpec, RequestTokenOverridesOptions) {
  TransportOptions options{.base_url = "https://pk.example", .bearer_token = "old"};
  HttpRequest request = postReport();
  request.bearer_token = "new";
  auto spec = buildRequestSpec(options, request);
  ASSERT_TRUE(spec.has_value());
  EXPECT_TRUE(spec->has_token);
  EXPECT_NE(spec->headers.find(L"Authorization: Bearer new\r\n"), std::wstring::npos);
  EXPECT_EQ(spec->headers.find(L"old"), std::wstring::npos);
}

TEST(RequestSpec, RejectsMalformedPin) {
  TransportOptions options{.base_url = "https://pk.example", .server_pin = "sha256:abc"};
  EXPECT_FALSE(buildRequestSpec(options, postReport()).has_value());
}

TEST(RequestSpec, RejectsTokenWithNewline) {
  TransportOptions options{.base_url = "https://pk.example", .bearer_token = "abc\r\nX-Evil: 1"};
  auto spec = buildRequestSpec(options, postReport());
  ASSERT_FALSE(spec.has_value());
  EXPECT_EQ(spec.error().code, ErrorCode::kInvalidArgument);
}

TEST(RequestSpec, RejectsPathWithSpace) {
  TransportOptions options{.base_url = "https://pk.example"};
  EXPECT_FALSE(buildRequestSpec(options, HttpRequest{"GET", "/a b", ""}).has_value());
}

TEST(RequestSpec, RejectsRelativePath) {
  TransportOptions options{.base_url = "https://pk.example"};
  EXPECT_FALSE(buildRequestSpec(options, HttpRequest{"GET", "api", ""}).has_value());
}

TEST(RequestSpec, RejectsUnknownMethod) {
  TransportOptions options{.base_url = "https://pk.example"};
  EXPECT_FALSE(buildRequestSpec(options, HttpRequest{"TRACE", "/", ""}).has_value());
}

TEST(Utf16, RoundTripsNonAscii) {
  auto wide = toWide("Zürich ✓");
  ASSERT_TRUE(wide.has_value());
  EXPECT_EQ(toUtf8(*wide), "Zürich ✓");
}

TEST(Utf16, RejectsInvalidUtf8) {
  EXPECT_FALSE(toWide("\xff\xfe").has_value());
}

}  // namespace
}  // namespace pk::winagent
