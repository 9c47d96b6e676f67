// Overflow-checked arithmetic for offsets and sizes read from files.
#ifndef BASE_CHECKED_MATH_H_
#define BASE_CHECKED_MATH_H_

#include <cstdint>
#include <optional>

namespace barekit {

inline std::optional<uint64_t> CheckedAdd(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<uint64_t> CheckedMul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}
// True when [off, off+len) fits inside a buffer of `size` bytes.
inline bool RangeFits(uint64_t off, uint64_t len, uint64_t size) {
  return off <= size && len <= size - off;
}

}  // namespace barekit

#endif  // BASE_CHECKED_MATH_H_
