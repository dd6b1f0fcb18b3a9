// GLUMBConv's middle in one pass: each block owns a strip of kTileX columns x kTileC channels of one image and slides
// down its rows, keeping three rows of silu(h + bias_in) in shared memory, so every input element is read from memory
// about once (the strip's two halo columns are read twice) and the output is written once, on the token layout the
// GEMMs use (no transposes).
#include "cuda_ops.h"
#include "element.cuh"

namespace sana::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kTileX = 32;                          // columns per strip
constexpr int kTileC = 32;                          // output channels per strip (and as many gate channels)
constexpr int kColumnsPerThread = 4;                // consecutive columns each thread computes
constexpr int kRowSlots = 3;
// a row's pitch in shared memory: odd, so the 32 channels a warp reads at one column fall in 32 different banks
constexpr int kPitch = kTileX + 3;

template <typename T, int VEC>
__device__ void LoadRow(const DepthwiseGluArgs& a, const T* image, const float* bias_in, int64_t y, int64_t x0,
                        int64_t c0, float (*slot)[kPitch]) {
  // slot[part * kTileC + ch][col]: col 0 is column x0 - 1
  constexpr int kPacks = kTileC / VEC;
  const int64_t c = a.channels;
  for (int i = threadIdx.x; i < (kTileX + 2) * 2 * kPacks; i += kThreads) {
    const int pack = i % kPacks, part = (i / kPacks) % 2, col = i / (2 * kPacks);
    const int64_t x = x0 - 1 + col;
    const int64_t ch = c0 + pack * VEC;
    float vals[VEC];
    if (y >= 0 && y < a.height && x >= 0 && x < a.width && ch < c) {
      const int64_t channel = part * c + ch;
      if (VEC > 1) {
        LoadPack<T, VEC>(image + (y * a.width + x) * 2 * c + channel, vals);
      } else {
        vals[0] = ToFloat<T>(image[(y * a.width + x) * 2 * c + channel]);
      }
#pragma unroll
      for (int e = 0; e < VEC; ++e) vals[e] = Silu(RoundTo<T>(vals[e] + bias_in[part * kTileC + pack * VEC + e]));
    } else {
#pragma unroll
      for (int e = 0; e < VEC; ++e) vals[e] = 0.0f;  // the convolution's zero padding (and channels past the end)
    }
#pragma unroll
    for (int e = 0; e < VEC; ++e) slot[part * kTileC + pack * VEC + e][col] = vals[e];
  }
}

// grid (column strips, channel strips, batch)
template <typename T, int VEC>
__global__ void __launch_bounds__(kThreads) DepthwiseGluKernel(DepthwiseGluArgs a) {
  __shared__ float rows[kRowSlots][2 * kTileC][kPitch];
  __shared__ float bias_in[2 * kTileC];
  const int64_t x0 = static_cast<int64_t>(blockIdx.x) * kTileX;
  const int64_t c0 = static_cast<int64_t>(blockIdx.y) * kTileC;
  const int64_t b = blockIdx.z;
  const int64_t c = a.channels, plane = a.height * a.width;
  const T* image = static_cast<const T*>(a.h) + b * plane * 2 * c;
  T* out = static_cast<T*>(a.out) + b * plane * c;

  const int ch = threadIdx.x % kTileC;                        // this thread's channel in the strip
  const int xs = (threadIdx.x / kTileC) * kColumnsPerThread;  // its first column in the strip
  const bool channel_ok = c0 + ch < c;
  float w[2][9] = {};
  float bias_dw[2] = {};
  const T* weight = static_cast<const T*>(a.weight);
  for (int part = 0; part < 2 && channel_ok; ++part) {
    const int64_t channel = part * c + c0 + ch;
#pragma unroll
    for (int k = 0; k < 9; ++k) w[part][k] = ToFloat<T>(weight[k * 2 * c + channel]);
    bias_dw[part] = ToFloat<T>(static_cast<const T*>(a.bias_dw)[channel]);
  }
  for (int i = threadIdx.x; i < 2 * kTileC; i += kThreads) {
    const int part = i / kTileC;
    bias_in[i] = c0 + i % kTileC < c ? ToFloat<T>(static_cast<const T*>(a.bias_in)[part * c + c0 + i % kTileC]) : 0.0f;
  }
  __syncthreads();

  // the slot of row r is (r + 1) % 3, so rows -1, 0 and 1 start in slots 0, 1 and 2
  LoadRow<T, VEC>(a, image, bias_in, -1, x0, c0, rows[0]);
  LoadRow<T, VEC>(a, image, bias_in, 0, x0, c0, rows[1]);
  for (int64_t y = 0; y < a.height; ++y) {
    LoadRow<T, VEC>(a, image, bias_in, y + 1, x0, c0, rows[(y + 2) % kRowSlots]);
    __syncthreads();
    if (channel_ok) {
      float conv[2][kColumnsPerThread];
#pragma unroll
      for (int part = 0; part < 2; ++part) {
#pragma unroll
        for (int j = 0; j < kColumnsPerThread; ++j) conv[part][j] = bias_dw[part];
#pragma unroll
        for (int dy = 0; dy < 3; ++dy) {
          const float* src = rows[(y + dy) % kRowSlots][part * kTileC + ch];
          float window[kColumnsPerThread + 2];
#pragma unroll
          for (int j = 0; j < kColumnsPerThread + 2; ++j) window[j] = src[xs + j];
#pragma unroll
          for (int j = 0; j < kColumnsPerThread; ++j) {
#pragma unroll
            for (int dx = 0; dx < 3; ++dx) conv[part][j] = fmaf(w[part][dy * 3 + dx], window[j + dx], conv[part][j]);
          }
        }
      }
#pragma unroll
      for (int j = 0; j < kColumnsPerThread; ++j) {
        const int64_t x = x0 + xs + j;
        if (x < a.width) out[(y * a.width + x) * c + c0 + ch] = FromFloat<T>(conv[0][j] * Silu(conv[1][j]));
      }
    }
    __syncthreads();  // row y - 1's slot is refilled next
  }
}

}  // namespace

KernelStatus DepthwiseGlu(const DepthwiseGluArgs& a, void* stream) {
  if (auto s = Validate(a); !s.ok) return s;
  if (a.batch == 0) return KernelStatus::Ok();
  auto s = static_cast<cudaStream_t>(stream);
  return DispatchDType(a.dtype, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    constexpr int V = kVec<T> < kTileC ? kVec<T> : kTileC;
    const dim3 grid(static_cast<unsigned>((a.width + kTileX - 1) / kTileX),
                    static_cast<unsigned>((a.channels + kTileC - 1) / kTileC), static_cast<unsigned>(a.batch));
    if (a.channels % V == 0 && Aligned16(a.h)) {
      DepthwiseGluKernel<T, V><<<grid, kThreads, 0, s>>>(a);
    } else {
      DepthwiseGluKernel<T, 1><<<grid, kThreads, 0, s>>>(a);
    }
    return LaunchStatus("DepthwiseGlu");
  });
}

}  // namespace sana::cuda
