#include "base/file_window.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace barekit {
FileWindow::FileWindow(const MappedFile* file, std::span<std::byte> buffer,
                       std::span<std::byte> side)
    : file_(file), buf_(buffer.data()), cap_(buffer.size()), side_(side) {
  if (file_ != nullptr) {
    map_begin_ = file_->bytes().data();
    map_end_ = map_begin_ + file_->size();
  }
}

const std::byte* FileWindow::Refill(const std::byte* p, size_t n) {
  // Behind the window, outside the file's mapping, or larger than the buffer: the mapping.
  if (file_ == nullptr || n > cap_ || Addr(p) < Addr(lo_) || Addr(p) < Addr(map_begin_) ||
      Addr(p) > Addr(map_end_) || n > static_cast<size_t>(map_end_ - p)) {
    return p;
  }
  const size_t want = std::min(cap_, static_cast<size_t>(map_end_ - p));
  const size_t got = file_->ReadAt(static_cast<uint64_t>(p - map_begin_), {buf_, want});
  lo_ = p;
  hi_ = p + got;
  return got >= n ? buf_ : p;
}

std::optional<std::string_view> FileWindow::CStringAtSlow(const std::byte* p, const std::byte* end,
                                                          size_t max_len) {
  if (Addr(p) >= Addr(end)) return std::nullopt;
  const size_t room = static_cast<size_t>(end - p);
  const std::byte* limit = p + std::min(room, max_len);
  for (int pass = 0; pass < 2; ++pass) {
    if (Addr(p) >= Addr(lo_) && Addr(p) < Addr(hi_)) {
      const std::byte* stop = Addr(hi_) < Addr(limit) ? hi_ : limit;
      const std::byte* from = buf_ + (p - lo_);
      const void* nul = std::memchr(from, 0, static_cast<size_t>(stop - p));
      if (nul != nullptr) {
        return std::string_view(reinterpret_cast<const char*>(from),
                                static_cast<const std::byte*>(nul) - from);
      }
      if (stop == limit) return std::nullopt;  // the whole allowed range was searched
    }
    if (pass == 0) Refill(p, 1);
  }
  // Behind the window: one read into the side buffer, when the string fits there.
  if (!side_.empty() && file_ != nullptr && Addr(p) < Addr(lo_) && Addr(p) >= Addr(map_begin_) &&
      Addr(p) < Addr(map_end_)) {
    const size_t want =
        std::min({side_.size(), static_cast<size_t>(limit - p), static_cast<size_t>(map_end_ - p)});
    const size_t got = file_->ReadAt(static_cast<uint64_t>(p - map_begin_), side_.first(want));
    if (const void* nul = std::memchr(side_.data(), 0, got)) {
      return std::string_view(reinterpret_cast<const char*>(side_.data()),
                              static_cast<const std::byte*>(nul) - side_.data());
    }
    // The whole allowed range was read and holds no NUL: the mapping would say the same.
    if (got == want && want == static_cast<size_t>(limit - p)) return std::nullopt;
  }
  // Behind the window, or longer than what one fill holds: the mapping.
  return barekit::CStringAt(Bytes(p, room), 0, max_len);
}

}  // namespace barekit
