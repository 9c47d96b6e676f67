#include "archive/tar_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "archive/test_util.h"

namespace barekit::archive {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using testing::RunCommand;
using testing::TempDir;
using namespace std::string_literals;

TEST(TarWriter, UstarHeaderChecksumAndFieldsAreThoseOfGnuTar) {
  StringSink s;
  TarWriter w(&s, 0);
  ASSERT_TRUE(w.AddFile("etc/passwd", 0644, AsBytes(std::string_view("root\n"))).ok());
  ASSERT_TRUE(w.Finish().ok());
  const std::string& b = s.str();
  ASSERT_EQ(b.size(), 512u + 512u + 1024u);
  EXPECT_EQ(b.substr(0, 11), "etc/passwd\0"s);
  EXPECT_EQ(b.substr(100, 8), "0000644\0"s);
  EXPECT_EQ(b.substr(124, 12), "00000000005\0"s);
  EXPECT_EQ(b.substr(257, 8),
            "ustar\0"
            "00"s);
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(b[i]);
  EXPECT_EQ(std::stoul(b.substr(148, 6), nullptr, 8), sum);
}

TEST(TarWriter, GnuTarAndBsdtarListAndExtractEveryKind) {
  TempDir dir;
  FileTree t;
  std::string long_dir = "usr/share/" + std::string(120, 'd') + "/" + std::string(90, 'e');
  std::string long_name = long_dir + "/" + std::string(80, 'f');  // > 255: needs PAX
  ASSERT_TRUE(t.AddData(long_name, 0644, "deep\n", "long").ok());
  ASSERT_TRUE(t.AddSymlink("link", std::string(150, 'l'), "long target").ok());
  ASSERT_TRUE(t.AddDevice("dev/null", EntryType::kCharDevice, 0666, 1, 3, "null").ok());
  ASSERT_TRUE(t.AddDirectory("tmp", 01777, "tmp").ok());
  ASSERT_TRUE(t.AddData("home/nonroot/.keep", 0600, "", "home").ok());
  Entry home;
  home.path = "home/nonroot";
  home.type = EntryType::kDirectory;
  home.mode = 0700;
  home.uid = home.gid = 65532;
  ASSERT_TRUE(t.Add(home).ok());
  StringSink s;
  ASSERT_TRUE(WriteTreeAsTar(t, 1234567890, &s).ok());
  testing::WriteStringToFile(dir / "a.tar", s.str());

  auto r = RunCommand("tar -tvf " + (dir / "a.tar"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(long_name));
  EXPECT_THAT(r.output, ContainsRegex("crw-rw-rw- 0/0 +1,3 2009-02-13 23:31 dev/null"));
  EXPECT_THAT(r.output, ContainsRegex("drwxrwxrwt 0/0 .* tmp/"));
  EXPECT_THAT(r.output, ContainsRegex("drwx------ 65532/65532 .* home/nonroot/"));
  EXPECT_THAT(r.output, HasSubstr("link -> " + std::string(150, 'l')));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("PaxHeaders")));

  r = RunCommand("bsdtar -tvf " + (dir / "a.tar"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(long_name));

  r = RunCommand("mkdir " + (dir / "x") + " && tar -C " + (dir / "x") + " -xf " + (dir / "a.tar"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(testing::ReadFileToString(dir / "x/" + long_name), "deep\n");
}

TEST(TarWriter, SplitsPathsBetweenPrefixAndNameWithoutPax) {
  StringSink s;
  TarWriter w(&s, 0);
  std::string p = std::string(140, 'a') + "/" + std::string(90, 'b');
  ASSERT_TRUE(w.AddFile(p, 0644, {}).ok());
  EXPECT_EQ(s.str().size(), 512u);  // no PAX record
  EXPECT_EQ(s.str().substr(345, 140), std::string(140, 'a'));
  EXPECT_EQ(s.str().substr(0, 90), std::string(90, 'b'));
}

}  // namespace
}  // namespace barekit::archive
