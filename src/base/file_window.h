// A forward-moving window over a memory-mapped file, filled with pread(2) into a small reused
// buffer.
//
// A one-pass reader that walks megabytes of a mapping (a Go function table: records and names,
// in order) pays a page fault for every 4 KB it touches, and the page stays resident until it is
// dropped again. On the virtual machines barekit runs on, copying the same bytes from the page
// cache into a buffer that is reused costs about half as much (restic's 3.2 MB table: 0.8 ms
// through 32 KB reads, 1.85 ms through the mapping) and leaves the resident set alone.
//
// The window only moves forward. A string behind it (a Go function's name shared with an earlier
// function) is read into a small side buffer when the window has one, with one pread instead of
// a page fault on the mapping. Any other read behind it, a read at the end of the file and a
// failed read are served from the mapping itself, so every answer is the mapping's bytes: the
// window changes what a read costs, never what it returns.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "base/byte_reader.h"
#include "base/mapped_file.h"

namespace barekit {

class FileWindow {
 public:
  // `file` may be null, and then every read is served from the mapping the pointers point into.
  // `side`, when not empty, holds strings behind the window (CStringAt) up to its size.
  FileWindow(const MappedFile* file, std::span<std::byte> buffer, std::span<std::byte> side = {});

  // The `n` bytes at `p` (p..p+n inside the mapping, checked by the caller; n at most the
  // buffer's size): in the buffer, or in the mapping. Valid until the next call.
  const std::byte* At(const std::byte* p, size_t n) {
    if (p >= lo_ && p + n <= hi_) return buf_ + (p - lo_);
    return Refill(p, n);
  }

  // The NUL-terminated string at `p` that ends before `end` and within `max_len` bytes, as
  // barekit::CStringAt finds it in the mapping. Valid until the next call.
  // Inlined into the one-pass reader's loop, which calls it once per function.
  [[gnu::always_inline]] std::optional<std::string_view> CStringAt(const std::byte* p,
                                                                   const std::byte* end,
                                                                   size_t max_len) {
    // The common case inline: the string starts in the window, and its NUL is there too.
    const uintptr_t a = Addr(p);
    if (a >= Addr(lo_) && a < Addr(hi_) && a < Addr(end)) {
      const size_t n = std::min(static_cast<size_t>(std::min(Addr(hi_), Addr(end)) - a), max_len);
      const std::byte* from = buf_ + (a - Addr(lo_));
      if (const void* nul = std::memchr(from, 0, n)) {
        return std::string_view(reinterpret_cast<const char*>(from),
                                static_cast<const std::byte*>(nul) - from);
      }
    }
    return CStringAtSlow(p, end, max_len);
  }

 private:
  // Addresses compared as integers: `p` and the window's bounds may lie in different objects.
  static uintptr_t Addr(const std::byte* p) { return reinterpret_cast<uintptr_t>(p); }
  std::optional<std::string_view> CStringAtSlow(const std::byte* p, const std::byte* end,
                                                size_t max_len);
  const std::byte* Refill(const std::byte* p, size_t n);

  const MappedFile* file_;
  const std::byte* map_begin_ = nullptr;
  const std::byte* map_end_ = nullptr;
  std::byte* buf_;
  size_t cap_;
  std::span<std::byte> side_;
  // The mapping's bytes [lo_, hi_) are in buf_.
  const std::byte* lo_ = nullptr;
  const std::byte* hi_ = nullptr;
};

}  // namespace barekit
