#!/usr/bin/env python3
"""Enrols patchkeeper-agent.exe, run under wine64, with a real
patchkeeper-server on 127.0.0.1 and checks that the server stores the
host's Windows facts. The agent talks HTTPS with the server's key pinned,
through Wine's WinHTTP.

Usage: server_checkin.py WINE64 AGENT_EXE
The server binary comes from the environment variable PK_SERVER_BINARY
(a Linux build of patchkeeper-server). Without it the test is skipped
with exit code 77. Prints one line per check and "N passed, M failed".
"""
import json
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SKIPPED = 77


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wine_path(path):
    """The path of a Linux file as Wine's Z: drive shows it."""
    return "Z:" + str(path).replace("/", "\\")


class Api:
    """A client of the server's admin API. The test harness checks no
    certificate; only the agent's pin is under test."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE
        self.token = None

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


def main():
    wine, agent = sys.argv[1], sys.argv[2]
    server_binary = os.environ.get("PK_SERVER_BINARY", "")
    if not server_binary or not Path(server_binary).is_file():
        print("skipped: set PK_SERVER_BINARY to a patchkeeper-server binary to run this test")
        return SKIPPED

    results = []

    def check(name, condition, detail=""):
        results.append(bool(condition))
        print(f"{'ok' if condition else 'FAILED'}: {name}{'' if condition else ': ' + str(detail)}")

    with tempfile.TemporaryDirectory(prefix="pk-windows-checkin-") as folder:
        folder = Path(folder)
        port = free_port()
        password = secrets.token_hex(16)
        (folder / "server").mkdir()
        (folder / "server.toml").write_text(
            f'listen_address = "127.0.0.1"\nport = {port}\n'
            f'data_dir = "{folder / "server"}"\naccess_log = "{folder / "access.log"}"\n')
        (folder / "admin-password").write_text(password + "\n")
        subprocess.run([server_binary, "init", "--config", str(folder / "server.toml"),
                        "--username", "admin", "--password-file", str(folder / "admin-password")],
                       check=True, capture_output=True, timeout=120)

        log = open(folder / "server.log", "w")
        server = subprocess.Popen([server_binary, "serve", "--config", str(folder / "server.toml")],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            pin = None
            for _ in range(600):
                match = re.search(r"sha256:[0-9a-f]{64}", (folder / "server.log").read_text())
                if match:
                    pin = match.group(0)
                    break
                time.sleep(0.1)
            api = Api(f"https://127.0.0.1:{port}")
            for _ in range(300):
                try:
                    if api.call("GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            check("server prints its pin", pin is not None, (folder / "server.log").read_text())

            status, session = api.call("POST", "/api/v1/sessions",
                                       {"username": "admin", "password": password})
            check("admin logs in", status == 201, session)
            api.token = session["token"]
            status, created = api.call("POST", "/api/v1/enrolment-secrets",
                                       {"name": "windows", "kind": "endpoint", "owner": "admin",
                                        "collections": [], "expires_in_hours": 2})
            check("enrolment secret created", status == 201, created)

            state = folder / "agent-state"
            state.mkdir()
            (folder / "secret.txt").write_text(created["secret"] + "\n")
            (state / "agent.json").write_text(json.dumps({
                "server_url": f"https://127.0.0.1:{port}",
                "server_pin": pin,
                "enrolment_secret_file": wine_path(folder / "secret.txt"),
            }))

            environment = dict(os.environ, WINEDEBUG="-all")
            command = [wine, agent, "checkin", "--state-dir", wine_path(state),
                       "--no-update-search"]
            first = subprocess.run(command, capture_output=True, text=True, timeout=180,
                                   env=environment)
            check("first check-in succeeds", first.returncode == 0, first.stdout + first.stderr)
            identity = json.loads((state / "identity.json").read_text())
            check("identity stored", identity["host_id"].startswith("h-"), identity)
            check("hash acknowledged", len(identity["acknowledged_hash"]) == 64, identity)

            status, host = api.call("GET", f"/api/v1/hosts/{identity['host_id']}")
            check("server knows the host", status == 200, host)
            windows = host.get("windows", {}) if isinstance(host, dict) else {}
            document = json.loads((state / "inventory.json").read_text())
            check("server stores the build", windows.get("build") == document["os"]["build"],
                  windows)
            check("server stores the edition", windows.get("edition") == document["os"]["edition"],
                  windows)

            second = subprocess.run(command, capture_output=True, text=True, timeout=180,
                                    env=environment)
            check("second check-in succeeds", second.returncode == 0,
                  second.stdout + second.stderr)

            (state / "agent.json").write_text(json.dumps({
                "server_url": f"https://127.0.0.1:{port}",
                "server_pin": "sha256:" + "0" * 64,
            }))
            wrong = subprocess.run(command, capture_output=True, text=True, timeout=180,
                                   env=environment)
            check("wrong pin fails the check-in", wrong.returncode == 1 and pin in wrong.stderr,
                  wrong.stdout + wrong.stderr)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
