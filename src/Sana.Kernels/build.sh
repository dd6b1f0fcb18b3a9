#!/usr/bin/env bash
# Builds the sana.kernels custom-op library: src/Sana.Kernels/build.sh [OUT_DIR] (default: artifacts/kernels).
#   SANA_KERNELS_CUDA=AUTO|ON|OFF   CUDA kernels when nvcc is found (AUTO, the default), required, or not built
#   CUDA_ARCHS="80;90"              GPU architectures
#   SANA_KERNELS_WERROR=ON          warnings are errors (the tests' and CI's builds)
#   ORT_INCLUDE_DIR=...             ONNX Runtime headers; by default those of the Microsoft.ML.OnnxRuntime.Gpu.Linux
#                                   NuGet package in the NuGet cache (the version Directory.Packages.props pins)
# Writes OUT_DIR/libsana_kernels.so and prints its path last.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mkdir -p "${1:-$root/artifacts/kernels}" && cd "${1:-$root/artifacts/kernels}" && pwd)
if [[ -z ${ORT_INCLUDE_DIR:-} ]]; then
  version=$(sed -n 's/.*Include="Microsoft.ML.OnnxRuntime.Gpu" Version="\([^"]*\)".*/\1/p' "$root/Directory.Packages.props")
  packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
  ORT_INCLUDE_DIR=$packages/microsoft.ml.onnxruntime.gpu.linux/$version/buildTransitive/native/include
  if [[ ! -f $ORT_INCLUDE_DIR/onnxruntime_lite_custom_op.h ]]; then
    echo "build.sh: no ONNX Runtime headers at $ORT_INCLUDE_DIR: run 'dotnet restore' first or set ORT_INCLUDE_DIR" >&2
    exit 2
  fi
fi
for tool in cmake c++; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is not installed (Debian: apt-get install cmake g++)" >&2; exit 2; }
done
# Debian's CUDA 11.8 compiler refuses g++ 12; clang 14 is the host compiler it accepts (CUDAHOSTCXX also reaches
# CMake's check for a working CUDA compiler)
if [[ -z ${CUDAHOSTCXX:-} ]] && command -v nvcc >/dev/null && nvcc --version | grep -q 'release 11\.' \
   && command -v clang++-14 >/dev/null; then
  export CUDAHOSTCXX=clang++-14
fi
build=$out/build
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DORT_INCLUDE_DIR="$ORT_INCLUDE_DIR" \
  -DSANA_KERNELS_CUDA="${SANA_KERNELS_CUDA:-AUTO}" -DSANA_KERNELS_WERROR="${SANA_KERNELS_WERROR:-OFF}" -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-80;90}" \
  >"$build.log" 2>&1 || { cat "$build.log" >&2; exit 1; }
grep -h 'sana_kernels:' "$build.log" >&2 || true
cmake --build "$build" -j "$(nproc)" >>"$build.log" 2>&1 || { tail -n 60 "$build.log" >&2; exit 1; }
cp "$build/libsana_kernels.so" "$out/libsana_kernels.so"
echo "$out/libsana_kernels.so"
