#!/usr/bin/env bash
# Runs the fleet load generator against a fresh patchkeeper-server on
# loopback and prints its figures.
#
#   bench/fleet-load.sh BUILD_DIR [DATABASE_URL] [-- fleet_load options...]
#
# BUILD_DIR contains patchkeeper-server and bench/fleet_load (the bench preset:
# cmake --preset bench -B build/bench && cmake --build build/bench --target
# patchkeeper-server fleet_load). DATABASE_URL defaults to a new SQLite file;
# give an empty PostgreSQL database's postgresql:// URL to load that backend.
# Options after "--" go to fleet_load, for example --agents 2000 --seconds 60.
set -euo pipefail

build=${1:?usage: bench/fleet-load.sh BUILD_DIR [DATABASE_URL] [-- fleet_load options...]}
shift
database=""
if [[ $# -gt 0 && $1 != "--" ]]; then
  database=$1
  shift
fi
[[ ${1:-} == "--" ]] && shift

server="$build/src/server/patchkeeper-server"
load="$build/bench/fleet_load"
for program in "$server" "$load"; do
  [[ -x $program ]] || { echo "fleet-load: $program is missing; build it first" >&2; exit 2; }
done

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  [[ -n ${server_pid:-} ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [[ -z $database ]] && echo "fleet-load: SQLite files at the end: $(du -sh "$work" | cut -f1)"
  rm -rf "$work"
}
trap cleanup EXIT

{
  echo "listen_address = \"127.0.0.1\""
  echo "port = $port"
  echo "data_dir = \"$work\""
  [[ -n $database ]] && echo "database = \"$database\""
  echo "access_log = \"off\""
  echo "worker_threads = 64"
} > "$work/server.toml"

password="load-test-password-$RANDOM$RANDOM"
printf '%s' "$password" > "$work/password"
"$server" init --config "$work/server.toml" --username admin --password-file "$work/password" >/dev/null
"$server" serve --config "$work/server.toml" > "$work/server.log" 2>&1 &
server_pid=$!

pin=""
for _ in $(seq 1 100); do
  pin=$(grep -o 'sha256:[0-9a-f]\{64\}' "$work/server.log" || true)
  [[ -n $pin ]] && curl -sfk "https://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
[[ -n $pin ]] || { echo "fleet-load: the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

url="https://127.0.0.1:$port"
token=$(curl -sfk -X POST "$url/api/v1/sessions" \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
secret=$(curl -sfk -X POST "$url/api/v1/enrolment-secrets" -H "Authorization: Bearer $token" \
  -d '{"name":"load","kind":"server","owner":"admin","collections":["load"],"expires_in_hours":24}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')

echo "fleet-load: server pid $server_pid on $url, database ${database:-SQLite in $work}"
"$load" --url "$url" --pin "$pin" --secret "$secret" --server-pid "$server_pid" "$@"
