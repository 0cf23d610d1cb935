#!/usr/bin/env bash
# The CTest test report.screenshot: runs keepwarm on the shipped sample trace (rand over 3
# seeds beside two deterministic policies, so that error bars and ties are drawn), then
# screenshots its report.html with scripts/screenshot-report.sh. Skips (77) without Chromium.
#   tests/report/screenshot.sh KEEPWARM SOURCE_DIR WORK_DIR
set -euo pipefail
keepwarm=$1 source_dir=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
"$keepwarm" run -q --reproducible --trace "$source_dir/traces/sample" \
  --policy rand,lru,ttl,oracle --memory 1000,2000,4000,8000 --seeds 3 --out "$work/out" >/dev/null
exec "$source_dir/scripts/screenshot-report.sh" "$work/out" "$work/report.png" 1400,2200
