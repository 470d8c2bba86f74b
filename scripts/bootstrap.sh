#!/usr/bin/env bash
# Install what gridmap needs on a Debian/Ubuntu machine, then stop. Safe to run again:
# each step is skipped when already done.
#   scripts/bootstrap.sh        — to run the platform
#   scripts/bootstrap.sh test   — also what the tests need (Chromium, CJK fonts)
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-run}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

debs=(postgresql-15-postgis-3 python3-venv nodejs npm)
if [ "$want" = test ]; then debs+=(chromium fonts-noto-cjk gdal-bin); fi
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A Python or Node installed outside Debian's packages is fine too.
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  echo "· apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "gridmap needs Python ≥ 3.11 (found $(python3 --version))" >&2; exit 1; }

stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  echo "· python3 -m venv .venv"
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "· pip install -e .[dev]"
  .venv/bin/pip install -q --disable-pip-version-check -e ".[dev]"
  touch "$stamp"
fi

if [ -f web/package.json ]; then
  wstamp=web/node_modules/.installed
  if [ ! -f "$wstamp" ] || [ web/package-lock.json -nt "$wstamp" ]; then
    echo "· npm ci (web/)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    touch "$wstamp"
  fi
fi
