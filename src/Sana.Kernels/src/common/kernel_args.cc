#include "kernel_args.h"

namespace sana {

std::string DTypeName(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
  }
  return "element type " + std::to_string(static_cast<int>(t));
}

namespace {

KernelStatus CheckDType(DType t) {
  if (t == DType::Float32 || t == DType::Float16 || t == DType::BFloat16) return KernelStatus::Ok();
  return KernelStatus::Error("dtype: " + DTypeName(t) + " is not float32, float16 or bfloat16");
}

KernelStatus CheckRow(const char* name, int64_t row, int64_t rows) {
  if (row >= 0 && row < rows) return KernelStatus::Ok();
  return KernelStatus::Error(std::string(name) + ": " + std::to_string(row) + " is not a row of a modulation with " +
                             std::to_string(rows) + " rows");
}

}  // namespace

KernelStatus Validate(const ResidualNormArgs& a) {
  if (auto s = CheckDType(a.dtype); !s.ok) return s;
  if (a.batch < 0 || a.tokens < 0 || a.dim <= 0) return KernelStatus::Error("x: needs a shape [batch, tokens, dim] with dim > 0");
  if (a.x == nullptr) return KernelStatus::Error("x: missing");
  if (a.y != nullptr && a.x_out == nullptr) return KernelStatus::Error("x_out: missing for a residual");
  if (a.y == nullptr && a.norm_out == nullptr) return KernelStatus::Error("norm_out: an op without a residual must normalise");
  if (a.gate_mod != nullptr) {
    if (auto s = CheckRow("gate_row", a.gate_row, a.gate_rows); !s.ok) return s;
  }
  if (a.norm_out != nullptr) {
    if (a.norm_mod == nullptr) return KernelStatus::Error("norm_modulation: missing");
    if (auto s = CheckRow("shift_row", a.shift_row, a.norm_rows); !s.ok) return s;
    if (auto s = CheckRow("scale_row", a.scale_row, a.norm_rows); !s.ok) return s;
    if (!(a.epsilon > 0.0f)) return KernelStatus::Error("epsilon: must be > 0");
  }
  return KernelStatus::Ok();
}

KernelStatus ValidateState(const LinearAttentionArgs& a) {
  if (auto s = CheckDType(a.dtype); !s.ok) return s;
  if (a.batch < 0 || a.tokens < 0 || a.heads <= 0 || a.head_dim <= 0)
    return KernelStatus::Error("qkv: needs [batch, tokens, 3 * heads * head_dim] with heads, head_dim > 0");
  if (a.qkv == nullptr || a.state == nullptr) return KernelStatus::Error("qkv/state: missing");
  return KernelStatus::Ok();
}

KernelStatus ValidateApply(const LinearAttentionArgs& a) {
  if (auto s = ValidateState(a); !s.ok) return s;
  if (a.out == nullptr) return KernelStatus::Error("out: missing");
  if (!(a.epsilon >= 0.0f)) return KernelStatus::Error("epsilon: must be >= 0");
  if (a.pag_layer_mask != nullptr) {
    if (a.pag_sample_mask == nullptr) return KernelStatus::Error("pag_sample_mask: missing beside pag_layer_mask");
    if (a.layer < 0 || a.layer >= a.layers)
      return KernelStatus::Error("layer: " + std::to_string(a.layer) + " is outside pag_layer_mask's " +
                                 std::to_string(a.layers) + " layers");
  }
  return KernelStatus::Ok();
}

KernelStatus Validate(const DepthwiseGluArgs& a) {
  if (auto s = CheckDType(a.dtype); !s.ok) return s;
  if (a.batch < 0 || a.height <= 0 || a.width <= 0 || a.channels <= 0)
    return KernelStatus::Error("h: needs [batch, height * width, 2 * channels] with a non-empty grid");
  if (a.h == nullptr || a.bias_in == nullptr || a.weight == nullptr || a.bias_dw == nullptr || a.out == nullptr)
    return KernelStatus::Error("h/bias_in/weight/bias_dw/out: missing");
  return KernelStatus::Ok();
}

}  // namespace sana
