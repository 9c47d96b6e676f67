#include "init/embedded.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

namespace barekit::init {
namespace {

TEST(EmbeddedInit, CarriesAStaticElfForEachArchItNames) {
  std::vector<std::string_view> arches = EmbeddedInitArches();
  ASSERT_FALSE(arches.empty());
  for (std::string_view a : arches) {
    std::span<const std::byte> bin = EmbeddedInit(a);
    ASSERT_GT(bin.size(), 64u) << a;
    EXPECT_EQ(static_cast<char>(bin[0]), 0x7f);
    EXPECT_EQ(static_cast<char>(bin[1]), 'E');
    EXPECT_EQ(static_cast<char>(bin[4]), 2) << "ELFCLASS64";
    // e_machine at 18: 62 x86-64, 183 aarch64, 243 riscv
    uint16_t machine =
        static_cast<uint16_t>(static_cast<uint8_t>(bin[18]) | static_cast<uint8_t>(bin[19]) << 8);
    EXPECT_EQ(machine, a == "amd64" ? 62 : a == "arm64" ? 183 : 243) << a;
#ifdef BAREKIT_INIT_SIZE_BUDGET
    EXPECT_LE(bin.size(), BAREKIT_INIT_SIZE_BUDGET) << a << ": over the 1 MiB budget";
#endif
  }
  EXPECT_TRUE(EmbeddedInit("mips").empty());
}

#ifdef BAREKIT_INIT_NATIVE
TEST(EmbeddedInit, NativeCopyMatchesTheBuiltBinary) {
  std::ifstream f(BAREKIT_INIT_NATIVE, std::ios::binary);
  std::vector<char> want((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::span<const std::byte> got = EmbeddedInit("amd64");
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size()), 0);
}
#endif

}  // namespace
}  // namespace barekit::init
