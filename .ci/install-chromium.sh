#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver (Debian packages chromium, chromium-driver) for the browser test of the
# silo's GPU page (tests/Sana.Orleans.Silo.Tests/Web). The test starts and stops the browser itself.
# Usage: bash .ci/install-chromium.sh   (idempotent; fast when already installed)
set -euo pipefail
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?'); $(/usr/bin/chromedriver --version 2>/dev/null || echo '?')"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core
echo "chromium installed: $(/usr/bin/chromium --version); $(/usr/bin/chromedriver --version)"
