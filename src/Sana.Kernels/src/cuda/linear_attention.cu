// Sana's linear attention in two passes over qkv: the state pass reads k and v once and reduces them to the small
// float32 state of each (sample, head); the apply pass reads q once and writes the output. Both sum in a fixed order
// (no atomics), so an image does not change from one run to the next.
#include "cuda_ops.h"
#include "element.cuh"

namespace sana::cuda {

namespace {

constexpr int kStateThreads = 256;
constexpr int kApplyThreads = 128;  // tokens per block in the apply pass

// Loads VEC consecutive elements at p plus their bias, rounded as the GEMM's output would be.
template <typename T, int VEC>
__device__ __forceinline__ void LoadProjected(const T* p, const float* bias, float (&out)[VEC]) {
  LoadPack<T, VEC>(p, out);
#pragma unroll
  for (int e = 0; e < VEC; ++e) out[e] = RoundTo<T>(out[e] + bias[e]);
}

// grid (heads, batch); each thread owns a 4x4 tile of v (rows) x k (columns) of the state and one of `groups` token
// subsets; the groups' partial sums are added in a fixed order at the end.
template <typename T, int HD, int VEC>
__global__ void __launch_bounds__(kStateThreads) StateKernel(LinearAttentionArgs a) {
  constexpr int kTiles = (HD / 4) * (HD / 4);
  constexpr int kGroups = kStateThreads / kTiles;
  constexpr int kStateTile = HD <= 32 ? 64 : 32;  // tokens per tile: static shared memory stays under 48 KiB
  __shared__ float4 k_tile[kStateTile][HD / 4];
  __shared__ float4 v_tile[kStateTile][HD / 4];
  __shared__ float partial[kGroups][HD + 1][HD];
  __shared__ float bias_kv[2][HD];

  const int64_t h = blockIdx.x, b = blockIdx.y;
  const int64_t width = a.heads * HD;
  const T* qkv = static_cast<const T*>(a.qkv) + b * a.tokens * 3 * width;
  const T* bias = static_cast<const T*>(a.bias);
  for (int i = threadIdx.x; i < 2 * HD; i += kStateThreads) {
    const int part = 1 + i / HD;  // k, then v
    bias_kv[i / HD][i % HD] = bias != nullptr ? ToFloat<T>(bias[part * width + h * HD + i % HD]) : 0.0f;
  }

  const int tile = threadIdx.x % kTiles, group = threadIdx.x / kTiles;
  const int ti = tile / (HD / 4), tj = tile % (HD / 4);
  float acc[4][4] = {};
  float ksum[4] = {};
  for (int64_t start = 0; start < a.tokens; start += kStateTile) {
    __syncthreads();  // the previous tile is consumed (and bias_kv written, the first time)
    // (token, part, pack) with pack fastest: consecutive threads read consecutive packs of one token's k or v
    constexpr int kPacks = HD / VEC;
    for (int i = threadIdx.x; i < kStateTile * 2 * kPacks; i += kStateThreads) {
      const int pack = i % kPacks, part = (i / kPacks) % 2, t = i / (2 * kPacks);
      float vals[VEC];
      if (start + t < a.tokens) {
        const T* p = qkv + (start + t) * 3 * width + (1 + part) * width + h * HD + pack * VEC;
        LoadProjected<T, VEC>(p, &bias_kv[part][pack * VEC], vals);
        if (part == 0) {
#pragma unroll
          for (int e = 0; e < VEC; ++e) vals[e] = fmaxf(vals[e], 0.0f);
        }
      } else {
#pragma unroll
        for (int e = 0; e < VEC; ++e) vals[e] = 0.0f;
      }
      float* dst = reinterpret_cast<float*>(part == 0 ? &k_tile[t][0] : &v_tile[t][0]) + pack * VEC;
#pragma unroll
      for (int e = 0; e < VEC; ++e) dst[e] = vals[e];
    }
    __syncthreads();
    for (int t = group; t < kStateTile; t += kGroups) {
      const float4 kk = k_tile[t][tj];
      const float4 vv = v_tile[t][ti];
      const float kv[4] = {kk.x, kk.y, kk.z, kk.w};
      const float vr[4] = {vv.x, vv.y, vv.z, vv.w};
#pragma unroll
      for (int r = 0; r < 4; ++r) {
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[r][c] = fmaf(vr[r], kv[c], acc[r][c]);
      }
      if (ti == 0) {
#pragma unroll
        for (int c = 0; c < 4; ++c) ksum[c] += kv[c];
      }
    }
  }
#pragma unroll
  for (int r = 0; r < 4; ++r) {
#pragma unroll
    for (int c = 0; c < 4; ++c) partial[group][ti * 4 + r][tj * 4 + c] = acc[r][c];
  }
  if (ti == 0) {
#pragma unroll
    for (int c = 0; c < 4; ++c) partial[group][HD][tj * 4 + c] = ksum[c];
  }
  __syncthreads();
  float* state = a.state + (b * a.heads + h) * (HD + 1) * HD;
  for (int i = threadIdx.x; i < (HD + 1) * HD; i += kStateThreads) {
    float total = 0.0f;
    for (int g = 0; g < kGroups; ++g) total += partial[g][i / HD][i % HD];
    state[i] = total;
  }
}

// grid (token blocks, heads, batch); one thread per token of one head.
template <typename T, int HD, int VEC>
__global__ void __launch_bounds__(kApplyThreads) ApplyKernel(LinearAttentionArgs a) {
  __shared__ float4 state[HD + 1][HD / 4];
  __shared__ float bias_q[HD];
  __shared__ float bias_v[HD];
  const int64_t h = blockIdx.y, b = blockIdx.z;
  const int64_t width = a.heads * HD;
  const T* bias = static_cast<const T*>(a.bias);
  const float* src = a.state + (b * a.heads + h) * (HD + 1) * HD;
  for (int i = threadIdx.x; i < (HD + 1) * HD; i += kApplyThreads) reinterpret_cast<float*>(state)[i] = src[i];
  for (int i = threadIdx.x; i < HD; i += kApplyThreads) {
    bias_q[i] = bias != nullptr ? ToFloat<T>(bias[h * HD + i]) : 0.0f;
    bias_v[i] = bias != nullptr ? ToFloat<T>(bias[2 * width + h * HD + i]) : 0.0f;
  }
  __syncthreads();
  const int64_t n = static_cast<int64_t>(blockIdx.x) * kApplyThreads + threadIdx.x;
  if (n >= a.tokens) return;
  const T* row = static_cast<const T*>(a.qkv) + (b * a.tokens + n) * 3 * width;
  T* out = static_cast<T*>(a.out) + (b * a.tokens + n) * width + h * HD;
  const bool identity = a.pag_layer_mask != nullptr && a.pag_layer_mask[a.layer] * a.pag_sample_mask[b] > 0.5f;
  if (identity) {
#pragma unroll
    for (int p = 0; p < HD / VEC; ++p) {
      float v[VEC];
      LoadProjected<T, VEC>(row + 2 * width + h * HD + p * VEC, &bias_v[p * VEC], v);
      StorePack<T, VEC>(out + p * VEC, v);
    }
    return;
  }
  float q[HD];
#pragma unroll
  for (int p = 0; p < HD / VEC; ++p) {
    float v[VEC];
    LoadProjected<T, VEC>(row + h * HD + p * VEC, &bias_q[p * VEC], v);
#pragma unroll
    for (int e = 0; e < VEC; ++e) q[p * VEC + e] = fmaxf(v[e], 0.0f);
  }
  float denominator = 0.0f;
#pragma unroll
  for (int j = 0; j < HD / 4; ++j) {
    const float4 s = state[HD][j];
    denominator += s.x * q[4 * j] + s.y * q[4 * j + 1] + s.z * q[4 * j + 2] + s.w * q[4 * j + 3];
  }
  const float divisor = denominator + a.epsilon;
#pragma unroll
  for (int p = 0; p < HD / VEC; ++p) {
    float o[VEC];
#pragma unroll
    for (int e = 0; e < VEC; ++e) {
      const int i = p * VEC + e;
      float numerator = 0.0f;
#pragma unroll
      for (int j = 0; j < HD / 4; ++j) {
        const float4 s = state[i][j];
        numerator += s.x * q[4 * j] + s.y * q[4 * j + 1] + s.z * q[4 * j + 2] + s.w * q[4 * j + 3];
      }
      o[e] = numerator / divisor;
    }
    StorePack<T, VEC>(out + p * VEC, o);
  }
}

// Calls f with the head size as a compile-time constant; the kernels are instantiated for Sana's 32 and the sizes the
// small test models use.
template <typename F>
KernelStatus DispatchHeadDim(int64_t head_dim, F&& f) {
  switch (head_dim) {
    case 8: return f(std::integral_constant<int, 8>{});
    case 16: return f(std::integral_constant<int, 16>{});
    case 32: return f(std::integral_constant<int, 32>{});
    case 64: return f(std::integral_constant<int, 64>{});
    default:
      return KernelStatus::Error("head_dim: " + std::to_string(head_dim) + " has no CUDA kernel (8, 16, 32 or 64)");
  }
}

template <typename T>
bool VectorOk(const LinearAttentionArgs& a, int64_t head_dim) {
  return head_dim % kVec<T> == 0 && Aligned16(a.qkv) && Aligned16(a.out);
}

}  // namespace

KernelStatus LinearAttentionState(const LinearAttentionArgs& a, void* stream) {
  if (auto s = ValidateState(a); !s.ok) return s;
  if (a.batch == 0) return KernelStatus::Ok();
  auto s = static_cast<cudaStream_t>(stream);
  return DispatchDType(a.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    return DispatchHeadDim(a.head_dim, [&](auto hd_tag) {
      constexpr int HD = decltype(hd_tag)::value;
      const dim3 grid(static_cast<unsigned>(a.heads), static_cast<unsigned>(a.batch));
      if (VectorOk<T>(a, HD)) {
        StateKernel<T, HD, (HD % kVec<T> == 0 ? kVec<T> : 1)><<<grid, kStateThreads, 0, s>>>(a);
      } else {
        StateKernel<T, HD, 1><<<grid, kStateThreads, 0, s>>>(a);
      }
      return LaunchStatus("LinearAttentionState");
    });
  });
}

KernelStatus LinearAttentionApply(const LinearAttentionArgs& a, void* stream) {
  if (auto s = ValidateApply(a); !s.ok) return s;
  if (a.batch == 0 || a.tokens == 0) return KernelStatus::Ok();
  auto s = static_cast<cudaStream_t>(stream);
  return DispatchDType(a.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    return DispatchHeadDim(a.head_dim, [&](auto hd_tag) {
      constexpr int HD = decltype(hd_tag)::value;
      const dim3 grid(static_cast<unsigned>((a.tokens + kApplyThreads - 1) / kApplyThreads),
                      static_cast<unsigned>(a.heads), static_cast<unsigned>(a.batch));
      if (VectorOk<T>(a, HD)) {
        ApplyKernel<T, HD, (HD % kVec<T> == 0 ? kVec<T> : 1)><<<grid, kApplyThreads, 0, s>>>(a);
      } else {
        ApplyKernel<T, HD, 1><<<grid, kApplyThreads, 0, s>>>(a);
      }
      return LaunchStatus("LinearAttentionApply");
    });
  });
}

}  // namespace sana::cuda
