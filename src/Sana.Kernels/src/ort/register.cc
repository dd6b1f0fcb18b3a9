// The library's entry point for ONNX Runtime (SessionOptions.RegisterCustomOpLibrary): adds the domain with every op,
// for the CPU provider always and for the CUDA provider when the library was built with CUDA.
#include <memory>
#include <mutex>
#include <vector>

#include "ops.h"
#include "sana_kernels.h"

namespace {

struct Registry {
  std::unique_ptr<Ort::CustomOpDomain> domain;
  std::vector<std::unique_ptr<Ort::Custom::OrtLiteCustomOp>> ops;
};

// One domain for the whole process: ONNX Runtime keeps pointers to it in every session it was added to.
Registry& Ops() {
  static Registry registry;
  static std::once_flag once;
  std::call_once(once, [] {
    registry.domain = std::make_unique<Ort::CustomOpDomain>(sana::ort::kDomain);
    sana::ort::AppendOps(sana::ort::Device::Cpu, registry.ops);
    sana::ort::AppendOps(sana::ort::Device::Cuda, registry.ops);
    for (auto& op : registry.ops) registry.domain->Add(op.get());
  });
  return registry;
}

}  // namespace

extern "C" SANA_KERNELS_EXPORT OrtStatus* ORT_API_CALL RegisterCustomOps(OrtSessionOptions* options,
                                                                         const OrtApiBase* api_base) {
  const OrtApi* api = api_base->GetApi(sana::ort::kOrtApiVersion);
  if (api == nullptr) {
    // the runtime predates the API version the ops need; its oldest API can still say so
    return api_base->GetApi(1)->CreateStatus(ORT_FAIL, "sana kernels: this ONNX Runtime is older than 1.18");
  }
  Ort::InitApi(api);
  try {
    Ort::UnownedSessionOptions(options).Add(*Ops().domain);
  } catch (const std::exception& e) {
    return api->CreateStatus(ORT_FAIL, e.what());
  }
  return nullptr;
}
