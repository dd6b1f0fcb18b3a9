#include <algorithm>
#include <vector>

#include "cpu_ops.h"
#include "element.h"

namespace sana::cpu {

namespace {

// Element (n, part, h, j) of qkv with its bias, as the GEMM would have stored it; part 0 = q, 1 = k, 2 = v.
float Projected(const LinearAttentionArgs& a, int64_t b, int64_t n, int part, int64_t h, int64_t j) {
  const int64_t width = a.heads * a.head_dim;
  const int64_t channel = part * width + h * a.head_dim + j;
  float v = Load(a.dtype, a.qkv, (b * a.tokens + n) * 3 * width + channel);
  if (a.bias != nullptr) v = Round(a.dtype, v + Load(a.dtype, a.bias, channel));
  return v;
}

}  // namespace

KernelStatus LinearAttentionState(const LinearAttentionArgs& a) {
  if (auto s = ValidateState(a); !s.ok) return s;
  const int64_t hd = a.head_dim;
  std::vector<float> k(static_cast<size_t>(hd)), v(static_cast<size_t>(hd));
  for (int64_t b = 0; b < a.batch; ++b) {
    for (int64_t h = 0; h < a.heads; ++h) {
      float* state = a.state + (b * a.heads + h) * (hd + 1) * hd;
      std::fill(state, state + (hd + 1) * hd, 0.0f);
      for (int64_t n = 0; n < a.tokens; ++n) {
        for (int64_t j = 0; j < hd; ++j) {
          k[static_cast<size_t>(j)] = std::max(0.0f, Projected(a, b, n, 1, h, j));
          v[static_cast<size_t>(j)] = Projected(a, b, n, 2, h, j);
        }
        for (int64_t i = 0; i < hd; ++i) {
          for (int64_t j = 0; j < hd; ++j) state[i * hd + j] += v[static_cast<size_t>(i)] * k[static_cast<size_t>(j)];
        }
        for (int64_t j = 0; j < hd; ++j) state[hd * hd + j] += k[static_cast<size_t>(j)];
      }
    }
  }
  return KernelStatus::Ok();
}

KernelStatus LinearAttentionApply(const LinearAttentionArgs& a) {
  if (auto s = ValidateApply(a); !s.ok) return s;
  const int64_t hd = a.head_dim;
  const int64_t width = a.heads * hd;
  std::vector<float> q(static_cast<size_t>(hd));
  for (int64_t b = 0; b < a.batch; ++b) {
    const bool identity =
        a.pag_layer_mask != nullptr && a.pag_layer_mask[a.layer] * a.pag_sample_mask[b] > 0.5f;
    for (int64_t n = 0; n < a.tokens; ++n) {
      const int64_t out_base = (b * a.tokens + n) * width;
      for (int64_t h = 0; h < a.heads; ++h) {
        if (identity) {
          for (int64_t i = 0; i < hd; ++i) Store(a.dtype, a.out, out_base + h * hd + i, Projected(a, b, n, 2, h, i));
          continue;
        }
        const float* state = a.state + (b * a.heads + h) * (hd + 1) * hd;
        for (int64_t j = 0; j < hd; ++j) q[static_cast<size_t>(j)] = std::max(0.0f, Projected(a, b, n, 0, h, j));
        float denominator = 0.0f;
        for (int64_t j = 0; j < hd; ++j) denominator += state[hd * hd + j] * q[static_cast<size_t>(j)];
        for (int64_t i = 0; i < hd; ++i) {
          float numerator = 0.0f;
          for (int64_t j = 0; j < hd; ++j) numerator += state[i * hd + j] * q[static_cast<size_t>(j)];
          Store(a.dtype, a.out, out_base + h * hd + i, numerator / (denominator + a.epsilon));
        }
      }
    }
  }
  return KernelStatus::Ok();
}

}  // namespace sana::cpu
