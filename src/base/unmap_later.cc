#include "base/unmap_later.h"

#include <sys/mman.h>

#include <array>
#include <mutex>
#include <type_traits>

namespace barekit {

void UnmapLater(void* addr, size_t size) {
  struct Region {
    void* addr = nullptr;
    size_t size = 0;
  };
  // No destructor runs for these at exit: what is still held then is the kernel's to drop.
  static std::mutex mu;
  static std::array<Region, kUnmapLaterSlots> held{};
  static size_t next = 0;
  static_assert(std::is_trivially_destructible_v<std::mutex> &&
                std::is_trivially_destructible_v<decltype(held)>);
  Region out;
  {
    std::lock_guard<std::mutex> lock(mu);
    out = held[next];
    held[next] = Region{addr, size};
    next = (next + 1) % kUnmapLaterSlots;
  }
  if (out.addr != nullptr) ::munmap(out.addr, out.size);
}

}  // namespace barekit
