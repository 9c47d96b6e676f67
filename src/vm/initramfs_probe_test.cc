#include "vm/initramfs_probe.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace barekit::vm {
namespace {

std::string Entry(const std::string& name, uint32_t mode, const std::string& data) {
  char head[111];
  std::snprintf(head, sizeof head, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1u,
                mode, 0u, 0u, 1u, 0u, static_cast<unsigned>(data.size()), 0u, 0u, 0u, 0u,
                static_cast<unsigned>(name.size() + 1), 0u);
  std::string e = std::string(head, 110) + name + '\0';
  e.append((4 - e.size() % 4) % 4, '\0');
  e += data;
  e.append((4 - e.size() % 4) % 4, '\0');
  return e;
}

std::string Elf(uint16_t machine) {
  std::string h(64, '\0');
  h.replace(0, 4,
            "\x7f"
            "ELF");
  h[4] = 2;
  h[5] = 1;
  h[18] = static_cast<char>(machine & 0xff);
  h[19] = static_cast<char>(machine >> 8);
  return h + std::string(1000, 'x');
}

TEST(InitramfsProbe, InitThroughSymlink) {
  std::string a = Entry("app", 040755, "") + Entry("app/svc", 0100755, Elf(183)) +
                  Entry("init", 0120777, "app/svc") + Entry("TRAILER!!!", 0, "");
  Result<InitramfsInfo> r = ProbeInitramfs(AsBytes(a));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().arch, "arm64");
  EXPECT_EQ(r.value().init_path, "app/svc");
  EXPECT_EQ(r.value().compression, "none");
}

TEST(InitramfsProbe, InitFile) {
  std::string a = Entry("./init", 0100755, Elf(62)) + Entry("TRAILER!!!", 0, "");
  EXPECT_EQ(ProbeInitramfs(AsBytes(a)).value().arch, "amd64");
}

TEST(InitramfsProbe, NoInit) {
  std::string a = Entry("etc", 040755, "") + Entry("TRAILER!!!", 0, "");
  Result<InitramfsInfo> r = ProbeInitramfs(AsBytes(a));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().init_path, "");
}

TEST(InitramfsProbe, BadInputHasOffsets) {
  EXPECT_TRUE(ProbeInitramfs(AsBytes(std::string_view("hello"))).status().IsNotMine());
  std::string a = Entry("etc", 040755, "") + "070701zzzz" + std::string(100, '0');
  Result<InitramfsInfo> r = ProbeInitramfs(AsBytes(a));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("at byte 116"), std::string::npos) << r.status().message();
  std::string t = Entry("etc", 040755, "");
  r = ProbeInitramfs(AsBytes(t));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ends before its trailer"), std::string::npos);
  EXPECT_FALSE(ProbeInitramfs(AsBytes(std::string_view("\x1f\x8b garbage"))).ok());
  EXPECT_FALSE(ProbeInitramfs(AsBytes(std::string_view("\x28\xb5\x2f\xfd garbage"))).ok());
}

TEST(InitramfsProbe, SymlinkLoopStops) {
  std::string a =
      Entry("init", 0120777, "a") + Entry("a", 0120777, "init") + Entry("TRAILER!!!", 0, "");
  Result<InitramfsInfo> r = ProbeInitramfs(AsBytes(a));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().arch, "");
}

}  // namespace
}  // namespace barekit::vm
