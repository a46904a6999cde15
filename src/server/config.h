#pragma once

// patchkeeper-server's configuration: one typed struct, read from a TOML
// file, overridden by command-line flags, validated once at start. Every
// field's default is written beside it and in docs/SERVER.md.
//
// The file uses the field names below as top-level keys, plus one [[feeds]]
// table per advisory feed:
//
//   port = 8443
//   data_dir = "/var/lib/patchkeeper"
//
//   [[feeds]]
//   name = "debian-tracker"
//   kind = "debian-tracker"
//   url = "https://security-tracker.debian.org/tracker/data/json"

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "server/feed_source.h"

namespace pk::server {

struct ServerConfig {
  // The address to listen on, an IPv4 or IPv6 literal; "0.0.0.0" is every
  // IPv4 interface, "::" every interface.
  std::string listen_address = "0.0.0.0";
  // The TCP port; 0 picks a free one (tests).
  int port = 8443;
  // Where the database and generated TLS files live by default.
  std::string data_dir = "/var/lib/patchkeeper";
  // A connection string (see store::openDatabase); "" is the SQLite file
  // <data_dir>/patchkeeper.db.
  std::string database;
  // PEM certificate chain and private key. Both "" (the default): a
  // self-signed pair is generated under <data_dir>/tls on first start and
  // reused afterwards. Set both or neither.
  std::string tls_certificate;
  std::string tls_private_key;
  // Serve plain HTTP instead of HTTPS. Only for tests on loopback: tokens and
  // passwords cross the network in clear text otherwise.
  bool allow_plain_http = false;
  // The largest request body accepted; larger ones get 413. Inventories of
  // big hosts are a few MiB.
  std::int64_t max_body_bytes = 32 * 1024 * 1024;
  // How long the server waits for a client before it closes the connection:
  // for the TLS handshake and a request's headers together, and for each
  // read of a body (read_timeout_seconds); for a whole request
  // (request_timeout_seconds); for a response to be written
  // (write_timeout_seconds).
  int read_timeout_seconds = 10;
  int request_timeout_seconds = 60;
  int write_timeout_seconds = 10;
  // Threads running the request handlers.
  int worker_threads = 16;
  // Threads running the sockets: accepting, TLS, reading and writing.
  int io_threads = 2;
  // Open connections beyond this many are closed as soon as accepted.
  int max_connections = 10000;
  // Where the access log (one JSON line per request) goes: "stdout", "off",
  // or a file path, appended to.
  std::string access_log = "stdout";
  // How long a login session stays valid.
  int session_hours = 12;
  // How often agents check in. The server sends agents this interval.
  int checkin_interval_minutes = 60;
  // A host whose last check-in or package lists are older than this is
  // "unknown" in compliance reports.
  int stale_after_days = 7;
  // Login throttling: after this many failed logins within the window, for
  // one username or from one address, further attempts get 429 until the
  // window has passed.
  int max_failed_logins = 5;
  int failed_login_window_minutes = 15;
  // How often a node that is not the leader tries to take the leader lock.
  // Scheduled jobs pause for at most this long after the leader dies, plus
  // the time the database needs to notice: at once for a killed process,
  // up to about 30 s for a vanished machine.
  int leader_retry_seconds = 30;
  // How often each node checks whether another node's feed sync changed the
  // stored advisories, and rebuilds its own index if so.
  int index_refresh_seconds = 30;
  // Deployments: how often the leader moves them on (enters rings, creates
  // jobs, decides gates), and the install-and-restart estimate of a host
  // with no finished job.
  int deployment_interval_seconds = 60;
  int default_job_estimate_minutes = 30;
  // Outgoing webhooks: how often the leader sends due deliveries, how many
  // attempts a delivery gets before it is given up, and each attempt's
  // timeout. Retries back off exponentially from 30 s up to 1 h.
  int webhook_interval_seconds = 10;
  int webhook_max_attempts = 8;
  int webhook_timeout_seconds = 10;
  // Accept webhook URLs with http:// to a loopback address. Only for tests:
  // every other webhook URL must use https.
  bool webhook_allow_http_loopback = false;
  // The web console's files (index.html and its modules). "" turns the
  // console off; the API is served either way.
  std::string web_dir = "/usr/share/patchkeeper/web";
  // The advisory feeds to sync, in the order written.
  std::vector<FeedSource> feeds;

  // Returns the database connection string: `database`, or
  // "sqlite://<data_dir>/patchkeeper.db" when that is "".
  std::string databaseUrl() const;
  // Whether databaseUrl() names a PostgreSQL database, which several nodes
  // may share.
  bool usesPostgresql() const;
  // Whether the TLS pair is generated rather than configured.
  bool generatesTls() const { return tls_certificate.empty() && tls_private_key.empty(); }
  // The certificate and key paths: the configured ones, or
  // <data_dir>/tls/server.crt and <data_dir>/tls/server.key.
  std::string tlsCertificatePath() const;
  std::string tlsPrivateKeyPath() const;

  // Checks every field's range and the feeds. Fails with kInvalidArgument
  // naming the first bad field ("port: ..." or "feeds[2].url: ..."), its
  // value, and what is allowed.
  Result<void> validate() const;
};

// Reads and validates the TOML file at `path`. Keys left out keep their
// defaults; the second [[feeds]] table is "feeds[2]" in messages. Fails with
// kNotFound when the file is missing and kIoError when it cannot be read.
// Fails with kInvalidArgument for a syntax error, an unknown key (listing the
// allowed ones), a value of the wrong type, or a value validate() rejects.
// Those messages start with "path:line: ".
Result<ServerConfig> loadServerConfig(const std::string& path);

}  // namespace pk::server
