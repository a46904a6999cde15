#include "server/tls.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

namespace pk::server {
namespace {

template <typename T, void (*Free)(T*)>
struct OpensslDeleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using BioPtr = std::unique_ptr<BIO, OpensslDeleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, OpensslDeleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, OpensslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpensslDeleter<BIGNUM, BN_free>>;
using ExtensionPtr =
    std::unique_ptr<X509_EXTENSION, OpensslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;

constexpr int kValidityDays = 3653;      // ten years, with leap days
constexpr long kBackdateSeconds = 3600;  // tolerates clients whose clocks run behind

// The most recent OpenSSL error as text, and the queue cleared so that it
// does not leak into a later failure's message.
std::string opensslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no error detail from OpenSSL";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

tl::unexpected<Error> opensslFailure(std::string_view step) {
  return fail(ErrorCode::kInternal, fmt::format("OpenSSL failed to {}: {}", step, opensslError()));
}

Result<std::string> readFile(const std::string& path, std::string_view kind) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return fail(ErrorCode::kNotFound, fmt::format("The TLS {} {} does not exist.", kind, path));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot read the TLS {} {}: {}.", kind, path, std::strerror(errno)));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

Result<X509Ptr> readCertificate(const std::string& path) {
  auto pem = readFile(path, "certificate");
  if (!pem) return tl::unexpected(pem.error());
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) {
    ERR_clear_error();
    return fail(
        ErrorCode::kMalformedInput,
        fmt::format("{} contains no PEM certificate (a \"BEGIN CERTIFICATE\" block).", path));
  }
  return certificate;
}

Result<KeyPtr> readPrivateKey(const std::string& path) {
  auto pem = readFile(path, "private key");
  if (!pem) return tl::unexpected(pem.error());
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  // A null password callback with an empty password makes an encrypted key
  // fail here instead of prompting on the terminal.
  char empty_password[] = "";
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, empty_password));
  if (!key) {
    ERR_clear_error();
    return fail(ErrorCode::kMalformedInput,
                fmt::format("{} contains no unencrypted PEM private key.", path));
  }
  return key;
}

SystemTime toSystemTime(const ASN1_TIME* time) {
  std::tm parts{};
  if (ASN1_TIME_to_tm(time, &parts) != 1) return SystemTime{};
  const auto seconds = std::chrono::sys_seconds(std::chrono::seconds(timegm(&parts)));
  return std::chrono::time_point_cast<std::chrono::microseconds>(seconds);
}

std::string subjectText(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

// A name usable as a DNS subjectAltName: letters, digits, '-' and '.'.
bool isDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '-' || name.front() == '.') {
    return false;
  }
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!allowed) return false;
  }
  return true;
}

Result<void> addExtension(X509* certificate, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return opensslFailure(fmt::format("add the certificate extension {}", OBJ_nid2sn(nid)));
  }
  return {};
}

// Writes `contents` to a temporary file beside `path` with mode 0600, then
// renames it over `path`, so that a reader sees the old file or the whole
// new one, and a crash leaves no half-written key.
Result<void> writeFileAtomically(const std::string& path, std::string_view contents) {
  const std::filesystem::path target(path);
  const auto folder = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::error_code error;
  if (!std::filesystem::exists(folder, error)) {
    std::filesystem::create_directories(folder, error);
    if (error) {
      return fail(ErrorCode::kIoError, fmt::format("Cannot create the folder {}: {}.",
                                                   folder.string(), error.message()));
    }
    std::filesystem::permissions(folder, std::filesystem::perms::owner_all, error);
  }

  std::string temporary = path + ".tmp-XXXXXX";
  const int fd = mkstemp(temporary.data());  // creates the file with mode 0600
  if (fd < 0) {
    return fail(ErrorCode::kIoError, fmt::format("Cannot create a file in {}: {}.", folder.string(),
                                                 std::strerror(errno)));
  }
  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t count = ::write(fd, contents.data() + written, contents.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) break;
    written += static_cast<std::size_t>(count);
  }
  const int saved_errno = errno;
  const bool complete = written == contents.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!complete || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const int reason = complete ? errno : saved_errno;
    ::unlink(temporary.c_str());
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot write {}: {}.", path, std::strerror(reason)));
  }

  // The rename is durable only once the folder's entry is on disk.
  const int folder_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder_fd >= 0) {
    ::fsync(folder_fd);
    ::close(folder_fd);
  }
  return {};
}

Result<X509Ptr> buildCertificate(EVP_PKEY* key, std::string_view hostname, SystemTime now) {
  X509Ptr certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), 2) != 1) {
    return opensslFailure("create a certificate");
  }

  // A random positive 128-bit serial, so that two generated certificates
  // never share issuer and serial.
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return opensslFailure("draw a serial");
  serial_bytes[0] &= 0x7f;
  serial_bytes[0] |= 0x40;
  BignumPtr serial(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  if (!serial ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get())) == nullptr) {
    return opensslFailure("set the serial");
  }

  const auto now_seconds = std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  const auto start = static_cast<time_t>(now_seconds);
  if (ASN1_TIME_adj(X509_getm_notBefore(certificate.get()), start, 0, -kBackdateSeconds) ==
          nullptr ||
      ASN1_TIME_adj(X509_getm_notAfter(certificate.get()), start, kValidityDays, 0) == nullptr) {
    return opensslFailure("set the validity");
  }

  // The common name is limited to 64 characters; the names clients check
  // are in subjectAltName anyway.
  const bool use_hostname = isDnsName(hostname) && hostname != "localhost";
  const std::string common_name =
      use_hostname && hostname.size() <= 64 ? std::string(hostname) : "patchkeeper-server";
  X509_NAME* name = X509_get_subject_name(certificate.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("patchkeeper"), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(certificate.get(), name) != 1) {
    return opensslFailure("set the subject");
  }
  if (X509_set_pubkey(certificate.get(), key) != 1) return opensslFailure("set the public key");

  std::string alt_names = "DNS:localhost,IP:127.0.0.1,IP:::1";
  if (use_hostname) alt_names = fmt::format("DNS:{},{}", hostname, alt_names);
  for (const auto& [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, alt_names},
                                   {NID_key_usage, "critical,digitalSignature"},
                                   {NID_ext_key_usage, "serverAuth"},
                                   {NID_subject_key_identifier, "hash"}}) {
    if (auto added = addExtension(certificate.get(), nid, value); !added) {
      return tl::unexpected(added.error());
    }
  }

  if (X509_sign(certificate.get(), key, EVP_sha256()) == 0) return opensslFailure("sign");
  return certificate;
}

}  // namespace

std::string spkiPin(X509* certificate) {
  unsigned char* der = nullptr;
  const int length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(certificate), &der);
  if (length <= 0) {
    ERR_clear_error();
    return "";
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<std::size_t>(length), digest);
  OPENSSL_free(der);

  std::string pin = "sha256:";
  for (const unsigned char byte : digest) pin += fmt::format("{:02x}", byte);
  return pin;
}

Result<std::string> spkiPinFromPemFile(const std::string& path) {
  auto certificate = readCertificate(path);
  if (!certificate) return tl::unexpected(certificate.error());
  return spkiPin(certificate->get());
}

Result<void> generateSelfSignedCertificate(const std::string& certificate_path,
                                           const std::string& private_key_path,
                                           std::string_view hostname, SystemTime now) {
  // P-256 rather than RSA, because each new TLS connection costs the server
  // one signature. `openssl speed ecdsap256 rsa2048` (OpenSSL 3.0) shows
  // P-256 signing more than ten times as fast as RSA-2048.
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return opensslFailure("generate a P-256 key");

  auto certificate = buildCertificate(key.get(), hostname, now);
  if (!certificate) return tl::unexpected(certificate.error());

  BioPtr key_pem(BIO_new(BIO_s_mem()));
  BioPtr certificate_pem(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(certificate_pem.get(), certificate->get()) != 1) {
    return opensslFailure("encode PEM");
  }
  char* data = nullptr;
  const long key_length = BIO_get_mem_data(key_pem.get(), &data);
  const std::string key_text(data, static_cast<std::size_t>(key_length));
  const long certificate_length = BIO_get_mem_data(certificate_pem.get(), &data);
  const std::string certificate_text(data, static_cast<std::size_t>(certificate_length));

  // The key goes first: a certificate on disk always has its key beside it.
  if (auto written = writeFileAtomically(private_key_path, key_text); !written) return written;
  return writeFileAtomically(certificate_path, certificate_text);
}

Result<TlsIdentity> loadTlsIdentity(const std::string& certificate_path,
                                    const std::string& private_key_path) {
  auto certificate = readCertificate(certificate_path);
  if (!certificate) return tl::unexpected(certificate.error());
  auto key = readPrivateKey(private_key_path);
  if (!key) return tl::unexpected(key.error());

  if (X509_check_private_key(certificate->get(), key->get()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::kMalformedInput,
                fmt::format("The private key {} does not belong to the certificate {}. "
                            "Configure the key that was used to request the certificate.",
                            private_key_path, certificate_path));
  }

  TlsIdentity identity;
  identity.certificate_path = certificate_path;
  identity.private_key_path = private_key_path;
  identity.pin = spkiPin(certificate->get());
  identity.subject = subjectText(certificate->get());
  identity.not_after = toSystemTime(X509_get0_notAfter(certificate->get()));
  return identity;
}

Result<TlsIdentity> loadOrGenerateTlsIdentity(const std::string& certificate_path,
                                              const std::string& private_key_path,
                                              bool generate_when_missing, std::string_view hostname,
                                              SystemTime now) {
  std::error_code error;
  const bool complete = std::filesystem::exists(certificate_path, error) &&
                        std::filesystem::exists(private_key_path, error);
  bool generated = false;
  if (!complete && generate_when_missing) {
    auto created = generateSelfSignedCertificate(certificate_path, private_key_path, hostname, now);
    if (!created) return tl::unexpected(created.error());
    generated = true;
  }

  auto identity = loadTlsIdentity(certificate_path, private_key_path);
  if (identity) identity->generated = generated;
  return identity;
}

}  // namespace pk::server
