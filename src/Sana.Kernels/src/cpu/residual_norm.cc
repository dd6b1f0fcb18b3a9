#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_ops.h"
#include "element.h"

namespace sana::cpu {

KernelStatus ResidualNorm(const ResidualNormArgs& a) {
  if (auto s = Validate(a); !s.ok) return s;
  const DType t = a.dtype;
  const int64_t d = a.dim;
  std::vector<float> row(static_cast<size_t>(d));
  for (int64_t b = 0; b < a.batch; ++b) {
    const int64_t gate_base = (b * a.gate_rows + a.gate_row) * d;
    const int64_t shift_base = (b * a.norm_rows + a.shift_row) * d;
    const int64_t scale_base = (b * a.norm_rows + a.scale_row) * d;
    for (int64_t n = 0; n < a.tokens; ++n) {
      const int64_t base = (b * a.tokens + n) * d;
      double sum = 0.0;
      for (int64_t c = 0; c < d; ++c) {
        float v = Load(t, a.x, base + c);
        if (a.y != nullptr) {
          float y = Load(t, a.y, base + c);
          if (a.bias != nullptr) y = Round(t, y + Load(t, a.bias, c));
          if (a.clip_y) y = std::min(65504.0f, std::max(-65504.0f, y));
          const float gate = a.gate_mod != nullptr ? Load(t, a.gate_mod, gate_base + c) : 1.0f;
          v = Round(t, v + gate * y);
          Store(t, a.x_out, base + c, v);
        }
        row[static_cast<size_t>(c)] = v;
        sum += v;
      }
      if (a.norm_out == nullptr) continue;
      const float mean = static_cast<float>(sum / static_cast<double>(d));
      double squares = 0.0;
      for (int64_t c = 0; c < d; ++c) {
        const float centred = row[static_cast<size_t>(c)] - mean;
        squares += static_cast<double>(centred) * centred;
      }
      const float rstd = 1.0f / std::sqrt(static_cast<float>(squares / static_cast<double>(d)) + a.epsilon);
      for (int64_t c = 0; c < d; ++c) {
        const float normed = (row[static_cast<size_t>(c)] - mean) * rstd;
        const float scale = Load(t, a.norm_mod, scale_base + c);
        const float shift = Load(t, a.norm_mod, shift_base + c);
        Store(t, a.norm_out, base + c, normed * (1.0f + scale) + shift);
      }
    }
  }
  return KernelStatus::Ok();
}

}  // namespace sana::cpu
