#!/usr/bin/env bash
# Installs Azurite (npm) into .ci/azurite/node_modules, where the tests' AzuriteFixture looks for it.
# The tests start and stop Azurite themselves (loopback, ephemeral ports, in-memory), so nothing needs to be started.
# Usage: bash .ci/install-azurite.sh   (idempotent; fast when already installed)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$here/azurite/node_modules/.bin/azurite"
if [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1; then
  echo "azurite $("$bin" --version) already installed at $bin"
  exit 0
fi
command -v npm >/dev/null || { echo "npm is required (apt-get install -y nodejs npm)" >&2; exit 1; }
# Azurite 3.37 declares node>=22 but runs on node 20; the engine warning is expected.
npm install --prefix "$here/azurite" --no-audit --no-fund --loglevel=error
echo "azurite $("$bin" --version) installed at $bin"
