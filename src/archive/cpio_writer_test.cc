#include "archive/cpio_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "archive/test_util.h"

namespace barekit::archive {
namespace {

using ::testing::HasSubstr;
using testing::RunCommand;
using testing::TempDir;

FileTree SampleTree(const std::string& host_file) {
  FileTree t;
  EXPECT_TRUE(t.AddDevice("dev/console", EntryType::kCharDevice, 0600, 5, 1, "console").ok());
  EXPECT_TRUE(t.AddDevice("dev/null", EntryType::kCharDevice, 0666, 1, 3, "null").ok());
  EXPECT_TRUE(t.AddDirectory("tmp", 01777, "tmp").ok());
  EXPECT_TRUE(t.AddData("etc/hostname", 0644, "barekit\n", "name").ok());
  EXPECT_TRUE(t.AddData("etc/empty", 0600, "", "empty").ok());
  EXPECT_TRUE(t.AddFile("bin/app", 0755, host_file, "binary").ok());
  EXPECT_TRUE(t.AddSymlink("init", "bin/app", "link").ok());
  return t;
}

std::string WriteCpio(const FileTree& t, uint32_t mtime = 0) {
  StringSink s;
  EXPECT_TRUE(WriteTreeAsCpio(t, mtime, &s).ok());
  return s.str();
}

TEST(CpioWriter, HeaderFieldsAreFixedHexAndPaddedToFour) {
  StringSink s;
  CpioWriter w(&s, 0x5f000000);
  ASSERT_TRUE(w.AddFile("ab", 0644, AsBytes(std::string_view("xyz"))).ok());
  ASSERT_TRUE(w.Finish().ok());
  const std::string& b = s.str();
  // 110 header + "ab\0" = 113 -> padded to 116, then 3 data bytes -> 120.
  EXPECT_EQ(b.substr(0, 110),
            "070701"
            "00000001"  // ino
            "000081A4"  // mode: regular 0644
            "00000000"
            "00000000"  // uid gid
            "00000001"  // nlink
            "5F000000"  // mtime
            "00000003"  // filesize
            "00000000"
            "00000000"
            "00000000"
            "00000000"  // dev, rdev
            "00000003"  // namesize with NUL
            "00000000");
  EXPECT_EQ(b.substr(110, 6), std::string("ab\0\0\0\0", 6));
  EXPECT_EQ(b.substr(116, 4), std::string("xyz\0", 4));
  EXPECT_EQ(b.substr(120 + 6, 8), "00000000");  // trailer ino
  EXPECT_THAT(b, HasSubstr("TRAILER!!!"));
  EXPECT_EQ(b.size() % 4, 0u);
  EXPECT_EQ(w.bytes_written(), b.size());
}

TEST(CpioWriter, GnuCpioListsDeviceNodesSymlinksAndFiles) {
  TempDir dir;
  testing::WriteStringToFile(dir / "app", std::string(5000, 'x'));
  std::string cpio = WriteCpio(SampleTree(dir / "app"));
  testing::WriteStringToFile(dir / "a.cpio", cpio);
  auto r = RunCommand("cd " + dir.path() + " && cpio -itv --quiet < a.cpio");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::ContainsRegex("crw-------.* 5, +1 .*dev/console"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("crw-rw-rw-.* 1, +3 .*dev/null"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("drwxrwxrwt.* tmp"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("-rwxr-xr-x.* 5000 .*bin/app"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("lrwxrwxrwx.* init -> bin/app"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("drwxr-xr-x.* bin\n"));  // explicit parent
  // Sorted: parents before children.
  EXPECT_LT(r.output.find(" bin\n"), r.output.find("bin/app"));
  EXPECT_LT(r.output.find(" dev\n"), r.output.find("dev/console"));
}

TEST(CpioWriter, BsdtarListsDeviceNodes) {
  TempDir dir;
  testing::WriteStringToFile(dir / "app", "#!/bin/sh\n");
  testing::WriteStringToFile(dir / "a.cpio", WriteCpio(SampleTree(dir / "app")));
  auto r = RunCommand("bsdtar -tvf " + (dir / "a.cpio"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::ContainsRegex("crw------- .* 5,1 .*dev/console"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("crw-rw-rw- .* 1,3 .*dev/null"));
  EXPECT_THAT(r.output, HasSubstr("init -> bin/app"));
}

TEST(CpioWriter, ExtractedTreeMatchesWhatWasAsked) {
  TempDir dir;
  std::string body;
  for (int i = 0; i < 70000; ++i) body += static_cast<char>(i * 7);
  testing::WriteStringToFile(dir / "app", body);
  testing::WriteStringToFile(dir / "a.cpio", WriteCpio(SampleTree(dir / "app")));
  ASSERT_EQ(::mkdir((dir / "gnu").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir / "bsd").c_str(), 0755), 0);
  auto r = RunCommand("cd " + (dir / "gnu") + " && cpio -idm --quiet < ../a.cpio");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand("cd " + (dir / "bsd") + " && bsdtar -xpf ../a.cpio");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (std::string root : {dir / "gnu", dir / "bsd"}) {
    EXPECT_EQ(testing::ReadFileToString(root + "/bin/app"), body) << root;
    EXPECT_EQ(testing::ReadFileToString(root + "/etc/hostname"), "barekit\n");
    struct stat st;
    ASSERT_EQ(::lstat((root + "/init").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    ASSERT_EQ(::stat((root + "/bin/app").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(st.st_mtime, 0);
    if (::getuid() == 0) {  // mknod needs root; the listing tests cover the rootless case
      ASSERT_EQ(::lstat((root + "/dev/console").c_str(), &st), 0);
      EXPECT_TRUE(S_ISCHR(st.st_mode));
      EXPECT_EQ(major(st.st_rdev), 5u);
      EXPECT_EQ(minor(st.st_rdev), 1u);
    }
  }
}

TEST(CpioWriter, SameTreeInAnyInsertionOrderGivesSameBytes) {
  TempDir dir;
  testing::WriteStringToFile(dir / "app", "payload");
  FileTree a = SampleTree(dir / "app");
  FileTree b;
  ASSERT_TRUE(b.AddSymlink("init", "bin/app", "link").ok());
  ASSERT_TRUE(b.AddFile("bin/app", 0755, dir / "app", "binary").ok());
  ASSERT_TRUE(b.AddData("etc/empty", 0600, "", "empty").ok());
  ASSERT_TRUE(b.AddData("etc/hostname", 0644, "barekit\n", "name").ok());
  ASSERT_TRUE(b.AddDirectory("tmp", 01777, "tmp").ok());
  ASSERT_TRUE(b.AddDevice("dev/null", EntryType::kCharDevice, 0666, 1, 3, "null").ok());
  ASSERT_TRUE(b.AddDevice("dev/console", EntryType::kCharDevice, 0600, 5, 1, "console").ok());
  EXPECT_EQ(WriteCpio(a), WriteCpio(b));
  EXPECT_NE(WriteCpio(a, 0), WriteCpio(a, 1700000000));
}

TEST(CpioWriter, RefusesFilesOf4GiBAndBadNames) {
  StringSink s;
  CpioWriter w(&s, 0);
  EXPECT_FALSE(w.AddSymlink("", "x").ok());
  EXPECT_FALSE(w.AddDeviceNode("dev/x", 'z', 0600, 1, 1).ok());
}

}  // namespace
}  // namespace barekit::archive
