#include "base/reused_buffer.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <thread>
#include <utility>

namespace barekit {
namespace {

TEST(ReusedBuffer, LendsTheSameMemoryAgainOnceReturned) {
  ReusedBuffer kept;
  std::byte* first = nullptr;
  {
    ReusedBuffer::Lease a = kept.Borrow(10000);
    ASSERT_TRUE(a);
    ASSERT_GE(a.bytes().size(), 10000u);
    std::memset(a.bytes().data(), 0x5a, 10000);  // writable, every byte of it
    first = a.bytes().data();
  }
  ReusedBuffer::Lease b = kept.Borrow(4096);  // smaller: the same mapping serves
  ASSERT_TRUE(b);
  EXPECT_EQ(b.bytes().data(), first);
  EXPECT_EQ(b.bytes()[9999], std::byte{0x5a});  // contents are what the last borrower left
}

TEST(ReusedBuffer, GrowsWhenAskedForMore) {
  ReusedBuffer kept;
  { ASSERT_TRUE(kept.Borrow(4096)); }
  ReusedBuffer::Lease big = kept.Borrow(1 << 20);
  ASSERT_TRUE(big);
  ASSERT_GE(big.bytes().size(), size_t{1} << 20);
  std::memset(big.bytes().data(), 1, 1 << 20);
}

TEST(ReusedBuffer, ALeaseTakenWhileAnotherIsOutHasItsOwnMemory) {
  ReusedBuffer kept;
  ReusedBuffer::Lease outer = kept.Borrow(8192);
  ASSERT_TRUE(outer);
  std::byte* kept_bytes = outer.bytes().data();
  {
    ReusedBuffer::Lease inner = kept.Borrow(8192);  // a re-entrant call
    ASSERT_TRUE(inner);
    EXPECT_NE(inner.bytes().data(), kept_bytes);
    std::memset(inner.bytes().data(), 7, 8192);
  }
  ReusedBuffer::Lease moved = std::move(outer);  // the lease moves; the buffer stays lent
  EXPECT_EQ(moved.bytes().data(), kept_bytes);
  EXPECT_FALSE(outer);  // NOLINT(bugprone-use-after-move): a moved-from lease is empty
  ReusedBuffer::Lease third = kept.Borrow(8192);
  EXPECT_NE(third.bytes().data(), kept_bytes);
}

TEST(ReusedBuffer, ThreadsNeverShareALease) {
  ReusedBuffer kept;
  constexpr int kRounds = 2000;
  auto work = [&kept](std::byte mark) {
    for (int i = 0; i < kRounds; ++i) {
      ReusedBuffer::Lease l = kept.Borrow(4096);
      ASSERT_TRUE(l);
      std::memset(l.bytes().data(), static_cast<int>(mark), 4096);
      for (size_t k = 0; k < 4096; k += 512) ASSERT_EQ(l.bytes()[k], mark);
    }
  };
  std::thread a(work, std::byte{1});
  std::thread b(work, std::byte{2});
  a.join();
  b.join();
}

TEST(ReusedBuffer, RefusesZeroBytes) {
  ReusedBuffer kept;
  EXPECT_FALSE(kept.Borrow(0));
}

}  // namespace
}  // namespace barekit
