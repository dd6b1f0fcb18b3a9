#!/usr/bin/env bash
# Installs Azurite (npm) into .ci/azurite/node_modules, where the tests look for it. The tests run this themselves on
# first use (tests/TestSupport/TestInstalls.cs); they also start and stop Azurite (loopback, ephemeral ports).
# Usage: bash .ci/install-azurite.sh   (idempotent; fast when already installed)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$here/azurite/node_modules/.bin/azurite"
# Written last: a tree that npm left half-installed (killed, no network) has no marker, so the tests install again.
marker="$here/azurite/node_modules/.sana-installed"
if [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1; then
  touch "$marker"
  echo "azurite $("$bin" --version) already installed at $bin"
  exit 0
fi
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "install-azurite.sh: $tool is not installed; Azurite needs Node.js 20 or later with npm" >&2; exit 1; }
done
# Azurite 3.37 declares node>=22 but runs on node 20; the engine warning is expected.
npm install --prefix "$here/azurite" --no-audit --no-fund --loglevel=error \
  || { echo "install-azurite.sh: npm install failed (is the npm registry reachable?)" >&2; exit 1; }
"$bin" --version >/dev/null || { echo "install-azurite.sh: npm installed azurite, but $bin --version fails" >&2; exit 1; }
touch "$marker"
echo "azurite $("$bin" --version) installed at $bin"
