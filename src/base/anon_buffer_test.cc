#include "base/anon_buffer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdint>
#include <cstring>
#include <utility>

namespace barekit {
namespace {

TEST(AnonBuffer, MovesOwnership) {
  auto a = AnonBuffer::Populated(4096);
  ASSERT_TRUE(a.has_value());
  std::byte* p = a->bytes().data();
  AnonBuffer b = std::move(*a);
  EXPECT_EQ(b.bytes().data(), p);
  EXPECT_TRUE(a->bytes().empty());
  b.bytes()[4095] = std::byte{1};  // still mapped
  AnonBuffer c = std::move(b);
  EXPECT_EQ(c.bytes().data(), p);
}

TEST(AnonBuffer, RefusesZeroAndAbsurdSizes) {
  EXPECT_FALSE(AnonBuffer::Populated(0).has_value());
  EXPECT_FALSE(AnonBuffer::Populated(size_t{1} << 50).has_value());
}

long MinorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// One byte per page. Not instrumented: under ASan each checked write would also read the shadow
// of its page, and the first reads of those shadow pages are faults of their own (3 for 96 KB).
__attribute__((no_sanitize("address"))) void TouchEveryPage(std::byte* p, size_t n) {
  for (size_t i = 0; i < n; i += 4096) p[i] = std::byte{0x5a};
}

// The point of a Populated buffer: its first writes take no page fault. Without MAP_POPULATE
// this writes 24 fresh pages and counts 24 faults.
TEST(AnonBuffer, PopulatedTakesNoFaultOnWrite) {
  constexpr size_t kN = 96 << 10;
  auto b = AnonBuffer::Populated(kN);
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(b->bytes().size(), kN);
  std::byte* p = b->bytes().data();
  const long before = MinorFaults();
  TouchEveryPage(p, kN);
  const long after = MinorFaults();
  EXPECT_EQ(after - before, 0);
  EXPECT_EQ(p[kN - 4096], std::byte{0x5a});
  AnonBuffer moved = std::move(*b);
  EXPECT_EQ(moved.bytes().data(), p);
  EXPECT_TRUE(b->bytes().empty());
}

}  // namespace
}  // namespace barekit
