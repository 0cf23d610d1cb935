#!/usr/bin/env bash
# fuzz.sh: builds the fuzz targets (fuzz/: one per parser, libFuzzer + ASan + UBSan, with clang)
# and runs each on a seed corpus made by keepwarm itself. A crash, sanitizer report or hang is a
# finding: its input is kept in BUILD/findings/TARGET/ and the script exits 1.
#
#   scripts/fuzz.sh [-t SECONDS] [-b BUILD_DIR] [-k KEEPWARM_EXE] [TARGET...]
#
# SECONDS per target (default 300); BUILD_DIR (default build/fuzz); KEEPWARM_EXE makes the seed
# corpus (default build/ci/bin/keepwarm, else build/release/bin/keepwarm); TARGETs among pickle,
# binary, native, azure, experiment, results (default all). Exits 77 without clang.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
secs=300
build="$src/build/fuzz"
exe=""
while getopts "t:b:k:" opt; do
  case $opt in
    t) secs=$OPTARG ;;
    b) build=$OPTARG ;;
    k) exe=$OPTARG ;;
    *) echo "usage: $0 [-t SECONDS] [-b BUILD_DIR] [-k KEEPWARM_EXE] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pickle binary native azure experiment results)

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz.sh: clang++ not found: install Debian's clang and libclang-rt-14-dev to fuzz" >&2
  exit 77
fi
if [ -z "$exe" ]; then
  for e in "$src/build/ci/bin/keepwarm" "$src/build/release/bin/keepwarm"; do
    if [ -x "$e" ]; then exe=$e; break; fi
  done
fi
if [ -z "$exe" ] || [ ! -x "$exe" ]; then
  echo "fuzz.sh: no keepwarm executable to make the seed corpus with: build keepwarm first" \
       "(scripts/test.sh or the release preset) or pass -k" >&2
  exit 2
fi

cmake -S "$src" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  -DKEEPWARM_FUZZ=ON -DKEEPWARM_BUILD_TESTS=OFF -DKEEPWARM_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror" >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" \
  --target "${targets[@]/#/fuzz_}" >"$build.build.log" 2>&1 || { tail -40 "$build.build.log" >&2; exit 1; }
python3 "$src/fuzz/make_corpus.py" "$exe" "$src" "$build/seeds"

status=0
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/findings/$t"
  log="$build/fuzz_$t.log"
  # Corpus first (it grows), then the seeds (read only).
  if "$build/bin/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$build/findings/$t/" \
       "$build/corpus/$t" "$build/seeds/$t" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz_$t: ${runs:-?} executions in ${secs} s, no findings"
  else
    echo "fuzz_$t: FINDING (inputs in $build/findings/$t/):" >&2
    grep -E "ERROR|SUMMARY|#[0-9]+ 0x" "$log" | head -20 >&2 || tail -20 "$log" >&2
    status=1
  fi
done
exit $status
