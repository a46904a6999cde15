#!/usr/bin/env bash
# Cross-compiles the Windows agent and its tests with mingw-w64 (the
# "windows" preset builds nothing else) and runs the tests under wine64 in
# a Wine prefix inside build/windows. Needs the packages that
# scripts/install-deps.sh installs.
set -euo pipefail

cd "$(dirname "$0")/.."
nice -n 19 cmake --workflow --preset windows
