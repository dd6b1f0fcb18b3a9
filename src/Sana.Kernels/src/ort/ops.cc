#include "ops.h"

#include <string>

#include "../common/kernel_args.h"
#include "../cpu/cpu_ops.h"
#include "../cuda/cuda_ops.h"

namespace sana::ort {

namespace {

using Ort::Custom::Tensor;

template <typename T> constexpr DType kDType = DType::Float32;
template <> constexpr DType kDType<Ort::Float16_t> = DType::Float16;
template <> constexpr DType kDType<Ort::BFloat16_t> = DType::BFloat16;

int64_t IntAttribute(const OrtKernelInfo* info, const char* name, int64_t fallback) {
  int64_t value = fallback;
  OrtStatus* status = Ort::GetApi().KernelInfoGetAttribute_int64(info, name, &value);
  if (status != nullptr) {
    Ort::GetApi().ReleaseStatus(status);
    return fallback;
  }
  return value;
}

float FloatAttribute(const OrtKernelInfo* info, const char* name, float fallback) {
  float value = fallback;
  OrtStatus* status = Ort::GetApi().KernelInfoGetAttribute_float(info, name, &value);
  if (status != nullptr) {
    Ort::GetApi().ReleaseStatus(status);
    return fallback;
  }
  return value;
}

Ort::Status Invalid(const char* op, const std::string& message) {
  return Ort::Status((std::string(op) + ": " + message).c_str(), ORT_INVALID_ARGUMENT);
}

Ort::Status FromKernel(const char* op, const KernelStatus& s) {
  return s.ok ? Ort::Status{} : Ort::Status((std::string(op) + ": " + s.message).c_str(), ORT_FAIL);
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// A bias input: [size] or [0] for none.
template <typename T>
bool BiasShapeOk(const Tensor<T>& bias, int64_t size) {
  const auto& s = bias.Shape();
  return s.size() == 1 && (s[0] == size || s[0] == 0);
}

template <typename T>
const void* BiasData(const Tensor<T>& bias) {
  return bias.NumberOfElement() == 0 ? nullptr : bias.DataRaw();
}

// A per-sample modulation [batch, rows, dim].
template <typename T>
bool ModulationShapeOk(const Tensor<T>& m, int64_t batch, int64_t dim) {
  const auto& s = m.Shape();
  return s.size() == 3 && s[0] == batch && s[2] == dim;
}

// Runs an op's implementation for the provider it was registered for; CUDA work goes on the session's compute stream.
template <Device D, typename Args>
KernelStatus OnDevice(OrtKernelContext* context, const Args& args, KernelStatus (*cpu)(const Args&),
                      KernelStatus (*cuda)(const Args&, void*)) {
  if constexpr (D == Device::Cpu) return cpu(args);
  return cuda(args, Ort::KernelContext(context).GetGPUComputeStream());
}

// Shape checks shared by the three residual/norm ops: x [B, N, D] and, when given, y like x.
template <typename T>
Ort::Status CheckRows(const char* op, const Tensor<T>& x, const Tensor<T>* y) {
  if (x.Shape().size() != 3) return Invalid(op, "x must be [batch, tokens, dim], got " + ShapeText(x.Shape()));
  if (y != nullptr && y->Shape() != x.Shape())
    return Invalid(op, "y " + ShapeText(y->Shape()) + " must have x's shape " + ShapeText(x.Shape()));
  return Ort::Status{};
}

template <typename T>
ResidualNormArgs RowArgs(const Tensor<T>& x) {
  ResidualNormArgs a;
  a.dtype = kDType<T>;
  a.batch = x.Shape()[0];
  a.tokens = x.Shape()[1];
  a.dim = x.Shape()[2];
  a.x = x.DataRaw();
  return a;
}

// ModulatedNorm(x, modulation) -> LayerNorm(x) * (1 + modulation[:, scale_row]) + modulation[:, shift_row]
template <typename T, Device D>
struct ModulatedNorm {
  static constexpr const char* kName = "ModulatedNorm";
  ModulatedNorm(const OrtApi*, const OrtKernelInfo* info)
      : shift_row(IntAttribute(info, "shift_row", 0)),
        scale_row(IntAttribute(info, "scale_row", 1)),
        epsilon(FloatAttribute(info, "epsilon", 1e-6f)) {}

  Ort::Status Compute(OrtKernelContext* context, const Tensor<T>& x, const Tensor<T>& modulation, Tensor<T>& out) {
    if (auto s = CheckRows<T>(kName, x, nullptr); !s.IsOK()) return s;
    auto a = RowArgs(x);
    if (!ModulationShapeOk(modulation, a.batch, a.dim))
      return Invalid(kName, "modulation must be [batch, rows, dim], got " + ShapeText(modulation.Shape()));
    a.norm_mod = modulation.DataRaw();
    a.norm_rows = modulation.Shape()[1];
    a.shift_row = shift_row;
    a.scale_row = scale_row;
    a.epsilon = epsilon;
    a.norm_out = out.Allocate(x.Shape());
    return FromKernel(kName, OnDevice<D>(context, a, cpu::ResidualNorm, cuda::ResidualNorm));
  }

  int64_t shift_row, scale_row;
  float epsilon;
};

// GatedResidual(x, y, bias, modulation) -> x + modulation[:, gate_row] * clip(y + bias)
template <typename T, Device D>
struct GatedResidual {
  static constexpr const char* kName = "GatedResidual";
  GatedResidual(const OrtApi*, const OrtKernelInfo* info)
      : gate_row(IntAttribute(info, "gate_row", 0)), clip(IntAttribute(info, "clip", 0) != 0) {}

  Ort::Status Compute(OrtKernelContext* context, const Tensor<T>& x, const Tensor<T>& y, const Tensor<T>& bias,
                      const Tensor<T>& modulation, Tensor<T>& x_out) {
    if (auto s = CheckRows(kName, x, &y); !s.IsOK()) return s;
    auto a = RowArgs(x);
    if (!BiasShapeOk(bias, a.dim)) return Invalid(kName, "bias must be [dim] or [0], got " + ShapeText(bias.Shape()));
    if (!ModulationShapeOk(modulation, a.batch, a.dim))
      return Invalid(kName, "modulation must be [batch, rows, dim], got " + ShapeText(modulation.Shape()));
    a.y = y.DataRaw();
    a.bias = BiasData(bias);
    a.gate_mod = modulation.DataRaw();
    a.gate_rows = modulation.Shape()[1];
    a.gate_row = gate_row;
    a.clip_y = clip;
    a.x_out = x_out.Allocate(x.Shape());
    return FromKernel(kName, OnDevice<D>(context, a, cpu::ResidualNorm, cuda::ResidualNorm));
  }

  int64_t gate_row;
  bool clip;
};

// ResidualModulatedNorm(x, y, bias, gate_modulation, norm_modulation) -> (x', ModulatedNorm(x', norm_modulation)),
// x' = x + gate * clip(y + bias), gate = gate_modulation[:, gate_row] (1 when gate_row is -1)
template <typename T, Device D>
struct ResidualModulatedNorm {
  static constexpr const char* kName = "ResidualModulatedNorm";
  ResidualModulatedNorm(const OrtApi*, const OrtKernelInfo* info)
      : gate_row(IntAttribute(info, "gate_row", -1)),
        shift_row(IntAttribute(info, "shift_row", 0)),
        scale_row(IntAttribute(info, "scale_row", 1)),
        epsilon(FloatAttribute(info, "epsilon", 1e-6f)),
        clip(IntAttribute(info, "clip", 0) != 0) {}

  Ort::Status Compute(OrtKernelContext* context, const Tensor<T>& x, const Tensor<T>& y, const Tensor<T>& bias,
                      const Tensor<T>& gate_modulation, const Tensor<T>& norm_modulation, Tensor<T>& x_out,
                      Tensor<T>& norm_out) {
    if (auto s = CheckRows(kName, x, &y); !s.IsOK()) return s;
    auto a = RowArgs(x);
    if (!BiasShapeOk(bias, a.dim)) return Invalid(kName, "bias must be [dim] or [0], got " + ShapeText(bias.Shape()));
    if (!ModulationShapeOk(gate_modulation, a.batch, a.dim) || !ModulationShapeOk(norm_modulation, a.batch, a.dim))
      return Invalid(kName, "gate_modulation " + ShapeText(gate_modulation.Shape()) + " and norm_modulation " +
                                ShapeText(norm_modulation.Shape()) + " must be [batch, rows, dim]");
    a.y = y.DataRaw();
    a.bias = BiasData(bias);
    if (gate_row >= 0) {
      a.gate_mod = gate_modulation.DataRaw();
      a.gate_rows = gate_modulation.Shape()[1];
      a.gate_row = gate_row;
    }
    a.clip_y = clip;
    a.norm_mod = norm_modulation.DataRaw();
    a.norm_rows = norm_modulation.Shape()[1];
    a.shift_row = shift_row;
    a.scale_row = scale_row;
    a.epsilon = epsilon;
    a.x_out = x_out.Allocate(x.Shape());
    a.norm_out = norm_out.Allocate(x.Shape());
    return FromKernel(kName, OnDevice<D>(context, a, cpu::ResidualNorm, cuda::ResidualNorm));
  }

  int64_t gate_row, shift_row, scale_row;
  float epsilon;
  bool clip;
};

template <typename T>
Ort::Status AttentionArgs(const char* op, int64_t heads, const Tensor<T>& qkv, const Tensor<T>& bias,
                          LinearAttentionArgs& a) {
  const auto& s = qkv.Shape();
  if (heads <= 0) return Invalid(op, "heads must be > 0");
  if (s.size() != 3 || s[2] % (3 * heads) != 0)
    return Invalid(op, "qkv must be [batch, tokens, 3 * heads * head_dim] with heads " + std::to_string(heads) +
                           ", got " + ShapeText(s));
  a.dtype = kDType<T>;
  a.batch = s[0];
  a.tokens = s[1];
  a.heads = heads;
  a.head_dim = s[2] / (3 * heads);
  if (!BiasShapeOk(bias, s[2])) return Invalid(op, "bias must be [3 * heads * head_dim] or [0], got " + ShapeText(bias.Shape()));
  a.qkv = qkv.DataRaw();
  a.bias = BiasData(bias);
  return Ort::Status{};
}

// LinearAttentionState(qkv, bias) -> state [batch, heads, head_dim + 1, head_dim] (float32)
template <typename T, Device D>
struct LinearAttentionState {
  static constexpr const char* kName = "LinearAttentionState";
  LinearAttentionState(const OrtApi*, const OrtKernelInfo* info) : heads(IntAttribute(info, "heads", 0)) {}

  Ort::Status Compute(OrtKernelContext* context, const Tensor<T>& qkv, const Tensor<T>& bias, Tensor<float>& state) {
    LinearAttentionArgs a;
    if (auto s = AttentionArgs(kName, heads, qkv, bias, a); !s.IsOK()) return s;
    a.state = state.Allocate({a.batch, a.heads, a.head_dim + 1, a.head_dim});
    return FromKernel(kName, OnDevice<D>(context, a, cpu::LinearAttentionState, cuda::LinearAttentionState));
  }

  int64_t heads;
};

// LinearAttention(qkv, bias, state, pag_layer_mask, pag_sample_mask) -> out [batch, tokens, heads * head_dim]
template <typename T, Device D>
struct LinearAttention {
  static constexpr const char* kName = "LinearAttention";
  LinearAttention(const OrtApi*, const OrtKernelInfo* info)
      : heads(IntAttribute(info, "heads", 0)),
        layer(IntAttribute(info, "layer", 0)),
        epsilon(FloatAttribute(info, "epsilon", 1e-15f)) {}

  Ort::Status Compute(OrtKernelContext* context, const Tensor<T>& qkv, const Tensor<T>& bias,
                      const Tensor<float>& state, const Tensor<float>& pag_layer_mask,
                      const Tensor<float>& pag_sample_mask, Tensor<T>& out) {
    LinearAttentionArgs a;
    if (auto s = AttentionArgs(kName, heads, qkv, bias, a); !s.IsOK()) return s;
    const std::vector<int64_t> state_shape{a.batch, a.heads, a.head_dim + 1, a.head_dim};
    if (state.Shape() != state_shape)
      return Invalid(kName, "state must be " + ShapeText(state_shape) + ", got " + ShapeText(state.Shape()));
    if (pag_layer_mask.Shape().size() != 1 || pag_sample_mask.Shape() != std::vector<int64_t>{a.batch})
      return Invalid(kName, "pag_layer_mask must be [layers] and pag_sample_mask [batch], got " +
                                ShapeText(pag_layer_mask.Shape()) + " and " + ShapeText(pag_sample_mask.Shape()));
    a.state = const_cast<float*>(state.Data());
    a.pag_layer_mask = pag_layer_mask.Data();
    a.layers = pag_layer_mask.Shape()[0];
    a.layer = layer;
    a.pag_sample_mask = pag_sample_mask.Data();
    a.epsilon = epsilon;
    a.out = out.Allocate({a.batch, a.tokens, a.heads * a.head_dim});
    return FromKernel(kName, OnDevice<D>(context, a, cpu::LinearAttentionApply, cuda::LinearAttentionApply));
  }

  int64_t heads, layer;
  float epsilon;
};

// DepthwiseConvGlu(h, bias_in, weight, bias_dw, grid_source) -> out [batch, tokens, channels]; the token grid is
// grid_source's height and width (dims 2 and 3, a latent [batch, C, H, W]) over patch_size.
template <typename T, Device D>
struct DepthwiseConvGlu {
  static constexpr const char* kName = "DepthwiseConvGlu";
  DepthwiseConvGlu(const OrtApi*, const OrtKernelInfo* info) : patch_size(IntAttribute(info, "patch_size", 1)) {}

  Ort::Status Compute(OrtKernelContext* context, const Tensor<T>& h, const Tensor<T>& bias_in, const Tensor<T>& weight,
                      const Tensor<T>& bias_dw, const Tensor<T>& grid_source, Tensor<T>& out) {
    const auto& s = h.Shape();
    const auto& g = grid_source.Shape();
    if (patch_size <= 0) return Invalid(kName, "patch_size must be > 0");
    if (g.size() != 4) return Invalid(kName, "grid_source must be [batch, channels, height, width], got " + ShapeText(g));
    if (s.size() != 3 || s[2] % 2 != 0) return Invalid(kName, "h must be [batch, tokens, 2 * channels], got " + ShapeText(s));
    DepthwiseGluArgs a;
    a.dtype = kDType<T>;
    a.batch = s[0];
    a.height = g[2] / patch_size;
    a.width = g[3] / patch_size;
    a.channels = s[2] / 2;
    if (a.height * a.width != s[1])
      return Invalid(kName, "h has " + std::to_string(s[1]) + " tokens, the grid " + std::to_string(a.height) + " x " +
                                std::to_string(a.width));
    const int64_t c2 = s[2];
    if (bias_in.Shape() != std::vector<int64_t>{c2} || bias_dw.Shape() != std::vector<int64_t>{c2} ||
        weight.Shape() != std::vector<int64_t>{3, 3, c2})
      return Invalid(kName, "bias_in and bias_dw must be [" + std::to_string(c2) + "] and weight [3, 3, " +
                                std::to_string(c2) + "]");
    a.h = h.DataRaw();
    a.bias_in = bias_in.DataRaw();
    a.weight = weight.DataRaw();
    a.bias_dw = bias_dw.DataRaw();
    a.out = out.Allocate({a.batch, s[1], a.channels});
    return FromKernel(kName, OnDevice<D>(context, a, cpu::DepthwiseGlu, cuda::DepthwiseGlu));
  }

  int64_t patch_size;
};

template <template <typename, Device> class Op, typename T, Device D>
void Add(std::vector<std::unique_ptr<Ort::Custom::OrtLiteCustomOp>>& ops, const char* provider) {
  std::unique_ptr<Ort::Custom::OrtLiteCustomOp> op{Ort::Custom::CreateLiteCustomOp<Op<T, D>>(Op<T, D>::kName, provider)};
  // Declared at the API version the library asks for, so that an older runtime reads only what it knows.
  op->version = kOrtApiVersion;
  ops.push_back(std::move(op));
}

template <typename T, Device D>
void AddAll(std::vector<std::unique_ptr<Ort::Custom::OrtLiteCustomOp>>& ops, const char* provider) {
  Add<ModulatedNorm, T, D>(ops, provider);
  Add<GatedResidual, T, D>(ops, provider);
  Add<ResidualModulatedNorm, T, D>(ops, provider);
  Add<LinearAttentionState, T, D>(ops, provider);
  Add<LinearAttention, T, D>(ops, provider);
  Add<DepthwiseConvGlu, T, D>(ops, provider);
}

}  // namespace

void AppendOps(Device device, std::vector<std::unique_ptr<Ort::Custom::OrtLiteCustomOp>>& ops) {
  if (device == Device::Cpu) {
    AddAll<float, Device::Cpu>(ops, "CPUExecutionProvider");
    AddAll<Ort::Float16_t, Device::Cpu>(ops, "CPUExecutionProvider");
    return;
  }
#ifdef SANA_KERNELS_CUDA
  AddAll<float, Device::Cuda>(ops, "CUDAExecutionProvider");
  AddAll<Ort::Float16_t, Device::Cuda>(ops, "CUDAExecutionProvider");
  AddAll<Ort::BFloat16_t, Device::Cuda>(ops, "CUDAExecutionProvider");
#endif
}

}  // namespace sana::ort
