#!/usr/bin/env bash
# Starts patchkeeper on this machine: a server on an embedded SQLite file and
# an agent that reports this machine to it, all kept under ./.patchkeeper.
#
#   scripts/quickstart.sh [BUILD_DIR]   start (BUILD_DIR defaults to build/dev)
#   scripts/quickstart.sh stop          stop the server and the agent
#
# The server listens on https://127.0.0.1:8443 (PK_PORT overrides) with a
# self-signed certificate whose public key pin is printed and pinned by the
# agent and the CLI. Advisory feeds come from ../shared/data when present;
# the host's own pending security updates need no feed.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
state="$here/.patchkeeper"
port=${PK_PORT:-8443}

stop() {
  for name in agent server; do
    if [[ -f "$state/$name.pid" ]] && kill -0 "$(cat "$state/$name.pid")" 2>/dev/null; then
      kill "$(cat "$state/$name.pid")"
      echo "stopped the $name"
    fi
    rm -f "$state/$name.pid"
  done
}

if [[ ${1:-} == stop ]]; then
  stop
  exit 0
fi

build=${1:-$here/build/dev}
server_bin="$build/src/server/patchkeeper-server"
agent_bin="$build/src/agent/patchkeeper-agent"
cli_bin="$build/src/cli/patchkeeper"
for program in "$server_bin" "$agent_bin" "$cli_bin"; do
  if [[ ! -x $program ]]; then
    echo "error: $program is missing; build first with: cmake --workflow --preset dev" >&2
    exit 2
  fi
done

stop >/dev/null
mkdir -p "$state"
chmod 0700 "$state"

# The server's configuration, with the public data sets as feeds.
data="$here/../shared/data"
{
  echo "listen_address = \"127.0.0.1\""
  echo "port = $port"
  echo "data_dir = \"$state/server\""
  echo "access_log = \"$state/access.log\""
  echo "web_dir = \"$here/web\""
  if [[ -d $data ]]; then
    cat <<FEEDS

[[feeds]]
name = "debian-dsa"
path = "$data/debian/security-tracker-2023/data/DSA/list"

[[feeds]]
name = "debian-dla"
path = "$data/debian/security-tracker-2023/data/DLA/list"

[[feeds]]
name = "kev"
kind = "kev"
path = "$data/kev/known_exploited_vulnerabilities.json"

[[feeds]]
name = "epss"
kind = "epss"
path = "$data/epss/2021/2021-08-31.json"
FEEDS
  fi
} >"$state/server.toml"

# The first admin, with a random password kept in a file only root reads.
if [[ ! -f $state/admin-password ]]; then
  (umask 077 && head -c 18 /dev/urandom | base64 >"$state/admin-password")
  "$server_bin" init --config "$state/server.toml" --username admin \
    --password-file "$state/admin-password"
fi

"$server_bin" serve --config "$state/server.toml" >>"$state/server.log" 2>&1 &
echo $! >"$state/server.pid"

# The pin is printed at every start; wait for it and for /healthz.
pin=
for _ in $(seq 1 100); do
  pin=$(grep -o 'sha256:[0-9a-f]\{64\}' "$state/server.log" | tail -n 1 || true)
  if [[ -n $pin ]] && curl -fsk "https://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$(cat "$state/server.pid")" 2>/dev/null; then
    echo "error: the server stopped; see $state/server.log" >&2
    tail -n 20 "$state/server.log" >&2
    exit 3
  fi
  sleep 0.1
done

export PATCHKEEPER_CONFIG="$state/cli.json"
"$cli_bin" login --server "https://127.0.0.1:$port" --pin "$pin" --username admin \
  --password-file "$state/admin-password" >/dev/null
secret=$("$cli_bin" enrolment-secrets create --name "quickstart" --kind server --owner admin \
  --expires-in-hours 1 --format json | sed -n 's/.*"secret": *"\([0-9a-f]*\)".*/\1/p')
(umask 077 && echo "$secret" >"$state/enrolment-secret")

cat >"$state/agent.toml" <<AGENT
server_url = "https://127.0.0.1:$port"
server_pin = "$pin"
enrolment_secret_file = "$state/enrolment-secret"
state_dir = "$state/agent"
root = "/"
AGENT

# One check-in now, so that the first findings are there at once, then the
# agent keeps running on its interval.
"$agent_bin" run --config "$state/agent.toml" --once >>"$state/agent.log" 2>&1
"$agent_bin" run --config "$state/agent.toml" >>"$state/agent.log" 2>&1 &
echo $! >"$state/agent.pid"

cat <<DONE

patchkeeper is running.
  server       https://127.0.0.1:$port   (TLS public key pin $pin)
  admin        user "admin", password in $state/admin-password
  logs         $state/server.log, $state/access.log, $state/agent.log
  health       curl -k https://127.0.0.1:$port/healthz
  console      https://127.0.0.1:$port/ in a browser (accept the self-signed certificate)

Look at this machine's findings with the CLI:
  export PATCHKEEPER_CONFIG=$state/cli.json
  $cli_bin hosts list
  $cli_bin findings list --status open
  $cli_bin feeds list

Stop everything with: scripts/quickstart.sh stop
DONE
"$cli_bin" hosts list
