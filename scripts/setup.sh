#!/usr/bin/env bash
# Installs the Debian packages Sphere needs to build, test and benchmark. Fast when all are
# present. Runs apt-get as root, or through sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake make pkg-config
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev libfccp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  liblemon-dev librandom123-dev libnlopt-cxx-dev libsqlite3-dev
  python3 python3-numpy python3-pandas python3-networkx
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
