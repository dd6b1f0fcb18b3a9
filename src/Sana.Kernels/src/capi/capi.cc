#include <string>

#include "../common/kernel_args.h"
#include "../cpu/cpu_ops.h"
#include "../cuda/cuda_ops.h"
#include "sana_kernels.h"

namespace {

thread_local std::string last_error;

int Report(const sana::KernelStatus& s) {
  last_error = s.ok ? std::string() : s.message;
  return s.ok ? 0 : -1;
}

template <typename Args>
int Run(int device, const Args& args, void* stream, sana::KernelStatus (*cpu)(const Args&),
        sana::KernelStatus (*cuda)(const Args&, void*)) {
  if (device == 0) return Report(cpu(args));
  if (device == 1) return Report(cuda(args, stream));
  return Report(sana::KernelStatus::Error("device: " + std::to_string(device) + " is neither 0 (CPU) nor 1 (CUDA)"));
}

}  // namespace

extern "C" {

int sana_kernels_ops_version(void) { return 1; }

int sana_kernels_has_cuda(void) {
#ifdef SANA_KERNELS_CUDA
  return 1;
#else
  return 0;
#endif
}

const char* sana_kernels_last_error(void) { return last_error.c_str(); }

int sana_residual_norm(int device, int dtype, int64_t batch, int64_t tokens, int64_t dim, const void* x, const void* y,
                       const void* bias, const void* gate_mod, int64_t gate_rows, int64_t gate_row, int clip_y,
                       const void* norm_mod, int64_t norm_rows, int64_t shift_row, int64_t scale_row, float epsilon,
                       void* x_out, void* norm_out, void* stream) {
  sana::ResidualNormArgs a;
  a.dtype = static_cast<sana::DType>(dtype);
  a.batch = batch;
  a.tokens = tokens;
  a.dim = dim;
  a.x = x;
  a.y = y;
  a.bias = bias;
  a.gate_mod = gate_mod;
  a.gate_rows = gate_rows;
  a.gate_row = gate_row;
  a.clip_y = clip_y != 0;
  a.norm_mod = norm_mod;
  a.norm_rows = norm_rows;
  a.shift_row = shift_row;
  a.scale_row = scale_row;
  a.epsilon = epsilon;
  a.x_out = x_out;
  a.norm_out = norm_out;
  return Run(device, a, stream, sana::cpu::ResidualNorm, sana::cuda::ResidualNorm);
}

int sana_linear_attention_state(int device, int dtype, int64_t batch, int64_t tokens, int64_t heads, int64_t head_dim,
                                const void* qkv, const void* bias, float* state, void* stream) {
  sana::LinearAttentionArgs a;
  a.dtype = static_cast<sana::DType>(dtype);
  a.batch = batch;
  a.tokens = tokens;
  a.heads = heads;
  a.head_dim = head_dim;
  a.qkv = qkv;
  a.bias = bias;
  a.state = state;
  return Run(device, a, stream, sana::cpu::LinearAttentionState, sana::cuda::LinearAttentionState);
}

int sana_linear_attention_apply(int device, int dtype, int64_t batch, int64_t tokens, int64_t heads, int64_t head_dim,
                                const void* qkv, const void* bias, const float* state, const float* pag_layer_mask,
                                int64_t layers, int64_t layer, const float* pag_sample_mask, float epsilon, void* out,
                                void* stream) {
  sana::LinearAttentionArgs a;
  a.dtype = static_cast<sana::DType>(dtype);
  a.batch = batch;
  a.tokens = tokens;
  a.heads = heads;
  a.head_dim = head_dim;
  a.qkv = qkv;
  a.bias = bias;
  a.state = const_cast<float*>(state);
  a.pag_layer_mask = pag_layer_mask;
  a.layers = layers;
  a.layer = layer;
  a.pag_sample_mask = pag_sample_mask;
  a.epsilon = epsilon;
  a.out = out;
  return Run(device, a, stream, sana::cpu::LinearAttentionApply, sana::cuda::LinearAttentionApply);
}

int sana_depthwise_glu(int device, int dtype, int64_t batch, int64_t height, int64_t width, int64_t channels,
                       const void* h, const void* bias_in, const void* weight, const void* bias_dw, void* out,
                       void* stream) {
  sana::DepthwiseGluArgs a;
  a.dtype = static_cast<sana::DType>(dtype);
  a.batch = batch;
  a.height = height;
  a.width = width;
  a.channels = channels;
  a.h = h;
  a.bias_in = bias_in;
  a.weight = weight;
  a.bias_dw = bias_dw;
  a.out = out;
  return Run(device, a, stream, sana::cpu::DepthwiseGlu, sana::cuda::DepthwiseGlu);
}

int sana_cuda_copy(void* dst, const void* src, size_t bytes, int to_device) {
  return Report(sana::cuda::Copy(dst, src, bytes, to_device != 0));
}

}  // extern "C"
