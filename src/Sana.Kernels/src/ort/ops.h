// The custom ops as ONNX Runtime sees them (onnxruntime_lite_custom_op.h struct-as-op): each reads its attributes once
// when ONNX Runtime creates the kernel, checks its inputs' shapes at every run and calls the CPU or CUDA implementation.
// Every op is registered for each element type it supports and for each execution provider; docs in README.md.
#pragma once

#include <vector>

#include "ort_api.h"

namespace sana::ort {

enum class Device { Cpu, Cuda };

// The ops registered for one execution provider and element type, owned by the caller.
void AppendOps(Device device, std::vector<std::unique_ptr<Ort::Custom::OrtLiteCustomOp>>& ops);

}  // namespace sana::ort
