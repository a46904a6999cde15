#pragma once

// The administration commands' client configuration: which server to talk
// to, how to trust its TLS certificate, and the session token that
// `patchkeeper login` stored.
//
// The file is JSON, by default ~/.config/patchkeeper/cli.json:
//   {"server_url": "https://pk.example.org:8443",
//    "pin": "sha256:<64 hex digits>", "ca_file": "",
//    "token": "<session token>", "username": "alice",
//    "token_expires_at": "2026-12-04T23:24:08Z"}
// Because it contains a credential, it is written atomically with mode 0600
// and a file that group or others may read is rejected.
//
// Precedence, highest first: the --server, --pin, --ca-file and --token
// flags; the PATCHKEEPER_TOKEN environment variable (token only); the file.

#include <filesystem>
#include <string>

#include "common/error.h"

namespace pk::cli {

struct ClientConfig {
  std::string server_url;        // "https://host:port"; http:// only for loopback addresses
  std::string pin;               // "sha256:" + 64 lower-case hex digits, or "" when unpinned
  std::string ca_file;           // PEM file of trusted CAs, or "" for the system store
  std::string token;             // the bearer token sent with every request, or ""
  std::string username;          // who logged in, for messages only
  std::string token_expires_at;  // RFC 3339, as the server returned it, or ""
};

// The environment variables that select the file and override the token.
// Empty strings stand for unset variables.
struct ConfigEnvironment {
  std::string config_path;      // PATCHKEEPER_CONFIG
  std::string token;            // PATCHKEEPER_TOKEN
  std::string xdg_config_home;  // XDG_CONFIG_HOME
  std::string home;             // HOME

  // Reads the variables of this process.
  static ConfigEnvironment fromProcess();
};

// The values given on the command line; empty strings were not given.
struct ConnectionFlags {
  std::string server;
  std::string pin;
  std::string ca_file;
  std::string token;
};

// Returns PATCHKEEPER_CONFIG when set, else
// $XDG_CONFIG_HOME/patchkeeper/cli.json, else
// $HOME/.config/patchkeeper/cli.json. Fails with kInvalidArgument when none
// of those variables is set.
Result<std::filesystem::path> clientConfigPath(const ConfigEnvironment& environment);

// Reads the file at `path`. A missing file gives an empty configuration,
// so that `login` can create it. Fails with kIoError when the file cannot
// be read or group or others may read it (the message gives the chmod command),
// and with kMalformedInput naming the file and field when it is not a JSON
// object of strings. Unknown fields are ignored.
Result<ClientConfig> loadClientConfig(const std::filesystem::path& path);

// Writes `config` to `path` atomically: a temporary file in the same
// folder, written, flushed to disk with fsync, given mode 0600 and renamed
// over `path`, then the folder is synced. Creates a missing parent folder
// with mode 0700. Empty fields are left out. Fails with kIoError naming the
// file and the system's reason; the old file is then left unchanged.
Result<void> saveClientConfig(const std::filesystem::path& path, const ClientConfig& config);

// Returns `config` with the non-empty flags and PATCHKEEPER_TOKEN applied
// by the precedence in the file comment. A --server different from the
// saved server drops the saved pin and CA file (they belong to the other
// server) unless --pin or --ca-file is given too.
ClientConfig applyOverrides(ClientConfig config, const ConnectionFlags& flags,
                            const ConfigEnvironment& environment);

// Checks that `url` is "https://HOST[:PORT]" or, for a loopback HOST
// (127.0.0.0/8, ::1 or localhost), "http://HOST[:PORT]", with no path
// other than "/". Fails with kInvalidArgument saying what is wrong.
Result<void> validateServerUrl(const std::string& url);

// Checks that `pin` is "sha256:" followed by 64 lower-case hex digits.
// Fails with kInvalidArgument otherwise.
Result<void> validatePin(const std::string& pin);

}  // namespace pk::cli
