#pragma once

// Test helpers: a real cpp-httplib server on 127.0.0.1 with a port chosen
// by the kernel, plain or TLS, and self-signed certificates made with the
// `openssl` command. Shared by the protocol and agent tests.

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "common/child_process.h"
#include "common/error.h"

namespace pk::protocol::test_support {

struct TlsFiles {
  std::filesystem::path certificate;  // PEM
  std::filesystem::path private_key;  // PEM, unencrypted
};

// Makes a self-signed ECDSA P-256 certificate for 127.0.0.1 in `folder`,
// named NAME.crt and NAME.key. Fails with the openssl command's error.
inline Result<TlsFiles> makeSelfSignedCertificate(const std::filesystem::path& folder,
                                                  const std::string& name) {
  TlsFiles files{folder / (name + ".crt"), folder / (name + ".key")};
  const std::vector<std::string> argv = {"openssl",
                                         "req",
                                         "-x509",
                                         "-newkey",
                                         "ec",
                                         "-pkeyopt",
                                         "ec_paramgen_curve:prime256v1",
                                         "-nodes",
                                         "-days",
                                         "2",
                                         "-subj",
                                         "/CN=127.0.0.1",
                                         "-addext",
                                         "subjectAltName=IP:127.0.0.1",
                                         "-keyout",
                                         files.private_key.string(),
                                         "-out",
                                         files.certificate.string()};
  auto outcome = runCommand(argv);
  if (!outcome) return tl::unexpected(outcome.error());
  if (outcome->exit_code != 0) return fail(ErrorCode::kIoError, describeFailure(argv, *outcome));
  return files;
}

// Computes a certificate's public key pin with the openssl command alone,
// independently of the code under test.
inline Result<std::string> pinWithOpensslCommand(const TlsFiles& files) {
  const std::filesystem::path public_key = files.certificate.string() + ".pub.pem";
  const std::filesystem::path der = files.certificate.string() + ".pub.der";
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "x509", "-in", files.certificate.string(), "-pubkey", "-noout", "-out",
       public_key.string()},
      {"openssl", "pkey", "-pubin", "-in", public_key.string(), "-outform", "DER", "-out",
       der.string()},
      {"openssl", "dgst", "-sha256", "-r", der.string()},
  };
  std::string digest_output;
  for (const auto& argv : steps) {
    auto outcome = runCommand(argv);
    if (!outcome) return tl::unexpected(outcome.error());
    if (outcome->exit_code != 0) return fail(ErrorCode::kIoError, describeFailure(argv, *outcome));
    digest_output = outcome->standard_output;
  }
  // `dgst -r` prints "<hex> *<file>".
  return "sha256:" + digest_output.substr(0, digest_output.find(' '));
}

// A cpp-httplib server listening on 127.0.0.1 on a kernel-chosen port, run
// on its own thread from start() until stop() or destruction. Register
// handlers on server() before start().
class LoopbackServer {
 public:
  // A plain HTTP server.
  LoopbackServer() : server_(std::make_unique<httplib::Server>()) {}
  // A TLS server with the given certificate and key.
  explicit LoopbackServer(const TlsFiles& files)
      : server_(std::make_unique<httplib::SSLServer>(files.certificate.c_str(),
                                                     files.private_key.c_str())) {}
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  ~LoopbackServer() { stop(); }

  httplib::Server& server() { return *server_; }

  // Binds 127.0.0.1:0 and starts serving. The socket listens once bound,
  // so clients may connect as soon as this returns. `port` reuses a port
  // from an earlier server, to restart one at the same address.
  Result<void> start(int port = 0) {
    if (!server_->is_valid()) return fail(ErrorCode::kIoError, "the test server is not valid");
    if (port == 0) {
      port_ = server_->bind_to_any_port("127.0.0.1");
    } else {
      port_ = server_->bind_to_port("127.0.0.1", port) ? port : -1;
    }
    if (port_ <= 0) return fail(ErrorCode::kIoError, "the test server could not bind 127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    return {};
  }

  // Stops serving and waits for the thread. Safe to call twice.
  void stop() {
    if (!thread_.joinable()) return;
    // httplib's stop() does nothing until listen_after_bind has started,
    // so wait for the thread to get there first.
    while (!server_->is_running()) std::this_thread::yield();
    server_->stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string url(std::string_view scheme) const {
    return fmt::format("{}://127.0.0.1:{}", scheme, port_);
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = -1;
};

}  // namespace pk::protocol::test_support
