#!/usr/bin/env bash
# Installs a CUDA compiler for CI's compile check of the kernel library's CUDA part (src/Sana.Kernels): Debian
# bookworm's nvidia-cuda-toolkit (CUDA 11.8, from the non-free component, about two minutes) and clang 14, the host
# compiler that CUDA 11.8 accepts. Compiling needs no GPU; nothing here runs a kernel.
# Usage: bash .ci/install-cuda-compiler.sh   (idempotent; fast when already installed)
set -euo pipefail
if command -v nvcc >/dev/null && command -v clang++-14 >/dev/null; then
  echo "CUDA compiler already installed: $(nvcc --version | tail -n 1)"
  exit 0
fi
sources=/etc/apt/sources.list.d/sana-non-free.sources
if [[ ! -f $sources ]]; then
  cat > "$sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: contrib non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends nvidia-cuda-toolkit clang-14
echo "CUDA compiler installed: $(nvcc --version | tail -n 1)"
