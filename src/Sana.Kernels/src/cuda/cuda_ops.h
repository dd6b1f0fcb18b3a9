// The CUDA implementations: each enqueues its kernels on `stream` (ONNX Runtime's compute stream for the session, so
// they order with its own kernels and are captured into CUDA graphs with them) and returns without synchronising.
// Declared without CUDA headers, so host code that is not compiled by nvcc can call them.
#pragma once

#include "../common/kernel_args.h"

namespace sana::cuda {

KernelStatus ResidualNorm(const ResidualNormArgs& a, void* stream);
KernelStatus LinearAttentionState(const LinearAttentionArgs& a, void* stream);
KernelStatus LinearAttentionApply(const LinearAttentionArgs& a, void* stream);
KernelStatus DepthwiseGlu(const DepthwiseGluArgs& a, void* stream);

// A synchronous copy between host and device memory, complete on every stream when it returns: how the C# runtime
// refills the fixed input buffers a captured CUDA graph reads and reads its output back.
KernelStatus Copy(void* dst, const void* src, size_t bytes, bool to_device);

}  // namespace sana::cuda
