#!/usr/bin/env bash
# test.sh: builds keepwarm with warnings as errors (CMake preset "ci") and runs the whole test
# suite with CTest. This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset ci
cmake --build --preset ci -j "$jobs"
ctest --preset ci -j "$jobs"
