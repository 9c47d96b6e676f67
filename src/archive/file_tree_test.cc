#include "archive/file_tree.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace barekit::archive {
namespace {

using ::testing::HasSubstr;

TEST(FileTree, NormalizesPathsAndRejectsDotDot) {
  EXPECT_EQ(*NormalizeImagePath("/a//b/./c/"), "a/b/c");
  EXPECT_FALSE(NormalizeImagePath("a/../b").ok());
  EXPECT_FALSE(NormalizeImagePath("/").ok());
  EXPECT_FALSE(NormalizeImagePath(std::string("a\0b", 3)).ok());
}

TEST(FileTree, AddsExplicitParentsAndSortsParentsFirst) {
  FileTree t;
  ASSERT_TRUE(t.AddData("usr/lib/x/y.so", 0644, "y", "lib").ok());
  ASSERT_TRUE(t.AddData("usr/lib-foo", 0644, "z", "lib").ok());
  std::vector<std::string> order;
  ASSERT_TRUE(t.ForEach([&](const Entry& e, Bytes) {
                 order.push_back(e.path);
                 return Status::Ok();
               }).ok());
  EXPECT_THAT(order, ::testing::ElementsAre("usr", "usr/lib", "usr/lib-foo", "usr/lib/x",
                                            "usr/lib/x/y.so"));
  EXPECT_TRUE(t.Find("usr/lib")->implicit);
}

TEST(FileTree, TwoInputsForOnePathIsAnErrorNamingBoth) {
  FileTree t;
  ASSERT_TRUE(t.AddData("etc/passwd", 0644, "a", "generated").ok());
  Status s = t.AddFile("etc/passwd", 0644, "/etc/hostname", "--add /etc/hostname:/etc/passwd");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("two inputs for /etc/passwd"));
  EXPECT_THAT(s.message(), HasSubstr("generated"));
  EXPECT_THAT(s.message(), HasSubstr("/etc/hostname"));
  // A file cannot sit where a directory is needed.
  Status s2 = t.AddData("etc/passwd/x", 0644, "a", "bad");
  EXPECT_THAT(s2.message(), HasSubstr("needs /etc/passwd to be a directory"));
  // Directories merge; replace wins.
  EXPECT_TRUE(t.AddDirectory("etc", 0755, "etc").ok());
  Entry e;
  e.path = "etc/passwd";
  e.data = "b";
  e.size = 1;
  EXPECT_TRUE(t.Add(e, /*replace=*/true).ok());
  EXPECT_EQ(t.Find("etc/passwd")->data, "b");
}

TEST(FileTree, SymlinksMustStayInsideTheImage) {
  FileTree t;
  ASSERT_TRUE(t.AddData("usr/lib/x86_64-linux-gnu/libc.so.6", 0755, "elf", "lib").ok());
  ASSERT_TRUE(t.AddSymlink("lib", "usr/lib", "merged /usr").ok());
  ASSERT_TRUE(t.AddSymlink("lib64/ld.so", "/lib/x86_64-linux-gnu/libc.so.6", "abs ok").ok());
  ASSERT_TRUE(t.AddSymlink("usr/lib/up", "../../lib", "rel ok").ok());
  EXPECT_TRUE(t.CheckSymlinks().ok()) << t.CheckSymlinks().message();

  FileTree esc = t;
  ASSERT_TRUE(esc.AddSymlink("etc/ssl", "../../host/ssl", "bad").ok());
  Status s = esc.CheckSymlinks();
  EXPECT_THAT(s.message(),
              HasSubstr("symlink /etc/ssl -> ../../host/ssl climbs above the image root"));

  FileTree abs = t;
  ASSERT_TRUE(abs.AddSymlink("etc/localtime", "/usr/share/zoneinfo/UTC", "bad").ok());
  EXPECT_THAT(
      abs.CheckSymlinks().message(),
      HasSubstr("absolute symlink /etc/localtime -> /usr/share/zoneinfo/UTC points outside"));

  FileTree loop;
  ASSERT_TRUE(loop.AddSymlink("a", "/b", "loop").ok());
  ASSERT_TRUE(loop.AddSymlink("b", "/a", "loop").ok());
  EXPECT_FALSE(loop.CheckSymlinks().ok());
}

TEST(FileTree, ResolvesParentLinksForFilesBelowLinkedDirectories) {
  FileTree t;
  ASSERT_TRUE(t.AddDirectory("usr/lib", 0755, "d").ok());
  ASSERT_TRUE(t.AddSymlink("lib", "usr/lib", "merged /usr").ok());
  ASSERT_TRUE(t.AddSymlink("usr/lib64", "/lib", "abs").ok());
  EXPECT_EQ(t.ResolveParentLinks("lib/libfoo.so.1"), "usr/lib/libfoo.so.1");
  EXPECT_EQ(t.ResolveParentLinks("usr/lib64/x/y"), "usr/lib/x/y");
  EXPECT_EQ(t.ResolveParentLinks("lib"), "lib");
  EXPECT_EQ(t.ResolveParentLinks("opt/z"), "opt/z");
}

TEST(FileTree, MissingOrNonRegularSourcesAreErrors) {
  FileTree t;
  Status s = t.AddFile("x", 0644, "/nonexistent/file", "input");
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent/file"));
  EXPECT_THAT(t.AddFile("x", 0644, "/tmp", "input").message(), HasSubstr("not a regular file"));
}

}  // namespace
}  // namespace barekit::archive
