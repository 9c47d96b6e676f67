#include "base/page_hints.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace barekit {
namespace {

// madvise over the whole pages inside [p, p+n).
void AdviseInside(const void* p, size_t n, int advice) {
  static const auto kPage = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  auto begin = reinterpret_cast<uintptr_t>(p);
  uintptr_t end = begin + n;
  begin = (begin + kPage - 1) & ~(kPage - 1);
  end &= ~(kPage - 1);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): a page-aligned address for the kernel
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, advice);
}

}  // namespace

void ReleaseFilePages(Bytes range) { AdviseInside(range.data(), range.size(), MADV_DONTNEED); }

void PrefaultForWrite(const void* p, size_t n) {
#ifdef MADV_POPULATE_WRITE
  if (n >= (64 << 10)) AdviseInside(p, n, MADV_POPULATE_WRITE);
#else
  (void)p;
  (void)n;
#endif
}

void BackHeapWithHugePages(size_t bytes) {
  constexpr uintptr_t kHuge = 2 << 20;
  void* block = std::malloc(bytes + kHuge);
  if (block == nullptr) return;
  const auto at = reinterpret_cast<uintptr_t>(block);
  const uintptr_t begin = (at + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (at + bytes + kHuge) & ~(kHuge - 1);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): a page-aligned address for the kernel
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  std::free(block);
  // Hold the heap below the aligned start, so that what comes next is carved from the advised
  // part rather than from the small pages before it. Never touched past its header; never freed.
  constexpr size_t kHeader = 2 * sizeof(size_t);
  if (begin - at > 2 * kHeader) {
    static void* spacer = nullptr;
    if (spacer == nullptr) spacer = std::malloc(begin - at - kHeader);
  }
}

}  // namespace barekit
