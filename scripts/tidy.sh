#!/usr/bin/env bash
# Runs clang-tidy with the repository's .clang-tidy over the given source
# files (default: every .cpp under src/), using the dev build's compile
# commands. Configure the dev preset first: cmake --preset dev
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -f build/dev/compile_commands.json ]]; then
  echo "tidy: build/dev/compile_commands.json is missing; run 'cmake --preset dev' first" >&2
  exit 1
fi
if [[ $# -gt 0 ]]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cpp')
fi
clang-tidy -p build/dev --quiet "${files[@]}"
