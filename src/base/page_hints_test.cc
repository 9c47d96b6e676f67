#include "base/page_hints.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
#define BAREKIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BAREKIT_ASAN 1
#endif
#endif

namespace barekit {
namespace {

// AnonHugePages of the mapping that holds `p`, from /proc/self/smaps (the kernel is the oracle).
[[maybe_unused]] uint64_t AnonHugeKbAt(const void* p) {
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool inside = false;
  const auto at = reinterpret_cast<uintptr_t>(p);
  while (std::getline(in, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
      inside = at >= lo && at < hi;
      continue;
    }
    if (inside && line.rfind("AnonHugePages:", 0) == 0) {
      return std::strtoull(line.c_str() + std::strlen("AnonHugePages:"), nullptr, 10);
    }
  }
  return 0;
}

[[maybe_unused]] bool TransparentHugePagesOnRequest() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string s;
  std::getline(in, s);
  return s.find("[always]") != std::string::npos || s.find("[madvise]") != std::string::npos;
}

TEST(PageHints, HeapAfterBackHeapWithHugePagesIsInHugePages) {
#if defined(BAREKIT_ASAN)
  GTEST_SKIP() << "ASan's allocator does not serve malloc from the heap";
#else
  if (!TransparentHugePagesOnRequest()) GTEST_SKIP() << "transparent huge pages are off";
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
