#!/usr/bin/env bash
# iproute2 (`ip netns`, veth, bridge, blackhole routes) for the network-partition fault test
# (tests/Sana.Orleans.FaultTests/PartitionTests.cs), which runs this itself on first use. Idempotent. The test itself
# needs root (CAP_NET_ADMIN); it makes its own namespaces and addresses in 10.213.N.0/24 and removes them when it ends.
# Usage: bash .ci/install-netns.sh   (apt needs root or password-less sudo)
set -euo pipefail
if command -v ip >/dev/null 2>&1 && ip netns list >/dev/null 2>&1; then
  echo "iproute2 already installed: $(ip -V)"
  exit 0
fi
# Waits for another apt (a concurrent install) instead of failing on its lock.
apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
if [[ $(id -u) -ne 0 ]]; then
  sudo -n true 2>/dev/null || { echo "install-netns.sh: apt-get needs root: run \`sudo bash $0\`" >&2; exit 1; }
  apt=(sudo -n "${apt[@]}")
fi
"${apt[@]}" update -qq || { echo "install-netns.sh: apt-get update failed (are the Debian mirrors reachable?)" >&2; exit 1; }
"${apt[@]}" install -y -qq iproute2 >/dev/null || { echo "install-netns.sh: apt-get install iproute2 failed" >&2; exit 1; }
ip -V
