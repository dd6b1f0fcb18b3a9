// The CPU implementations: the reference every CUDA kernel is checked against in the harness, and what lets a model
// folder's fused graph run on any machine (CI included). Single-threaded loops written for clarity.
#pragma once

#include "../common/kernel_args.h"

namespace sana::cpu {

KernelStatus ResidualNorm(const ResidualNormArgs& a);
KernelStatus LinearAttentionState(const LinearAttentionArgs& a);
KernelStatus LinearAttentionApply(const LinearAttentionArgs& a);
KernelStatus DepthwiseGlu(const DepthwiseGluArgs& a);

}  // namespace sana::cpu
