#!/usr/bin/env bash
# install-deps.sh: installs the Debian 12 packages keepwarm needs to build and test (nothing is
# downloaded from anywhere else). Skips apt entirely when everything is already installed.
set -euo pipefail

packages=(
  g++ cmake make
  libboost-dev libboost-filesystem-dev
  libtomlplusplus-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  liblemon-dev  # optional: the min-cost flow solver of 'keepwarm bound' (docs/bounds.md)
  python3  # only for the fidelity cross-check tests/model/check_rand_model.py
  librsvg2-bin  # rsvg-convert: PNG and PDF copies of the plots (optional at run time)
  chromium fonts-dejavu-core  # headless screenshots of report.html (the report.screenshot test)
  clang libclang-rt-14-dev    # libFuzzer and sanitizers for the fuzz targets (fuzz.smoke test)
  libopenmpi-dev openmpi-bin  # optional: `mpirun -n N keepwarm run` (docs/distributed.md)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "keepwarm: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "keepwarm: need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
