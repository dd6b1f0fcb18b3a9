// The CUDA entry points of a library built without a CUDA compiler: each says so. Only the CPU provider's ops are
// registered then (ort/ops.cc), so ONNX Runtime never calls these; the harness's C entry points can.
#include "cuda_ops.h"

namespace sana::cuda {

namespace {
KernelStatus Unavailable() { return KernelStatus::Error("this library was built without CUDA"); }
}  // namespace

KernelStatus ResidualNorm(const ResidualNormArgs&, void*) { return Unavailable(); }
KernelStatus LinearAttentionState(const LinearAttentionArgs&, void*) { return Unavailable(); }
KernelStatus LinearAttentionApply(const LinearAttentionArgs&, void*) { return Unavailable(); }
KernelStatus DepthwiseGlu(const DepthwiseGluArgs&, void*) { return Unavailable(); }
KernelStatus Copy(void*, const void*, size_t, bool) { return Unavailable(); }

}  // namespace sana::cuda
