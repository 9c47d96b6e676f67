#include "pack/modinfo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/mapped_file.h"
#include "pack/pack_test_util.h"

namespace barekit::pack {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ModInfo, ParsesKeyValueRecordsAndSkipsPadding) {
  std::string s(
      "license=GPL\0\0\0depends=virtio-ring,virtio\0name=virtio_net\0vermagic=6.1.0 SMP\0", 76);
  auto m = ParseModInfo(AsBytes(s));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->name, "virtio_net");
  EXPECT_THAT(m->depends, ElementsAre("virtio_ring", "virtio"));
  EXPECT_EQ(m->vermagic, "6.1.0 SMP");
}

TEST(ModInfo, BrokenRecordsNameTheOffset) {
  std::string unterminated("name=x\0depends=a", 16);
  EXPECT_THAT(ParseModInfo(AsBytes(unterminated)).status().message(),
              HasSubstr(".modinfo at 0x7: record runs past the section end"));
  std::string noeq("name=x\0garbage\0", 15);
  EXPECT_THAT(ParseModInfo(AsBytes(noeq)).status().message(), HasSubstr("at 0x7"));
  EXPECT_FALSE(ReadModInfo(AsBytes(std::string("not an elf"))).ok());
}

TEST(ModInfo, ReadsTheSectionOfARelocatableObject) {
  auto m = MappedFile::Open(testing::PackFixtures() + "/modules/kernel/drivers/virtio_pci.ko");
  ASSERT_TRUE(m.ok());
  auto info = ReadModInfo(m->bytes());
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->name, "virtio_pci");
  EXPECT_THAT(info->depends, ElementsAre("virtio", "virtio_ring"));
}

TEST(ModInfo, ResolvesDependenciesIntoLoadOrder) {
  auto mods = ResolveModules({"virtio-net", "virtio_pci"}, testing::PackFixtures() + "/modules");
  ASSERT_TRUE(mods.ok()) << mods.status().message();
  std::vector<std::string> names;
  for (const auto& m : *mods) names.push_back(m.name);
  EXPECT_THAT(names, ElementsAre("failover", "net_failover", "virtio", "virtio_ring", "virtio_net",
                                 "virtio_pci"));
  EXPECT_EQ((*mods)[0].relpath, "kernel/drivers/failover.ko");
}

TEST(ModInfo, MissingModulesAndCyclesAreClearErrors) {
  std::string dir = testing::PackFixtures() + "/modules";
  EXPECT_THAT(ResolveModules({"lonely"}, dir).status().message(),
              HasSubstr("kernel module missing_dep (needed by lonely) not found under"));
  EXPECT_THAT(ResolveModules({"loop_a"}, dir).status().message(), HasSubstr("cycle"));
  EXPECT_THAT(ResolveModules({"x"}, "/nonexistent").status().message(), HasSubstr("/nonexistent"));
}

}  // namespace
}  // namespace barekit::pack
