// Element types on the device: float, __half and __nv_bfloat16 read as float32 and written back rounded, plus the
// 16-byte vector loads the memory-bound kernels use where sizes and alignment allow.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "../common/kernel_args.h"

namespace sana::cuda {

template <typename T> __device__ __forceinline__ float ToFloat(T v);
template <> __device__ __forceinline__ float ToFloat<float>(float v) { return v; }
template <> __device__ __forceinline__ float ToFloat<__half>(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float ToFloat<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T> __device__ __forceinline__ T FromFloat(float v);
template <> __device__ __forceinline__ float FromFloat<float>(float v) { return v; }
template <> __device__ __forceinline__ __half FromFloat<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 FromFloat<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// What v becomes once stored as a T.
template <typename T> __device__ __forceinline__ float RoundTo(float v) { return ToFloat<T>(FromFloat<T>(v)); }

__device__ __forceinline__ float Silu(float x) { return x / (1.0f + __expf(-x)); }

// N consecutive elements moved as one aligned 16-byte (or smaller) access.
template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

template <typename T, int N>
__device__ __forceinline__ void LoadPack(const T* p, float (&out)[N]) {
  const Pack<T, N> pack = *reinterpret_cast<const Pack<T, N>*>(p);
#pragma unroll
  for (int i = 0; i < N; ++i) out[i] = ToFloat<T>(pack.v[i]);
}

template <typename T, int N>
__device__ __forceinline__ void StorePack(T* p, const float (&in)[N]) {
  Pack<T, N> pack;
#pragma unroll
  for (int i = 0; i < N; ++i) pack.v[i] = FromFloat<T>(in[i]);
  *reinterpret_cast<Pack<T, N>*>(p) = pack;
}

// Elements per 16-byte access.
template <typename T> constexpr int kVec = 16 / sizeof(T);

inline bool Aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

inline KernelStatus LaunchStatus(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return KernelStatus::Ok();
  return KernelStatus::Error(std::string(kernel) + ": kernel launch failed: " + cudaGetErrorString(e));
}

// Calls f with a null pointer of the element type that `dtype` names (type dispatch for the launchers).
template <typename F>
KernelStatus DispatchDType(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Float32: return f(static_cast<float*>(nullptr));
    case DType::Float16: return f(static_cast<__half*>(nullptr));
    case DType::BFloat16: return f(static_cast<__nv_bfloat16*>(nullptr));
  }
  return KernelStatus::Error("dtype: " + DTypeName(dtype) + " has no CUDA kernel");
}

}  // namespace sana::cuda
