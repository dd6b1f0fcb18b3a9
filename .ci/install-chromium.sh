#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver (Debian packages chromium, chromium-driver) for the browser test of the
# silo's GPU page (tests/Sana.Orleans.Silo.Tests). The test runs this itself on first use and starts the browser itself.
# Usage: bash .ci/install-chromium.sh   (idempotent; fast when already installed; apt needs root or password-less sudo)
set -euo pipefail
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?'); $(/usr/bin/chromedriver --version 2>/dev/null || echo '?')"
  exit 0
fi
# Waits for another apt (a concurrent install) instead of failing on its lock.
apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
if [[ $(id -u) -ne 0 ]]; then
  sudo -n true 2>/dev/null || { echo "install-chromium.sh: apt-get needs root: run \`sudo bash $0\`" >&2; exit 1; }
  apt=(sudo -n "${apt[@]}")
fi
"${apt[@]}" update || { echo "install-chromium.sh: apt-get update failed (are the Debian mirrors reachable?)" >&2; exit 1; }
"${apt[@]}" install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core \
  || { echo "install-chromium.sh: apt-get install chromium chromium-driver failed" >&2; exit 1; }
echo "chromium installed: $(/usr/bin/chromium --version); $(/usr/bin/chromedriver --version)"
