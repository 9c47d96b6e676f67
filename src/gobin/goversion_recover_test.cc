#include "gobin/goversion_recover.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/mapped_file.h"
#include "exe/object_file.h"
#include "gobin/corpus_testing.h"

namespace barekit::gobin {
namespace {

TEST(GoVersionPrefix, ReadsReleaseNames) {
  EXPECT_EQ(GoVersionPrefix("go1.26.5\x01xyz"), "go1.26.5");
  EXPECT_EQ(GoVersionPrefix("go1.19runtime"), "go1.19");
  EXPECT_EQ(GoVersionPrefix("go1.21rc2 X"), "go1.21rc2");
  EXPECT_EQ(GoVersionPrefix("go1.22beta1"), "go1.22beta1");
  EXPECT_EQ(GoVersionPrefix("go1.20."), "go1.20");
  EXPECT_EQ(GoVersionPrefix("go1."), "go1");
  EXPECT_EQ(GoVersionPrefix("golang"), "");
}

// `go version FILE` (Go 1.19, reading build info) is the oracle where it can answer.
std::string GoVersionOf(const std::string& path) {
  std::string cmd = "go version '" + path + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return "";
  char buf[512];
  std::string out;
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  size_t at = out.find(": go");
  if (at == std::string::npos) return "";
  out = out.substr(at + 2);
  return out.substr(0, out.find_first_of(" \n"));
}

TEST(RecoverGoVersion, MatchesGoVersionAndFindsStrippedBuildInfoRows) {
  const std::string dir = CorpusDir();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec) || std::system("go version >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no corpus under " << dir << " or no go toolchain";
  }
  int checked = 0, without_buildinfo = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec || !it->is_regular_file(ec) || it->file_size(ec) < 1000000) continue;
    const std::string path = it->path().string();
    auto file = MappedFile::Open(path);
    ASSERT_TRUE(file.ok());
    auto objs = exe::OpenObject(file->bytes());
    if (!objs.ok()) continue;
    const exe::ObjectFile& obj = objs->front();
    auto t = ReadFunctionTable(obj);
    if (!t.ok()) continue;
    GoVersionGuess g = RecoverGoVersion(obj, &*t);
    std::string want = GoVersionOf(path);
    if (want.empty() && path.find("0.28.2") != std::string::npos) {
      want = "go1.26.5";  // public.tsv: these esbuild releases carry no build info
      ++without_buildinfo;
    }
    if (want.empty()) continue;
    EXPECT_EQ(g.version, want) << path;
    EXPECT_NE(g.version_source.find("runtime.buildVersion"), std::string::npos)
        << path << ": " << g.version_source;
    EXPECT_EQ(g.goos, obj.os) << path;
    EXPECT_EQ(g.goarch, obj.arch) << path;
    EXPECT_NE(g.goos_source.find("pclntab"), std::string::npos) << path << ": " << g.goos_source;
    // As inspect reads the table: one pass through pread windows, stopped at the entry point.
    Rt0Function rt0;
    ReadOptions ro;
    ro.file = &*file;
    ro.visit = &NoteRt0Function;
    ro.visit_ctx = &rt0;
    ro.stop = &rt0.found;
    auto once = ReadFunctionTable(obj, ro);
    ASSERT_TRUE(once.ok()) << path << ": " << once.status().message();
    EXPECT_TRUE(once->funcs.empty()) << path;
    const GoVersionGuess g1 = RecoverGoVersion(obj, &*once, &rt0);
    EXPECT_EQ(g1.version, g.version) << path;
    EXPECT_EQ(g1.version_source, g.version_source) << path;
    EXPECT_EQ(g1.goos_source, g.goos_source) << path;
    EXPECT_EQ(g1.goarch_source, g.goarch_source) << path;
    EXPECT_EQ(g1.layout_hint, g.layout_hint) << path;
    ++checked;
  }
  EXPECT_GT(checked, 0);
  EXPECT_GT(without_buildinfo, 0);
}

}  // namespace
}  // namespace barekit::gobin
