#include "server/credentials.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "server/passwords.h"
#include "store/credential_repository.h"
#include "store/user_repository.h"

namespace pk::server {
namespace {

constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kTokenHexLength = kTokenBytes * 2;

// last_used_at is written at most this often per credential: enough to
// show which tokens are in use, without a database write on every request.
constexpr auto kLastUsedResolution = std::chrono::minutes(1);

std::string toHex(const unsigned char* bytes, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();
  return hex;
}

bool isLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Returns the token of an "Authorization: Bearer <token>" header, or "" when
// the header is absent or uses another scheme. The scheme name is
// case-insensitive (RFC 7235); the token is not.
std::string bearerToken(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || header[kScheme.size()] != ' ') return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  return std::string(header);
}

Response unauthorized(std::string_view code, std::string_view message) {
  Response response = errorResponse(401, code, message);
  // RFC 7235 requires a WWW-Authenticate challenge on every 401.
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"patchkeeper\"");
  return response;
}

Result<IssuedCredential> issueUserCredential(store::Session& session, std::string_view kind,
                                             std::int64_t user_id, const std::string& name,
                                             SystemTime now, std::optional<SystemTime> expires_at) {
  auto user = store::findUserById(session, user_id);
  if (!user) return tl::unexpected(user.error());
  if (!*user) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot issue a {} for user id {}: no such user", kind, user_id));
  }

  IssuedCredential issued;
  issued.token = generateToken();
  issued.expires_at = expires_at;

  store::CredentialRecord record;
  record.kind = std::string(kind);
  record.token_hash = hashToken(issued.token);
  record.user_id = user_id;
  record.name = name;
  record.created_at = now;
  record.expires_at = expires_at;
  auto id = store::insertCredential(session, record);
  if (!id) return tl::unexpected(id.error());
  issued.id = *id;
  return issued;
}

// The caller of a credential looked up by token hash, or the 401 response
// explaining why the credential opens nothing.
struct Lookup {
  std::optional<store::CredentialRecord> credential;
  std::optional<store::UserRecord> user;
};

std::variant<Principal, Response> principalFor(const Lookup& lookup, SystemTime now) {
  if (!lookup.credential) {
    return unauthorized("unknown_credential",
                        "The bearer token is not known. Log in again or create a new API token.");
  }
  const store::CredentialRecord& credential = *lookup.credential;
  if (credential.revoked_at) {
    return unauthorized("revoked_credential",
                        fmt::format("This credential was revoked at {}. Log in again or ask an "
                                    "administrator for a new one.",
                                    formatRfc3339(*credential.revoked_at)));
  }
  if (credential.expires_at && now >= *credential.expires_at) {
    return unauthorized("expired_credential",
                        fmt::format("This credential expired at {}. Log in again or create a new "
                                    "API token.",
                                    formatRfc3339(*credential.expires_at)));
  }

  Principal principal;
  principal.credential_id = credential.id;
  if (credential.kind == store::kCredentialHost) {
    principal.kind = Principal::Kind::kHost;
    principal.host_id = credential.host_id.value_or("");
    return principal;
  }

  // The user row goes with its credentials (ON DELETE CASCADE), so a
  // missing user means it was deleted between the two reads.
  if (!lookup.user) {
    return unauthorized("unknown_credential", "The user of this credential no longer exists.");
  }
  if (lookup.user->disabled) {
    return unauthorized(
        "revoked_credential",
        fmt::format("The account {} is disabled. Ask an administrator to enable it.",
                    lookup.user->username));
  }
  principal.kind = Principal::Kind::kUser;
  principal.user_id = lookup.user->id;
  principal.username = lookup.user->username;
  for (const std::string& name : lookup.user->roles) {
    if (auto role = parseRole(name)) principal.roles.push_back(*role);
  }
  return principal;
}

void recordLastUse(ServerContext& ctx, const store::CredentialRecord& credential, SystemTime now) {
  if (credential.last_used_at && now - *credential.last_used_at < kLastUsedResolution) return;
  auto written = ctx.database.write([&](store::Session& session) {
    return store::setCredentialLastUsed(session, credential.id, now);
  });
  // Losing a last-used time is harmless; the request itself goes on.
  if (!written) {
    spdlog::warn("recording the last use of credential {} failed: {}", credential.id,
                 written.error().message);
  }
}

}  // namespace

std::string generateToken() {
  // libsodium's random generator aborts the process when it has no
  // randomness source, so ignoring a failed initialisation here cannot
  // produce a weak token.
  (void)initSodium();
  std::array<unsigned char, kTokenBytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  std::string token = toHex(bytes.data(), bytes.size());
  sodium_memzero(bytes.data(), bytes.size());
  return token;
}

std::string hashToken(std::string_view token) {
  (void)initSodium();
  std::array<unsigned char, 32> digest{};
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                     0);
  return toHex(digest.data(), digest.size());
}

Result<IssuedCredential> issueSession(store::Session& session, std::int64_t user_id, SystemTime now,
                                      std::chrono::seconds ttl) {
  return issueUserCredential(session, store::kCredentialSession, user_id, "", now, now + ttl);
}

Result<IssuedCredential> issueApiToken(store::Session& session, std::int64_t user_id,
                                       const std::string& name, SystemTime now,
                                       std::optional<SystemTime> expires_at) {
  return issueUserCredential(session, store::kCredentialApiToken, user_id, name, now, expires_at);
}

Result<std::string> issueHostToken(store::Session& session, const std::string& host_id,
                                   SystemTime now) {
  if (host_id.empty()) {
    return fail(ErrorCode::kInvalidArgument, "cannot issue a host token for an empty host id");
  }
  auto revoked = store::revokeCredentialsOfHost(session, host_id, now);
  if (!revoked) return tl::unexpected(revoked.error());

  std::string token = generateToken();
  store::CredentialRecord record;
  record.kind = std::string(store::kCredentialHost);
  record.token_hash = hashToken(token);
  record.host_id = host_id;
  record.created_at = now;
  auto id = store::insertCredential(session, record);
  if (!id) return tl::unexpected(id.error());
  return token;
}

Result<void> revokeHostCredentials(store::Session& session, const std::string& host_id,
                                   SystemTime now) {
  auto revoked = store::revokeCredentialsOfHost(session, host_id, now);
  if (!revoked) return tl::unexpected(revoked.error());
  return {};
}

Result<std::int64_t> revokeUserSessions(store::Session& session, std::int64_t user_id,
                                        SystemTime now) {
  return store::revokeCredentialsOfUser(session, user_id, store::kCredentialSession, now);
}

Authenticate makeAuthenticator(ServerContext& ctx) {
  return [&ctx](const Request& request) -> std::variant<Principal, Response> {
    const std::string header = request.header("authorization");
    if (header.empty()) {
      return unauthorized("missing_credential",
                          "This request needs a credential. Send \"Authorization: Bearer "
                          "<token>\" with a session or API token.");
    }
    const std::string token = bearerToken(header);
    if (token.empty()) {
      return unauthorized("missing_credential",
                          "The Authorization header is not a bearer token. Send "
                          "\"Authorization: Bearer <token>\".");
    }
    // Every token this server issues has this shape; anything else cannot
    // match, so it costs no database read.
    if (token.size() != kTokenHexLength || !isLowerHex(token)) {
      return unauthorized("unknown_credential",
                          "The bearer token is not known. Log in again or create a new API token.");
    }

    const SystemTime now = ctx.clock.now();
    Lookup lookup;
    auto read = ctx.database.read([&](store::Session& session) -> Result<void> {
      auto credential = store::findCredentialByHash(session, hashToken(token));
      if (!credential) return tl::unexpected(credential.error());
      lookup.credential = std::move(*credential);
      if (!lookup.credential || !lookup.credential->user_id) return {};
      auto user = store::findUserById(session, *lookup.credential->user_id);
      if (!user) return tl::unexpected(user.error());
      lookup.user = std::move(*user);
      return {};
    });
    if (!read) {
      spdlog::error("checking a credential for {} {} failed: {}", request.method, request.path,
                    read.error().message);
      return errorResponse(500, "internal_error",
                           "The server failed to check the credential. The error has been logged; "
                           "try again later.");
    }

    auto result = principalFor(lookup, now);
    if (std::holds_alternative<Principal>(result)) recordLastUse(ctx, *lookup.credential, now);
    return result;
  };
}

}  // namespace pk::server
