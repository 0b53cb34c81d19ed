#!/usr/bin/env bash
# Runs each libFuzzer harness of a BERTH_FUZZ build for SECONDS, one after
# another (one core: the machine may be building too).
#
#   fuzz/run.sh BUILD_DIR SECONDS [HARNESS...]
#
# Each harness first replays fuzz/regressions/<harness>, whole, then fuzzes
# from fuzz/corpus/<harness> copied into BUILD_DIR/corpus/<harness>, which
# keeps what earlier runs found; the repository's corpus is never written. A
# harness stops at its first crash, hang (-timeout) or memory blow-up
# (-rss_limit_mb) and the run goes on to the next; the script then exits
# non-zero, naming each saved input.
set -euo pipefail

build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [HARNESS...]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [HARNESS...]}
shift 2
source_dir=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$build" && pwd)
if [ $# -gt 0 ]; then
  harnesses=("$@")
else
  harnesses=()
  for binary in "$build"/bin/fuzz_*; do
    harnesses+=("${binary##*/fuzz_}")
  done
fi
if [ ${#harnesses[@]} -eq 0 ]; then
  echo "fuzz: no harnesses in $build/bin; build it first (make fuzz-smoke does)" >&2
  exit 1
fi

# A stack trace for UBSan too; LeakSanitizer stays on (libFuzzer's default).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
artifacts="$build/artifacts"
mkdir -p "$artifacts"

failed=()
for harness in "${harnesses[@]}"; do
  work="$build/corpus/$harness"
  mkdir -p "$work"
  cp -n "$source_dir/corpus/$harness"/* "$work"/
  before=$(find "$work" -type f | wc -l)
  log="$build/fuzz-$harness.log"
  # Tars need room for a few entries; text and JSON go deep enough in less.
  case "$harness" in
    layer_tar | image_archive) max_len=65536 ;;
    *) max_len=8192 ;;
  esac
  # -timeout: an input that takes 10 s is a hang (they take micro- to
  # milliseconds); -rss_limit_mb: 2 GiB is a blow-up, berth reads these in
  # far less. Both, and any crash, stop the harness with the input saved.
  options=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/$harness-")
  status=0
  : > "$log"
  regressions=("$source_dir/regressions/$harness"/*)
  if [ -e "${regressions[0]}" ]; then
    echo "fuzz: $harness: replaying ${#regressions[@]} regressions"
    "$build/bin/fuzz_$harness" "${options[@]}" "${regressions[@]}" > "$log" 2>&1 || status=$?
  fi
  if [ "$status" -eq 0 ]; then
    echo "fuzz: $harness for ${seconds}s ($before inputs to start)"
    "$build/bin/fuzz_$harness" "$work" "${options[@]}" -max_len="$max_len" \
      -max_total_time="$seconds" -print_final_stats=1 >> "$log" 2>&1 || status=$?
  fi
  runs=$(grep -o "stat::number_of_executed_units: [0-9]*" "$log" | grep -o "[0-9]*$" || echo "?")
  if [ "$status" -eq 0 ]; then
    echo "fuzz: $harness ok: $runs runs, corpus $before -> $(find "$work" -type f | wc -l) inputs"
    continue
  fi
  # The report without the fuzzer's and the sanitizers' own frames, lines
  # cut short: C++ frames are long.
  sed -n '/ERROR: \|runtime error\|property violated\|terminate called/,/SUMMARY/p' "$log" |
    grep -vE "fuzzer::|__sanitizer|__asan|__ubsan|libc\.so|_start|abort|raise|pthread_kill" |
    head -n 16 | cut -c 1-200 >&2
  saved=$(grep -o "Test unit written to .*" "$log" | tail -n 1 | sed 's/Test unit written to //')
  # A regression that fails again: name it rather than libFuzzer's copy.
  if grep -q "^Running: " "$log" && ! grep -q "^#[0-9]*.*INITED" "$log"; then
    saved=$(grep "^Running: " "$log" | tail -n 1 | sed 's/^Running: //')
  fi
  echo "fuzz: $harness FAILED (exit $status) after $runs runs; input: ${saved:-none, see $log}" >&2
  echo "fuzz: reproduce with $build/bin/fuzz_$harness ${saved:-INPUT}; once fixed, add the" \
    "input to fuzz/regressions/$harness/" >&2
  failed+=("$harness")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (full logs: $build/fuzz-HARNESS.log)" >&2
  exit 1
fi
