#include "base/byte_reader.h"

#include <gtest/gtest.h>

#include <array>

namespace barekit {
namespace {

Bytes B(const std::array<uint8_t, 8>& a) {
  return {reinterpret_cast<const std::byte*>(a.data()), a.size()};
}

TEST(ByteReader, ReadsBothByteOrders) {
  static const std::array<uint8_t, 8> kData = {1, 2, 3, 4, 5, 6, 7, 8};
  ByteReader le(B(kData), Endian::kLittle);
  EXPECT_EQ(*le.U32(), 0x04030201u);
  ByteReader be(B(kData), Endian::kBig);
  EXPECT_EQ(*be.U32(), 0x01020304u);
  EXPECT_EQ(*be.U16(), 0x0506u);
}

TEST(ByteReader, RefusesReadPastEnd) {
  static const std::array<uint8_t, 8> kData = {};
  ByteReader r(B(kData), Endian::kLittle);
  EXPECT_TRUE(r.U64());
  EXPECT_FALSE(r.U8());
  EXPECT_FALSE(r.Seek(9));
  EXPECT_TRUE(r.Seek(8));
  EXPECT_FALSE(r.Take(1));
}

TEST(ByteReader, UvarintRejectsOverlongAndTruncated) {
  static const std::array<uint8_t, 8> kTrunc = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
  ByteReader r(B(kTrunc), Endian::kLittle);
  EXPECT_FALSE(r.Uvarint());
  static const std::array<uint8_t, 8> kTwo = {0xac, 0x02, 0, 0, 0, 0, 0, 0};
  ByteReader r2(B(kTwo), Endian::kLittle);
  EXPECT_EQ(*r2.Uvarint(), 300u);
}

TEST(SubSpan, OverflowSafe) {
  static const std::array<uint8_t, 8> kData = {};
  EXPECT_FALSE(SubSpan(B(kData), 4, UINT64_MAX));
  EXPECT_FALSE(SubSpan(B(kData), UINT64_MAX, 1));
  EXPECT_TRUE(SubSpan(B(kData), 8, 0));
}

TEST(CStringAt, BoundedAndTerminated) {
  static const std::array<uint8_t, 8> kData = {'a', 'b', 0, 'c', 'd', 'e', 'f', 'g'};
  EXPECT_EQ(*CStringAt(B(kData), 0), "ab");
  EXPECT_FALSE(CStringAt(B(kData), 3));
  EXPECT_FALSE(CStringAt(B(kData), 100));
}

}  // namespace
}  // namespace barekit
