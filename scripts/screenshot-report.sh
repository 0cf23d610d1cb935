#!/usr/bin/env bash
# screenshot-report.sh: a PNG screenshot of a report.html in headless Chromium, to look at the
# report as a reader sees it (and to check in a test that it renders at all).
#
#   scripts/screenshot-report.sh REPORT [OUT.png] [WIDTH,HEIGHT]
#
# REPORT is a report.html or the output directory holding it; OUT defaults to
# report-screenshot.png beside it; the window defaults to 1400,2200. The PNG is checked:
# it must exist, be a PNG of the window's size and not be nearly empty. Exits 77 (the CTest
# skip code) when no Chromium is installed (Debian package chromium).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  echo "usage: $0 REPORT[.html|DIR] [OUT.png] [WIDTH,HEIGHT]" >&2
  exit 2
fi
report=$1
[ -d "$report" ] && report=$report/report.html
if [ ! -f "$report" ]; then
  echo "screenshot-report: $report: no such file" >&2
  exit 1
fi
report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
out=${2:-$(dirname "$report")/report-screenshot.png}
size=${3:-1400,2200}
width=${size%,*}
height=${size#*,}

browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then
    browser=$(command -v "$b")
    break
  fi
done
if [ -z "$browser" ]; then
  echo "screenshot-report: skipped: no chromium on PATH (Debian package chromium)" >&2
  exit 77
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$out"
# Offline and quiet: no GPU, no network, no first-run or update machinery.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" --screenshot="$out" \
  --window-size="$width,$height" "file://$report" >"$profile/log" 2>&1 || {
  echo "screenshot-report: $browser failed:" >&2
  tail -5 "$profile/log" >&2
  exit 1
}

# The checks: a PNG, the window's size (IHDR width and height), and enough content (a blank
# page of this size compresses to a few kilobytes).
if [ ! -s "$out" ]; then
  echo "screenshot-report: $out was not written" >&2
  exit 1
fi
signature=$(od -An -tx1 -N8 "$out" | tr -d ' \n')
if [ "$signature" != "89504e470d0a1a0a" ]; then
  echo "screenshot-report: $out is not a PNG" >&2
  exit 1
fi
png_w=$((16#$(od -An -tx1 -j16 -N4 "$out" | tr -d ' \n')))
png_h=$((16#$(od -An -tx1 -j20 -N4 "$out" | tr -d ' \n')))
if [ "$png_w" -ne "$width" ] || [ "$png_h" -ne "$height" ]; then
  echo "screenshot-report: $out is ${png_w}x${png_h}, expected ${width}x${height}" >&2
  exit 1
fi
bytes=$(stat -c %s "$out")
min=$((width * height / 40))
if [ "$bytes" -lt "$min" ]; then
  echo "screenshot-report: $out has only $bytes bytes (< $min): the page looks empty" >&2
  exit 1
fi
echo "wrote $out (${png_w}x${png_h}, $bytes bytes)"
