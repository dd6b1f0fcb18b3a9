#include <cmath>
#include <vector>

#include "cpu_ops.h"
#include "element.h"

namespace sana::cpu {

namespace {

float Silu(float x) { return x / (1.0f + std::exp(-x)); }

}  // namespace

KernelStatus DepthwiseGlu(const DepthwiseGluArgs& a) {
  if (auto s = Validate(a); !s.ok) return s;
  const DType t = a.dtype;
  const int64_t c2 = 2 * a.channels;
  const int64_t plane = a.height * a.width;
  // the convolution's input, silu(h + bias_in), for one image at a time
  std::vector<float> act(static_cast<size_t>(plane * c2));
  for (int64_t b = 0; b < a.batch; ++b) {
    for (int64_t p = 0; p < plane; ++p) {
      for (int64_t c = 0; c < c2; ++c) {
        const float pre = Round(t, Load(t, a.h, (b * plane + p) * c2 + c) + Load(t, a.bias_in, c));
        act[static_cast<size_t>(p * c2 + c)] = Silu(pre);
      }
    }
    for (int64_t y = 0; y < a.height; ++y) {
      for (int64_t x = 0; x < a.width; ++x) {
        for (int64_t c = 0; c < a.channels; ++c) {
          float conv[2];
          for (int part = 0; part < 2; ++part) {
            const int64_t ch = c + part * a.channels;
            float sum = Load(t, a.bias_dw, ch);
            for (int64_t dy = -1; dy <= 1; ++dy) {
              for (int64_t dx = -1; dx <= 1; ++dx) {
                const int64_t yy = y + dy, xx = x + dx;
                if (yy < 0 || yy >= a.height || xx < 0 || xx >= a.width) continue;
                const float w = Load(t, a.weight, ((dy + 1) * 3 + (dx + 1)) * c2 + ch);
                sum += w * act[static_cast<size_t>((yy * a.width + xx) * c2 + ch)];
              }
            }
            conv[part] = sum;
          }
          Store(t, a.out, (b * plane + y * a.width + x) * a.channels + c, conv[0] * Silu(conv[1]));
        }
      }
    }
  }
  return KernelStatus::Ok();
}

}  // namespace sana::cpu
