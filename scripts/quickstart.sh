#!/usr/bin/env bash
# quickstart.sh: installs what is missing, builds keepwarm in Release, and runs the bundled
# default experiment (experiments/default.toml), printing the ranking of the built-in policies.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset release
cmake --build --preset release -j "$jobs"
exec build/release/bin/keepwarm run experiments/default.toml "$@"
