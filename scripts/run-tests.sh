#!/usr/bin/env bash
# The README's test command: starts the local PostgreSQL cluster (so the
# store, leader lock and failover tests run on both backends), then builds
# with sanitizers and runs every test through the ci workflow preset.
#
# PK_TEST_POSTGRESQL, when already set, names the PostgreSQL server to use
# instead. Starting the local cluster needs root or sudo; without either,
# the PostgreSQL tests are skipped and the script prints a warning.
set -euo pipefail

cd "$(dirname "$0")/.."

if [[ -z ${PK_TEST_POSTGRESQL:-} ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    PK_TEST_POSTGRESQL="$(./scripts/start-test-postgresql.sh)"
  elif sudo -n true 2>/dev/null; then
    PK_TEST_POSTGRESQL="$(sudo ./scripts/start-test-postgresql.sh)"
  else
    echo "run-tests: not root and no password-less sudo; the PostgreSQL tests will be skipped" >&2
  fi
fi
export PK_TEST_POSTGRESQL="${PK_TEST_POSTGRESQL:-}"

# The browser journeys' npm packages, pinned by tests/browser/package-lock.json.
if command -v npm >/dev/null; then
  (cd tests/browser && npm ci --no-audit --no-fund)
else
  echo "run-tests: npm is missing; the browser journeys will fail (scripts/install-deps.sh installs it)" >&2
fi

cmake --workflow --preset ci
