#include "server/passwords.h"

#include <array>
#include <semaphore>

#include <fmt/format.h>
#include <sodium.h>

namespace pk::server {
namespace {

// Argon2id with libsodium's "interactive" limits, 2 passes over 64 MiB, the
// lightest of its named presets and the one named for logins. A login then
// costs about 0.1 s on one core. That keeps the login route responsive, and
// each guess against a stolen hash costs an attacker as much. The
// "moderate" limits take 256 MiB per hash, so a handful of concurrent
// logins could exhaust a small server's memory.
constexpr unsigned long long kOpsLimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMemLimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;

std::counting_semaphore<kMaxConcurrentPasswordHashes>& hashingSlots() {
  static std::counting_semaphore<kMaxConcurrentPasswordHashes> slots(kMaxConcurrentPasswordHashes);
  return slots;
}

// Holds one hashing slot for its lifetime.
class HashingSlot {
 public:
  HashingSlot() { hashingSlots().acquire(); }
  ~HashingSlot() { hashingSlots().release(); }
  HashingSlot(const HashingSlot&) = delete;
  HashingSlot& operator=(const HashingSlot&) = delete;
};

std::size_t countCodePoints(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    // UTF-8 continuation bytes are 10xxxxxx; every other byte starts a character.
    if ((byte & 0xC0) != 0x80) ++count;
  }
  return count;
}

// libsodium reads stored hashes as NUL-terminated strings of bounded size.
bool copyStoredHash(std::string_view stored_hash, std::array<char, crypto_pwhash_STRBYTES>& out) {
  if (stored_hash.empty() || stored_hash.size() >= out.size()) return false;
  if (stored_hash.find('\0') != std::string_view::npos) return false;
  out.fill('\0');
  stored_hash.copy(out.data(), stored_hash.size());
  return true;
}

}  // namespace

Result<void> initSodium() {
  // sodium_init() is itself thread-safe and returns 1 once initialised, so a
  // static only saves repeated calls.
  static const int status = sodium_init();
  if (status < 0) {
    return fail(ErrorCode::kInternal,
                "libsodium failed to initialise; check that the kernel's random number "
                "source (getrandom or /dev/urandom) is available");
  }
  return {};
}

Result<void> checkPasswordPolicy(std::string_view password, std::string_view username) {
  if (password.size() > kMaxPasswordBytes) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("the password is too long: the maximum is {} bytes", kMaxPasswordBytes));
  }
  if (countCodePoints(password) < kMinPasswordLength) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("the password is too short: use at least {} characters", kMinPasswordLength));
  }
  if (!username.empty() && password == username) {
    return fail(ErrorCode::kInvalidArgument, "the password must not be the username");
  }
  return {};
}

Result<std::string> hashPassword(std::string_view password, std::string_view username) {
  if (auto policy = checkPasswordPolicy(password, username); !policy) {
    return tl::unexpected(policy.error());
  }
  if (auto sodium = initSodium(); !sodium) return tl::unexpected(sodium.error());

  std::array<char, crypto_pwhash_STRBYTES> hash{};
  int status = 0;
  {
    HashingSlot slot;
    status = crypto_pwhash_argon2id_str(hash.data(), password.data(), password.size(), kOpsLimit,
                                        kMemLimit);
  }
  if (status != 0) {
    return fail(ErrorCode::kInternal,
                "hashing the password failed because Argon2id could not allocate its 64 MiB; "
                "retry when the server has more free memory");
  }
  return std::string(hash.data());
}

bool verifyPassword(std::string_view stored_hash, std::string_view password) {
  if (!initSodium()) return false;
  if (password.size() > kMaxPasswordBytes) return false;
  std::array<char, crypto_pwhash_STRBYTES> hash{};
  if (!copyStoredHash(stored_hash, hash)) return false;

  HashingSlot slot;
  return crypto_pwhash_str_verify(hash.data(), password.data(), password.size()) == 0;
}

void verifyPasswordAgainstDummy(std::string_view password) {
  // Made once with the current parameters, so verifying against it costs
  // what verifying a real user's hash costs.
  static const std::string dummy_hash = [] {
    auto hash = hashPassword("patchkeeper-dummy-password", "");
    return hash ? *hash : std::string();
  }();
  (void)verifyPassword(dummy_hash, password);
}

bool passwordNeedsRehash(std::string_view stored_hash) {
  if (!initSodium()) return false;
  std::array<char, crypto_pwhash_STRBYTES> hash{};
  if (!copyStoredHash(stored_hash, hash)) return true;
  // Returns 1 for other parameters, -1 for a hash of another algorithm
  // (argon2i): both mean the hash should be replaced.
  return crypto_pwhash_argon2id_str_needs_rehash(hash.data(), kOpsLimit, kMemLimit) != 0;
}

}  // namespace pk::server
