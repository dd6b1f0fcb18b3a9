// One block per row: the residual update and the modulated LayerNorm of that row in one pass over memory. The row stays
// in registers between the residual and the norm (VPT packs of VEC elements per thread), so the norm's statistics
// cost no second read.
#include "cuda_ops.h"
#include "element.cuh"

namespace sana::cuda {

namespace {

// The sum over the block, returned to every thread; fixed reduction order, so the result is deterministic.
__device__ float BlockSum(float v, float* shared) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // the previous call's readers are done with `shared`
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  const int warps = blockDim.x / 32;
  float total = lane < warps ? shared[lane] : 0.0f;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) total += __shfl_xor_sync(0xffffffffu, total, o);
  return total;
}

template <typename T, int VEC, int VPT>
__global__ void ResidualNormKernel(ResidualNormArgs a) {
  __shared__ float shared[32];
  const int64_t row = blockIdx.x;
  const int64_t b = row / a.tokens;
  const int64_t d = a.dim;
  const T* x = static_cast<const T*>(a.x) + row * d;
  const T* y = a.y != nullptr ? static_cast<const T*>(a.y) + row * d : nullptr;
  const T* bias = static_cast<const T*>(a.bias);
  const T* gate = a.gate_mod != nullptr ? static_cast<const T*>(a.gate_mod) + (b * a.gate_rows + a.gate_row) * d : nullptr;
  T* x_out = a.x_out != nullptr ? static_cast<T*>(a.x_out) + row * d : nullptr;

  float v[VPT][VEC];
  float sum = 0.0f;
#pragma unroll
  for (int k = 0; k < VPT; ++k) {
    const int64_t c = (static_cast<int64_t>(threadIdx.x) + static_cast<int64_t>(k) * blockDim.x) * VEC;
    if (c < d) {
      LoadPack<T, VEC>(x + c, v[k]);
      if (y != nullptr) {
        float yv[VEC];
        LoadPack<T, VEC>(y + c, yv);
        if (bias != nullptr) {
          float bv[VEC];
          LoadPack<T, VEC>(bias + c, bv);
#pragma unroll
          for (int e = 0; e < VEC; ++e) yv[e] = RoundTo<T>(yv[e] + bv[e]);
        }
        float gv[VEC];
        if (gate != nullptr) {
          LoadPack<T, VEC>(gate + c, gv);
        } else {
#pragma unroll
          for (int e = 0; e < VEC; ++e) gv[e] = 1.0f;
        }
#pragma unroll
        for (int e = 0; e < VEC; ++e) {
          const float ye = a.clip_y ? fminf(65504.0f, fmaxf(-65504.0f, yv[e])) : yv[e];
          v[k][e] = RoundTo<T>(v[k][e] + gv[e] * ye);
        }
        StorePack<T, VEC>(x_out + c, v[k]);
      }
#pragma unroll
      for (int e = 0; e < VEC; ++e) sum += v[k][e];
    } else {
#pragma unroll
      for (int e = 0; e < VEC; ++e) v[k][e] = 0.0f;
    }
  }
  if (a.norm_out == nullptr) return;  // the same for every block: no thread is left waiting at a barrier

  const float mean = BlockSum(sum, shared) / static_cast<float>(d);
  float squares = 0.0f;
#pragma unroll
  for (int k = 0; k < VPT; ++k) {
    const int64_t c = (static_cast<int64_t>(threadIdx.x) + static_cast<int64_t>(k) * blockDim.x) * VEC;
    if (c < d) {
#pragma unroll
      for (int e = 0; e < VEC; ++e) squares += (v[k][e] - mean) * (v[k][e] - mean);
    }
  }
  const float rstd = rsqrtf(BlockSum(squares, shared) / static_cast<float>(d) + a.epsilon);
  const T* shift = static_cast<const T*>(a.norm_mod) + (b * a.norm_rows + a.shift_row) * d;
  const T* scale = static_cast<const T*>(a.norm_mod) + (b * a.norm_rows + a.scale_row) * d;
  T* out = static_cast<T*>(a.norm_out) + row * d;
#pragma unroll
  for (int k = 0; k < VPT; ++k) {
    const int64_t c = (static_cast<int64_t>(threadIdx.x) + static_cast<int64_t>(k) * blockDim.x) * VEC;
    if (c < d) {
      float sh[VEC], sc[VEC], o[VEC];
      LoadPack<T, VEC>(shift + c, sh);
      LoadPack<T, VEC>(scale + c, sc);
#pragma unroll
      for (int e = 0; e < VEC; ++e) o[e] = (v[k][e] - mean) * rstd * (1.0f + sc[e]) + sh[e];
      StorePack<T, VEC>(out + c, o);
    }
  }
}

template <typename T, int VEC>
KernelStatus LaunchWithVec(const ResidualNormArgs& a, cudaStream_t stream) {
  const int64_t packs = (a.dim + VEC - 1) / VEC;
  const int64_t rows = a.batch * a.tokens;
  auto launch = [&](auto vpt_tag) {
    constexpr int VPT = decltype(vpt_tag)::value;
    const int64_t threads = ((packs + VPT - 1) / VPT + 31) / 32 * 32;
    ResidualNormKernel<T, VEC, VPT><<<static_cast<unsigned>(rows), static_cast<unsigned>(threads), 0, stream>>>(a);
    return LaunchStatus("ResidualNorm");
  };
  if (packs <= 256) return launch(std::integral_constant<int, 1>{});
  if (packs <= 512) return launch(std::integral_constant<int, 2>{});
  if (packs <= 1024 * 4) return launch(std::integral_constant<int, 4>{});
  if (packs <= 1024 * 8) return launch(std::integral_constant<int, 8>{});
  return KernelStatus::Error("dim: " + std::to_string(a.dim) + " is more than the CUDA kernel holds in a block");
}

}  // namespace

KernelStatus ResidualNorm(const ResidualNormArgs& a, void* stream) {
  if (auto s = Validate(a); !s.ok) return s;
  if (a.batch * a.tokens == 0) return KernelStatus::Ok();
  if (a.batch * a.tokens > 0x7fffffffLL) return KernelStatus::Error("x: more rows than one launch covers");
  auto s = static_cast<cudaStream_t>(stream);
  return DispatchDType(a.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    constexpr int V = kVec<T>;
    const bool vector = a.dim % V == 0 && Aligned16(a.x) && Aligned16(a.y) && Aligned16(a.bias) &&
                        Aligned16(a.gate_mod) && Aligned16(a.norm_mod) && Aligned16(a.x_out) && Aligned16(a.norm_out);
    return vector ? LaunchWithVec<T, V>(a, s) : LaunchWithVec<T, 1>(a, s);
  });
}

}  // namespace sana::cuda
