// A bounds-checked cursor over untrusted bytes. Every read checks what remains; integers are
// decoded in an explicit byte order (copied out and swapped when needed), never cast from the
// buffer.
#ifndef BASE_BYTE_READER_H_
#define BASE_BYTE_READER_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace barekit {

using Bytes = std::span<const std::byte>;

enum class Endian { kLittle, kBig };

inline std::string_view AsStringView(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// Whether values stored in byte order `e` must be byte-swapped on this host (the kSwap of
// LoadUintAs).
inline bool NeedsByteSwap(Endian e) {
  return (e == Endian::kLittle) != (std::endian::native == std::endian::little);
}

// Decodes an unsigned integer of kN bytes (2, 4 or 8) at `p`, byte-swapped when kSwap: for a
// loop that knows its width and byte order before it starts (see LoadUint).
template <size_t kN, bool kSwap>
inline uint64_t LoadUintAs(const std::byte* p) {
  if constexpr (kN == 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return kSwap ? __builtin_bswap64(v) : v;
  } else if constexpr (kN == 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return kSwap ? __builtin_bswap32(v) : v;
  } else {
    static_assert(kN == 2);
    uint16_t v;
    std::memcpy(&v, p, 2);
    return kSwap ? __builtin_bswap16(v) : v;
  }
}

// Decode an unsigned integer of `n` bytes (n <= 8) from `p` in byte order `e`. Widths 2, 4 and 8
// are one load plus a byte swap when `e` is not the host's order: parsers call this for every
// field of tables with 100k entries.
inline uint64_t LoadUint(const std::byte* p, size_t n, Endian e) {
  const bool swap = NeedsByteSwap(e);
  switch (n) {
    case 8:
      return swap ? LoadUintAs<8, true>(p) : LoadUintAs<8, false>(p);
    case 4:
      return swap ? LoadUintAs<4, true>(p) : LoadUintAs<4, false>(p);
    case 2:
      return swap ? LoadUintAs<2, true>(p) : LoadUintAs<2, false>(p);
    default:
      break;
  }
  uint64_t v = 0;
  if (e == Endian::kLittle) {
    for (size_t i = n; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(p[i]);
  } else {
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  }
  return v;
}

// Sub-span [off, off+len) of `b`, or nullopt when any part lies outside it (overflow-safe).
inline std::optional<Bytes> SubSpan(Bytes b, uint64_t off, uint64_t len) {
  if (off > b.size() || len > b.size() - off) return std::nullopt;
  return b.subspan(static_cast<size_t>(off), static_cast<size_t>(len));
}

class ByteReader {
 public:
  ByteReader() = default;
  ByteReader(Bytes data, Endian e) : data_(data), endian_(e) {}

  size_t pos() const { return pos_; }
  size_t size() const { return data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  Endian endian() const { return endian_; }
  void set_endian(Endian e) { endian_ = e; }
  Bytes data() const { return data_; }

  bool Seek(uint64_t off) {
    if (off > data_.size()) return false;
    pos_ = static_cast<size_t>(off);
    return true;
  }
  bool Skip(uint64_t n) {
    if (n > remaining()) return false;
    pos_ += static_cast<size_t>(n);
    return true;
  }

  std::optional<uint64_t> ReadUint(size_t n) {
    if (n > remaining()) return std::nullopt;
    uint64_t v = LoadUint(data_.data() + pos_, n, endian_);
    pos_ += n;
    return v;
  }
  std::optional<uint8_t> U8() { return Narrow<uint8_t>(ReadUint(1)); }
  std::optional<uint16_t> U16() { return Narrow<uint16_t>(ReadUint(2)); }
  std::optional<uint32_t> U32() { return Narrow<uint32_t>(ReadUint(4)); }
  std::optional<uint64_t> U64() { return ReadUint(8); }
  // A target-sized word: 4 or 8 bytes.
  std::optional<uint64_t> Word(int ptr_size) { return ReadUint(static_cast<size_t>(ptr_size)); }

  // Go's unsigned varint (encoding/binary.Uvarint): at most 10 bytes, no overflow.
  std::optional<uint64_t> Uvarint() {
    uint64_t v = 0;
    for (int shift = 0, i = 0; i < 10; ++i, shift += 7) {
      if (remaining() == 0) return std::nullopt;
      auto b = static_cast<uint8_t>(data_[pos_++]);
      if (i == 9 && b > 1) return std::nullopt;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return std::nullopt;
  }

  std::optional<Bytes> Take(uint64_t n) {
    if (n > remaining()) return std::nullopt;
    Bytes out = data_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return out;
  }
  // A NUL-terminated string starting here (the NUL is consumed, not returned).
  std::optional<std::string_view> CString() {
    const void* nul = std::memchr(data_.data() + pos_, 0, remaining());
    if (nul == nullptr) return std::nullopt;
    size_t len = static_cast<const std::byte*>(nul) - (data_.data() + pos_);
    std::string_view s(reinterpret_cast<const char*>(data_.data() + pos_), len);
    pos_ += len + 1;
    return s;
  }

 private:
  template <typename T>
  static std::optional<T> Narrow(std::optional<uint64_t> v) {
    if (!v) return std::nullopt;
    return static_cast<T>(*v);
  }

  Bytes data_;
  size_t pos_ = 0;
  Endian endian_ = Endian::kLittle;
};

// A NUL-terminated string at `off` inside `b`, bounded by `max_len`; nullopt if off is outside
// or no NUL is found within the bound.
inline std::optional<std::string_view> CStringAt(Bytes b, uint64_t off, size_t max_len = 1 << 20) {
  if (off >= b.size()) return std::nullopt;
  size_t avail = b.size() - static_cast<size_t>(off);
  size_t n = avail < max_len ? avail : max_len;
  const auto* p = b.data() + off;
  const void* nul = std::memchr(p, 0, n);
  if (nul == nullptr) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(p), static_cast<const std::byte*>(nul) - p);
}

}  // namespace barekit

#endif  // BASE_BYTE_READER_H_
