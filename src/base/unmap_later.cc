#include "base/unmap_later.h"

#include <sys/mman.h>

#include <array>
#include <mutex>

namespace barekit {

void UnmapLater(void* addr, size_t size) {
  struct Region {
    void* addr = nullptr;
    size_t size = 0;
  };
  // Never destroyed: what is still held at exit is the kernel's to drop.
  static std::mutex* const mu = new std::mutex;
  static auto* const held = new std::array<Region, kUnmapLaterSlots>{};
  static size_t next = 0;
  Region out;
  {
    std::lock_guard<std::mutex> lock(*mu);
    out = (*held)[next];
    (*held)[next] = Region{addr, size};
    next = (next + 1) % kUnmapLaterSlots;
  }
  if (out.addr != nullptr) ::munmap(out.addr, out.size);
}

}  // namespace barekit
