#!/usr/bin/env bash
# Starts a PostgreSQL 15 cluster for the store's tests and prints the
# connection string to put in PK_TEST_POSTGRESQL. Run it as root on Debian
# 12 with the postgresql package installed (scripts/install-deps.sh does).
# Running it again changes nothing: a running cluster stays up and the
# test role keeps its password.
#
#   export PK_TEST_POSTGRESQL="$(sudo ./scripts/start-test-postgresql.sh)"
#
# The role patchkeeper_test may create databases (each test makes its own
# pk_test_<hex> database and drops it) but is not a superuser. The cluster
# listens on 127.0.0.1 only, as Debian's default configuration has it.
# Only the connection string goes to standard output; progress goes to
# standard error.
set -euo pipefail

version=15
cluster=main
port=5432
role=patchkeeper_test
# A fixed password for a throwaway role on a loopback-only test cluster.
password=patchkeeper_test_password

say() { echo "start-test-postgresql: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null; then
  say "pg_ctlcluster is missing; install Debian's postgresql package first"
  exit 1
fi

if ! pg_lsclusters --no-header | awk '{print $1, $2}' | grep -qx "$version $cluster"; then
  say "creating cluster $version/$cluster"
  pg_createcluster --port "$port" --encoding UTF8 --locale C.UTF-8 "$version" "$cluster" >&2
fi

status=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $4}')
if [[ "$status" != "online" ]]; then
  say "starting cluster $version/$cluster"
  pg_ctlcluster "$version" "$cluster" start >&2
fi
port=$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $3}')

# Wait for the server to accept connections; a fresh start takes a moment.
for _ in $(seq 1 50); do
  if runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$port"; then break; fi
  sleep 0.2
done
if ! runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$port"; then
  say "the cluster does not accept connections on 127.0.0.1:$port; see /var/log/postgresql/"
  exit 1
fi

# A cluster started before a package upgrade still runs the old binary,
# which cannot load the upgraded plpgsql library: restart it.
running=$(runuser -u postgres -- psql -Atq -X -p "$port" -d postgres -c "SHOW server_version")
installed=$("/usr/lib/postgresql/$version/bin/postgres" --version)
if [[ $installed != *"$running"* ]]; then
  say "restarting cluster $version/$cluster: it runs $running, the installed binary is $installed"
  pg_ctlcluster "$version" "$cluster" restart >&2
  for _ in $(seq 1 50); do
    if runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$port"; then break; fi
    sleep 0.2
  done
fi

# Creates the role, or resets its password and rights when it exists.
runuser -u postgres -- psql -q -X -v ON_ERROR_STOP=1 -p "$port" -d postgres >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password';
  ELSE
    ALTER ROLE $role LOGIN CREATEDB PASSWORD '$password';
  END IF;
END
\$\$;
SQL

echo "postgresql://$role:$password@127.0.0.1:$port/postgres"
