#include "cuda_ops.h"
#include "element.cuh"

namespace sana::cuda {

KernelStatus Copy(void* dst, const void* src, size_t bytes, bool to_device) {
  cudaError_t e = cudaMemcpy(dst, src, bytes, to_device ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost);
  // A copy from pageable memory may still be in flight when cudaMemcpy returns, and ONNX Runtime's stream does not
  // wait on the default stream: the device is synchronised before the next run reads the buffer.
  if (e == cudaSuccess) e = cudaDeviceSynchronize();
  if (e == cudaSuccess) return KernelStatus::Ok();
  return KernelStatus::Error(std::string("copy of ") + std::to_string(bytes) + " bytes " +
                             (to_device ? "to" : "from") + " the device failed: " + cudaGetErrorString(e));
}

}  // namespace sana::cuda
