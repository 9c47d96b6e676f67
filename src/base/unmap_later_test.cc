#include "base/unmap_later.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cerrno>
#include <vector>

namespace barekit {
namespace {

// msync on an address range fails with ENOMEM when nothing is mapped there.
bool Mapped(void* p) { return ::msync(p, 4096, MS_ASYNC) == 0 || errno != ENOMEM; }

TEST(UnmapLater, HoldsTheLastFewAndUnmapsTheOlderOnes) {
  std::vector<void*> maps;
  for (size_t i = 0; i < kUnmapLaterSlots + 2; ++i) {
    void* p = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    static_cast<char*>(p)[0] = 1;
    maps.push_back(p);
  }
  for (void* p : maps) UnmapLater(p, 4096);
  // Whatever earlier tests handed over, these are now the newest: the first two are gone, the
  // rest still mapped.
  EXPECT_FALSE(Mapped(maps[0]));
  EXPECT_FALSE(Mapped(maps[1]));
  for (size_t i = 2; i < maps.size(); ++i) EXPECT_TRUE(Mapped(maps[i])) << i;
}

}  // namespace
}  // namespace barekit
