#!/usr/bin/env python3
"""Runs patchkeeper-agent.exe fetch under wine64 against HTTP and HTTPS
servers on 127.0.0.1, to exercise the WinHTTP transport and its key pin
through Wine's WinHTTP.

The HTTPS server presents tests/data/loopback-server.pem, a self-signed
P-256 certificate made for these tests (its private key is beside it and
protects nothing). Each server records the requests it receives, so the
wrong-pin case can check that the host token never arrived.

Usage: winhttp_loopback.py WINE64 AGENT_EXE DATA_DIR
Prints one line per check and "N passed, M failed"; exits 1 on a failure.
"""
import http.server
import os
import ssl
import subprocess
import sys
import threading
from pathlib import Path

RIGHT_PIN = "sha256:c5051377779e9525ba0e548bbc9f099ce8486b72df7b08a20a9533117d0e59f8"
WRONG_PIN = "sha256:" + "a" * 64
TOKEN = "0123456789abcdef" * 4


class Recorder(http.server.BaseHTTPRequestHandler):
    received = []  # (path, Authorization header)

    def do_GET(self):
        Recorder.received.append((self.path, self.headers.get("Authorization", "")))
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start_server(context=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def fetch(wine, agent, url, path, *options):
    environment = dict(os.environ, WINEDEBUG="-all")
    return subprocess.run([wine, agent, "fetch", url, path, *options], capture_output=True,
                          text=True, timeout=120, env=environment)


def main():
    wine, agent, data = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(data / "loopback-server.pem", data / "loopback-server.key")
    plain = start_server()
    secure = start_server(context)
    plain_url = f"http://127.0.0.1:{plain.server_address[1]}"
    secure_url = f"https://127.0.0.1:{secure.server_address[1]}"

    results = []

    def check(name, condition, detail=""):
        results.append(condition)
        print(f"{'ok' if condition else 'FAILED'}: {name}{'' if condition else ': ' + detail}")

    run = fetch(wine, agent, plain_url, "/api/v1/plain", "--allow-plain-http")
    check("plain HTTP returns the response", run.returncode == 0 and "status 200" in run.stdout,
          run.stdout + run.stderr)

    Recorder.received.clear()
    run = fetch(wine, agent, secure_url, "/api/v1/pinned", "--pin", RIGHT_PIN, "--token", TOKEN)
    check("right pin returns the response", run.returncode == 0 and "status 200" in run.stdout,
          run.stdout + run.stderr)
    check("right pin sends the token",
          ("/api/v1/pinned", f"Bearer {TOKEN}") in Recorder.received, str(Recorder.received))
    check("probe carries no token", ("/healthz", "") in Recorder.received, str(Recorder.received))

    Recorder.received.clear()
    run = fetch(wine, agent, secure_url, "/api/v1/wrong", "--pin", WRONG_PIN, "--token", TOKEN)
    check("wrong pin fails", run.returncode == 1, run.stdout + run.stderr)
    check("wrong pin names both keys", RIGHT_PIN in run.stderr and WRONG_PIN in run.stderr,
          run.stderr)
    check("wrong pin never sends the token",
          all(auth == "" for _, auth in Recorder.received), str(Recorder.received))
    check("wrong pin never sends the request",
          all(path != "/api/v1/wrong" for path, _ in Recorder.received), str(Recorder.received))

    run = fetch(wine, agent, secure_url, "/api/v1/unpinned")
    check("self-signed key without pin fails", run.returncode == 1, run.stdout + run.stderr)

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    plain.shutdown()
    secure.shutdown()
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
