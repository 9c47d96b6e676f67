#include "base/page_hints.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

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

}  // namespace barekit
