#!/usr/bin/env bash
# Cross-compiles the Windows agent and its tests with mingw-w64 (the
# "windows" preset builds nothing else) and runs the tests under wine64 in
# a Wine prefix inside build/windows. Needs the packages that
# scripts/install-deps.sh installs. PK_SERVER_BINARY names the Linux
# patchkeeper-server for the end-to-end check-in test.
set -euo pipefail

cd "$(dirname "$0")/.."

# The end-to-end check-in test needs a Linux patchkeeper-server. The ci
# preset's build (scripts/run-tests.sh) or the dev build provides one;
# without either the test is skipped.
if [[ -z ${PK_SERVER_BINARY:-} ]]; then
  for candidate in build/ci/src/server/patchkeeper-server build/dev/src/server/patchkeeper-server; do
    if [[ -x $candidate ]]; then
      export PK_SERVER_BINARY="$PWD/$candidate"
      break
    fi
  done
fi

nice -n 19 cmake --workflow --preset windows
