#include "base/huge_page_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <utility>

#include "base/smaps_testing.h"

namespace barekit {
namespace {

TEST(HugePageBuffer, IsAlignedWritableAndInHugePages) {
  if (!HugePagesOnRequest()) {
    EXPECT_FALSE(HugePageBuffer::Allocate(1 << 20).has_value());
    GTEST_SKIP() << "transparent huge pages are off";
  }
  const size_t n = (3 << 20) + 5;  // not a whole number of huge pages
  auto b = HugePageBuffer::Allocate(n);
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(b->bytes().size(), n);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b->bytes().data()) % (2 << 20), 0u);
  std::memset(b->bytes().data(), 0x5a, n);
  EXPECT_EQ(b->bytes()[n - 1], std::byte{0x5a});
  // The kernel's own account: in 4 KB pages this reads 0 kB.
  EXPECT_GE(AnonHugeKbAt(b->bytes().data()), 2048u);
}

TEST(HugePageBuffer, MovesOwnership) {
  auto a = HugePageBuffer::Allocate(4096);
  if (!a) GTEST_SKIP() << "transparent huge pages are off";
  std::byte* p = a->bytes().data();
  HugePageBuffer b = std::move(*a);
  EXPECT_EQ(b.bytes().data(), p);
  EXPECT_TRUE(a->bytes().empty());
  b.bytes()[4095] = std::byte{1};  // still mapped
  HugePageBuffer c = std::move(b);
  EXPECT_EQ(c.bytes().data(), p);
}

TEST(HugePageBuffer, RefusesZeroAndAbsurdSizes) {
  EXPECT_FALSE(HugePageBuffer::Allocate(0).has_value());
  EXPECT_FALSE(HugePageBuffer::Allocate(size_t{1} << 50).has_value());
}

}  // namespace
}  // namespace barekit
