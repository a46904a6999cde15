#pragma once

// The agent's configuration: one TOML file, overridden by command-line
// flags, validated once at start. docs/AGENT.md lists every key.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace pk::agent {

struct AgentConfig {
  std::string server_url;  // "https://patchkeeper.example:8443"
  std::string server_pin;  // "sha256:<64 hex>"; or set ca_file, or neither for the system store
  std::string ca_file;     // PEM file of CAs that sign the server's certificate
  std::string enrolment_secret;       // used once, to enrol; prefer enrolment_secret_file
  std::string enrolment_secret_file;  // a file holding the secret, read when enrolling
  std::filesystem::path state_dir = "/var/lib/patchkeeper-agent";
  std::filesystem::path root = "/";  // the host's root; tests point it at a sandbox
  int interval_minutes = 60;         // between check-ins, before jitter
  double jitter_share = 0.1;         // each interval varies by up to ± this share
  int backoff_initial_seconds = 10;  // first retry delay after a failure, before jitter
  int backoff_max_seconds = 3600;    // retry delays never exceed this
  bool allow_plain_http = false;     // accept an http:// server_url (loopback tests only)
  bool download_changelogs = false;  // fetch missing .debs to read their changelogs' CVE ids
  // The machine id file, looked up under `root`; identifies the host to the
  // server across re-installs of the agent.
  std::filesystem::path machine_id_path = "/etc/machine-id";

  // Deployment jobs.
  // The folder of pre- and post-install hooks; only tests change it.
  std::filesystem::path hooks_dir = "/etc/patchkeeper/hooks";
  int hook_timeout_seconds = 600;    // a hook running longer is stopped and the job fails
  int install_timeout_minutes = 30;  // each package manager command, likewise
  // The program and arguments that restart the host; empty to restart
  // through systemd-logind over D-Bus.
  std::vector<std::string> restart_command;
  // Read before and after a restart; a new value means the host restarted.
  std::filesystem::path boot_id_path = "/proc/sys/kernel/random/boot_id";

  // Endpoint restart notices.
  // Whether notices go to graphical sessions and terminals; when false, or
  // when the desktop channel cannot start, they are only logged.
  bool desktop_notices = true;
  std::filesystem::path countdown_program = "/usr/libexec/patchkeeper/patchkeeper-countdown";
  // The program and arguments that broadcast to terminals; empty for none.
  std::vector<std::string> wall_command = {"wall"};
  // The local socket of `patchkeeper-agent status | snooze | restart-now | restart-at`.
  std::filesystem::path control_socket = "/run/patchkeeper-agent/control.sock";
};

// Parses the TOML text of a configuration file over the defaults above.
// `origin` names the file in messages. Fails with kMalformedInput, naming
// the key, when the text is not TOML, a key has the wrong type, or a key is
// unknown (a typo must not silently fall back to a default).
Result<AgentConfig> parseAgentConfig(std::string_view text, std::string_view origin);

// Reads and parses the file at `path`. Fails with kNotFound when it is
// missing, kIoError when it cannot be read, and as parseAgentConfig.
Result<AgentConfig> loadAgentConfig(const std::filesystem::path& path);

// Checks a complete configuration, after flags were applied. Fails with
// kInvalidArgument naming the key for any of these:
//   - server_url missing or not https:// (http:// needs allow_plain_http);
//   - a malformed server_pin, or both server_pin and ca_file;
//   - both enrolment_secret and enrolment_secret_file;
//   - interval_minutes outside 1 to 10080 (a week);
//   - jitter_share outside [0, 0.5];
//   - backoff_initial_seconds below 1, or above backoff_max_seconds;
//   - a relative state_dir, root, machine_id_path, hooks_dir or boot_id_path;
//   - hook_timeout_seconds or install_timeout_minutes below 1.
Result<void> validateAgentConfig(const AgentConfig& config);

}  // namespace pk::agent
