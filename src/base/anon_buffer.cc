#include "base/anon_buffer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string_view>
#include <utility>

#include "base/unique_fd.h"
#include "base/unmap_later.h"

namespace barekit {

bool HugePagesOnRequest() {
  static const bool on = [] {
    // "always [madvise] never": the bracketed word is the setting.
    UniqueFd fd(::open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return false;
    char buf[128];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) return false;
    const std::string_view s(buf, static_cast<size_t>(n));
    return s.find("[always]") != std::string_view::npos ||
           s.find("[madvise]") != std::string_view::npos;
  }();
  return on;
}

std::optional<AnonBuffer> AnonBuffer::Populated(size_t n) {
  if (n == 0 || n > (size_t{1} << 40)) return std::nullopt;
  void* map =
      ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (map == MAP_FAILED) return std::nullopt;
  AnonBuffer b(map, n, static_cast<std::byte*>(map), n);
  b.unmap_later_ = true;
  return b;
}

AnonBuffer::AnonBuffer(AnonBuffer&& o) noexcept
    : map_(std::exchange(o.map_, nullptr)),
      map_size_(std::exchange(o.map_size_, 0)),
      data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      unmap_later_(std::exchange(o.unmap_later_, false)) {}

AnonBuffer& AnonBuffer::operator=(AnonBuffer&& o) noexcept {
  if (this != &o) {
    Release();
    map_ = std::exchange(o.map_, nullptr);
    map_size_ = std::exchange(o.map_size_, 0);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    unmap_later_ = std::exchange(o.unmap_later_, false);
  }
  return *this;
}

AnonBuffer::~AnonBuffer() { Release(); }

void AnonBuffer::Release() {
  if (map_ == nullptr) return;
  // A huge page is one mapping to drop, and cheap to unmap; a Populated buffer's every page is
  // mapped, and unmapping them costs more than the process's exit does (base/unmap_later.h).
  if (unmap_later_) {
    UnmapLater(map_, map_size_);
  } else {
    ::munmap(map_, map_size_);
  }
  map_ = nullptr;
}

}  // namespace barekit
