#!/usr/bin/env bash
# Builds the silo package the VMs download: `dotnet publish src/Sana.Cli` for linux-x64, framework-dependent (the
# VMs install the .NET 10 runtime), packed with the `sana` executable at the archive's root, plus its .sha256. The
# sana.kernels library (src/Sana.Kernels/build.sh) goes beside `sana`: with CUDA when this machine has nvcc, so the GPU
# workers run the kernels graph; without it (a warning) they run the portable graph. SANA_KERNELS_CUDA=ON requires CUDA.
# Usage: deploy/scripts/publish-silo.sh [OUT_DIR]        (default: artifacts/deploy)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-$root/artifacts/deploy}
package=sana-linux-x64.tar.gz
publish=$(mktemp -d)
trap 'rm -rf "$publish"' EXIT

dotnet publish "$root/src/Sana.Cli/Sana.Cli.csproj" -c Release -r linux-x64 --self-contained false -o "$publish"
test -x "$publish/sana" || { echo "publish produced no 'sana' executable" >&2; exit 1; }
kernels=$(mktemp -d)
trap 'rm -rf "$publish" "$kernels"' EXIT
bash "$root/src/Sana.Kernels/build.sh" "$kernels" >/dev/null
grep -q 'CUDA kernels' "$kernels/build.log" \
  || echo "warning: the kernel library was built without CUDA (no nvcc here): GPU workers will run the portable graph" >&2
cp "$kernels/libsana_kernels.so" "$publish/"
mkdir -p "$out"
# Fixed order, owner and times, so the same publish output gives the same archive and checksum.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' -czf "$out/$package" -C "$publish" .
(cd "$out" && sha256sum "$package" >"$package.sha256")
echo "built $out/$package"
cat "$out/$package.sha256"
