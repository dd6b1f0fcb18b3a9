// float16 and bfloat16 as the CPU implementations read and write them: bit patterns in uint16_t, converted to and from
// float32 with round-to-nearest-even (what a GPU's conversion instructions do), NaN kept NaN.
#pragma once

#include <cstdint>
#include <cstring>

#include "../common/kernel_args.h"

namespace sana::cpu {

inline float BitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline uint32_t FloatToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

inline float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return BitsToFloat(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN
  if (exponent == 0) {
    if (mantissa == 0) return BitsToFloat(sign);
    // subnormal: value = mantissa * 2^-24
    float v = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return BitsToFloat(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

inline uint16_t FloatToHalf(float f) {
  const uint32_t x = FloatToBits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to at least 65520: inf
  if (abs < 0x38800000u) {
    // result is subnormal (or zero): round abs / 2^-24 to an integer, ties to even
    const float scaled = BitsToFloat(abs) * 16777216.0f;
    uint32_t m = static_cast<uint32_t>(scaled);
    const float rest = scaled - static_cast<float>(m);
    if (rest > 0.5f || (rest == 0.5f && (m & 1u))) ++m;
    return static_cast<uint16_t>(sign | m);
  }
  // normal: drop 13 mantissa bits with round-to-nearest-even
  uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
  rounded -= (112u << 23);
  return static_cast<uint16_t>(sign | (rounded >> 13));
}

inline float BFloat16ToFloat(uint16_t b) { return BitsToFloat(static_cast<uint32_t>(b) << 16); }

inline uint16_t FloatToBFloat16(float f) {
  const uint32_t x = FloatToBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

// Element access by dtype: Load reads element i of a tensor as float32, Store writes one rounded to the tensor's type,
// Round is what a value becomes once stored in that type.
inline float Load(DType t, const void* p, int64_t i) {
  switch (t) {
    case DType::Float16: return HalfToFloat(static_cast<const uint16_t*>(p)[i]);
    case DType::BFloat16: return BFloat16ToFloat(static_cast<const uint16_t*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

inline void Store(DType t, void* p, int64_t i, float v) {
  switch (t) {
    case DType::Float16: static_cast<uint16_t*>(p)[i] = FloatToHalf(v); break;
    case DType::BFloat16: static_cast<uint16_t*>(p)[i] = FloatToBFloat16(v); break;
    default: static_cast<float*>(p)[i] = v; break;
  }
}

inline float Round(DType t, float v) {
  switch (t) {
    case DType::Float16: return HalfToFloat(FloatToHalf(v));
    case DType::BFloat16: return BFloat16ToFloat(FloatToBFloat16(v));
    default: return v;
  }
}

}  // namespace sana::cpu
