#include "base/page_hints.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "base/anon_buffer.h"
#include "base/smaps_testing.h"

#if defined(__SANITIZE_ADDRESS__)
#define BAREKIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BAREKIT_ASAN 1
#endif
#endif

namespace barekit {
namespace {

TEST(PageHints, HeapAfterBackHeapWithHugePagesIsInHugePages) {
#if defined(BAREKIT_ASAN)
  GTEST_SKIP() << "ASan's allocator does not serve malloc from the heap";
#else
  if (!HugePagesOnRequest()) GTEST_SKIP() << "transparent huge pages are off";
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  BackHeapWithHugePages(4 << 20);
  const size_t n = 1 << 20;
  auto* p = static_cast<char*>(std::malloc(n));
  ASSERT_NE(p, nullptr);
  std::memset(p, 1, n);
  // Without the hint this heap is in 4 KB pages: 0 kB of huge pages.
  EXPECT_GE(AnonHugeKbAt(p), 2048u);
  std::free(p);
#endif
}

}  // namespace
}  // namespace barekit
