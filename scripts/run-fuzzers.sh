#!/usr/bin/env bash
# Runs every fuzz target built in BUILD_DIR for SECONDS each, starting from
# the seeds in fuzz/corpus/<target>/. Exits non-zero on the first crash.
#   scripts/run-fuzzers.sh [BUILD_DIR] [SECONDS]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-$root/build/fuzz}
seconds=${2:-10}

shopt -s nullglob
targets=("$build_dir"/fuzz/*_fuzz)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "run-fuzzers: no fuzz targets in $build_dir/fuzz; build the 'fuzz' preset first" >&2
  exit 1
fi

passed=0
for target in "${targets[@]}"; do
  name=$(basename "$target")
  seeds="$root/fuzz/corpus/$name"
  if [[ ! -d $seeds ]]; then
    echo "run-fuzzers: $name has no seeds; add some to fuzz/corpus/$name/" >&2
    exit 1
  fi
  work=$(mktemp -d)
  cp -r "$seeds"/. "$work"/
  echo "run-fuzzers: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build_dir/" \
      "$work" > "$build_dir/$name.log" 2>&1; then
    tail -n 60 "$build_dir/$name.log" >&2
    echo "run-fuzzers: $name failed; the crashing input is in $build_dir/" >&2
    rm -rf "$work"
    exit 1
  fi
  grep -E "stat::number_of_executed_units" "$build_dir/$name.log" || true
  rm -rf "$work"
  passed=$((passed + 1))
done
echo "run-fuzzers: $passed fuzz targets ran without a failure"
