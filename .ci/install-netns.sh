#!/usr/bin/env bash
# iproute2 (`ip netns`, veth, bridge, blackhole routes) for the network-partition fault test
# (tests/Sana.Orleans.FaultTests/PartitionTests.cs). Idempotent. The test itself needs root (CAP_NET_ADMIN); it makes
# its own namespaces and addresses in 10.213.N.0/24 and removes them when it ends.
set -euo pipefail
if command -v ip >/dev/null 2>&1 && ip netns list >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq iproute2 >/dev/null
ip -V
