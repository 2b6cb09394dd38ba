#!/usr/bin/env bash
# Installs the Debian packages Sphere needs to build, test and benchmark. Fast when all are
# present. Runs apt-get as root, or through sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake make pkg-config
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev libfccp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  liblemon-dev librandom123-dev libnlopt-cxx-dev libsqlite3-dev libeigen3-dev libmuparser-dev
  libboost-dev
  python3 python3-numpy python3-pandas python3-networkx python3-scipy
  python3-yaml  # tests/service/openapi_check.py: docs/openapi.yaml against the encoders
  libcpp-httplib-dev wrk chromium
  clang libclang-rt-dev  # `make fuzz`: libFuzzer harnesses (fuzz/)
  libopenmpi-dev openmpi-bin  # optional -DSPHERE_WITH_MPI=ON build and its mpirun test
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node and npm build the report's map and the dashboard (web/); Debian's are enough, but a Node
# installed another way (nodesource) is used as it is.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The npm packages pinned in web/package-lock.json (world-atlas, topojson-client, d3-geo, ...),
# installed again only when the lock file is newer than the last install.
web="$(dirname "$0")/../web"
if [ ! -f "$web/node_modules/.package-lock.json" ] || [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  # `npm install --no-save` installs the locked versions without rewriting the lock file; `npm ci`
  # rejects this lock file because the registry lists only this platform's optional rollup binary.
  echo "setup: npm install (locked versions) in web/"
  (cd "$web" && npm install --no-save --no-audit --no-fund --loglevel=error)
fi
