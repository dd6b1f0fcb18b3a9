// What each fused operation reads and writes, shared by the CPU and CUDA implementations, the ONNX Runtime op
// wrappers and the C entry points of the kernel harness. Plain C++: no ONNX Runtime or CUDA header.
//
// Numerics, for every op: inputs are the values diffusers' GEMMs produce (a bias, where an op takes one, is what the
// GEMM's epilogue would have added, and that sum is rounded to the element type as the GEMM's output would be);
// everything after that is computed in float32, and only the op's outputs are rounded to the element type.
#pragma once

#include <cstdint>
#include <string>

namespace sana {

// ONNX's element type numbers, so that wrappers can pass the tensor's type through unchanged.
enum class DType : int32_t { Float32 = 1, Float16 = 10, BFloat16 = 16 };

std::string DTypeName(DType t);

// A failure an op reports to ONNX Runtime (or the harness) instead of throwing across the library boundary.
struct KernelStatus {
  bool ok = true;
  std::string message;
  static KernelStatus Ok() { return {}; }
  static KernelStatus Error(std::string m) { return {false, std::move(m)}; }
};

// x_out = x + gate * clip(y + bias)        (the residual part; skipped when y is null)
// norm_out = LayerNorm(x_out) * (1 + scale) + shift   (skipped when norm_out is null)
// over rows of `dim` values; gate, shift and scale are rows of per-sample modulation tensors [batch, rows, dim].
// With y null there is no residual: the norm reads x as it is (x_out is then unused).
struct ResidualNormArgs {
  DType dtype = DType::Float32;
  int64_t batch = 0, tokens = 0, dim = 0;
  const void* x = nullptr;         // [batch, tokens, dim]
  const void* y = nullptr;         // [batch, tokens, dim] or null
  const void* bias = nullptr;      // [dim] or null
  const void* gate_mod = nullptr;  // [batch, gate_rows, dim] or null (gate 1)
  int64_t gate_rows = 0, gate_row = -1;
  bool clip_y = false;             // clip y + bias to +-65504 (diffusers clips the fp16 attention output)
  const void* norm_mod = nullptr;  // [batch, norm_rows, dim]
  int64_t norm_rows = 0, shift_row = 0, scale_row = 1;
  float epsilon = 1e-6f;
  void* x_out = nullptr;           // [batch, tokens, dim] when y is set
  void* norm_out = nullptr;        // [batch, tokens, dim] or null
};

// Sana's ReLU linear attention over qkv = [q | k | v] (each heads x head_dim wide) of shape [batch, tokens, 3 * D]:
//   state[b, h, i, j] = sum_n v[n, i] k[n, j]  (i < head_dim),  state[b, h, head_dim, j] = sum_n k[n, j]
//   out[n, i] = (sum_j state[i, j] q[n, j]) / (sum_j state[head_dim, j] q[n, j] + epsilon)
// with q = relu(q + bias_q), k = relu(k + bias_k), v = v + bias_v; sums in float32 (state is float32). Samples with
// pag_layer_mask[layer] * pag_sample_mask[b] > 0.5 take PAG's identity attention instead: out = v.
struct LinearAttentionArgs {
  DType dtype = DType::Float32;
  int64_t batch = 0, tokens = 0, heads = 0, head_dim = 0;
  const void* qkv = nullptr;       // [batch, tokens, 3 * heads * head_dim]
  const void* bias = nullptr;      // [3 * heads * head_dim] or null
  float* state = nullptr;          // [batch, heads, head_dim + 1, head_dim]
  const float* pag_layer_mask = nullptr;   // [layers] or null (no PAG)
  int64_t layers = 0, layer = 0;
  const float* pag_sample_mask = nullptr;  // [batch]
  float epsilon = 1e-15f;
  void* out = nullptr;             // [batch, tokens, heads * head_dim]
};

// GLUMBConv's middle on tokens: a = silu(h + bias_in) on the grid (height x width tokens, row-major), a 3x3 depthwise
// convolution of a (zero padding, weight [3, 3, 2C], bias_dw [2C]), then value * silu(gate) of its two halves.
struct DepthwiseGluArgs {
  DType dtype = DType::Float32;
  int64_t batch = 0, height = 0, width = 0, channels = 0;  // channels: C, the output's; h has 2C
  const void* h = nullptr;         // [batch, height * width, 2C]
  const void* bias_in = nullptr;   // [2C]
  const void* weight = nullptr;    // [3, 3, 2C]
  const void* bias_dw = nullptr;   // [2C]
  void* out = nullptr;             // [batch, height * width, C]
};

// Checks that do not depend on the device: sizes, pointers, row indices. Each returns an error naming the argument.
KernelStatus Validate(const ResidualNormArgs& a);
KernelStatus ValidateState(const LinearAttentionArgs& a);
KernelStatus ValidateApply(const LinearAttentionArgs& a);
KernelStatus Validate(const DepthwiseGluArgs& a);

}  // namespace sana
