// ONNX Runtime's C++ API as this library uses it: initialised by RegisterCustomOps with the API version below rather
// than at load time, so the library also loads into older runtimes than the headers' (the Python ONNX Runtime of the
// GPU machine's checks, for one).
#pragma once

#define ORT_API_MANUAL_INIT
#include "onnxruntime_cxx_api.h"
#include "onnxruntime_lite_custom_op.h"
#undef ORT_API_MANUAL_INIT

namespace sana::ort {

// ONNX Runtime 1.18: the oldest runtime whose custom-op API has everything the ops use (status-returning compute,
// the GPU compute stream).
constexpr uint32_t kOrtApiVersion = 18;

// The ONNX domain of our ops and its one version.
constexpr const char* kDomain = "sana.kernels";

}  // namespace sana::ort
