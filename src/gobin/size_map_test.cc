#include "gobin/size_map.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "base/mapped_file.h"
#include "exe/object_file.h"
#include "gobin/packages.h"

namespace barekit::gobin {
namespace {

// Every node's bytes are the sum of its children's.
void ExpectSumsHold(const SizeNode& n, const std::string& path) {
  if (n.children.empty()) return;
  uint64_t sum = 0;
  for (const SizeNode& c : n.children) {
    sum += c.file_bytes;
    ExpectSumsHold(c, path);
  }
  EXPECT_EQ(sum, n.file_bytes) << path << ": node " << n.name;
}

uint64_t PackageBytes(const SizeNode& n) {
  if (n.kind == SizeNodeKind::kPackage) return n.file_bytes;
  uint64_t s = 0;
  for (const SizeNode& c : n.children) s += PackageBytes(c);
  return s;
}

TEST(SizeMap, EmptyObjectIsOneFileNode) {
  exe::ObjectFile obj;
  SizeNode root = BuildSizeMap(obj, nullptr, nullptr);
  EXPECT_EQ(root.file_bytes, 0u);
  EXPECT_TRUE(root.children.empty());
}

TEST(SizeMap, OverlappingSectionsAndGapsCountEachByteOnce) {
  std::vector<std::byte> bytes(1000);
  exe::ObjectFile obj;
  obj.data = bytes;
  exe::Section a{.name = ".a", .offset = 100, .file_size = 300};
  exe::Section b{.name = ".b", .offset = 200, .file_size = 400};   // overlaps .a by 200
  exe::Section c{.name = ".c", .offset = 700, .file_size = 5000};  // runs past the end
  obj.sections = {a, b, c};
  SizeNode root = BuildSizeMap(obj, nullptr, nullptr);
  EXPECT_EQ(root.file_bytes, 1000u);
  ExpectSumsHold(root, "synthetic");
  std::map<std::string, uint64_t> got;
  for (const SizeNode& n : root.children) got[n.name] = n.file_bytes;
  EXPECT_EQ(got[".a"], 300u);
  EXPECT_EQ(got[".b"], 200u);  // only what .a did not claim
  EXPECT_EQ(got[".c"], 300u);  // clipped at the file end
  EXPECT_EQ(got["[file header]"], 100u);
  EXPECT_EQ(got["[between sections]"], 100u);
}

// Real binaries: the tree adds up to the file size (stat(2) is the oracle), and the code
// sections' package bytes equal the function sizes inside them.
TEST(SizeMapCorpus, TotalsEqualFileSizeAndFunctionSizes) {
  std::vector<std::string> dirs;
  const char* fx = std::getenv("BAREKIT_FIXTURES");
  dirs.push_back(fx != nullptr ? fx : std::string(BAREKIT_SOURCE_DIR) + "/build/fixtures");
  const char* cp = std::getenv("BAREKIT_CORPUS");
  dirs.push_back(cp != nullptr ? cp : std::string(std::getenv("HOME")) + "/.cache/barekit-corpus");
  int checked = 0;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (ec || !it->is_regular_file(ec) || it->file_size(ec) < 100000) continue;
      const std::string path = it->path().string();
      auto file = MappedFile::Open(path);
      ASSERT_TRUE(file.ok());
      auto objs = exe::OpenObject(file->bytes());
      if (!objs.ok() || objs->size() != 1) continue;
      const exe::ObjectFile& obj = objs->front();
      auto t = ReadFunctionTable(obj);
      const FunctionTable* tp = t.ok() ? &*t : nullptr;
      SizeNode root = BuildSizeMap(obj, tp, nullptr);
      struct stat st;
      ASSERT_EQ(stat(path.c_str(), &st), 0);
      EXPECT_EQ(root.file_bytes, static_cast<uint64_t>(st.st_size)) << path;
      ExpectSumsHold(root, path);
      if (tp != nullptr) {
        uint64_t code = 0;
        for (const SizeNode& s : root.children) {
          bool exec = false;
          for (const exe::Section& sec : obj.sections) {
            if (sec.executable && s.name.ends_with(std::string(sec.name))) exec = true;
          }
          if (exec) code += PackageBytes(s);
        }
        PackageReport rep = SizeByPackage(*tp, nullptr);
        EXPECT_EQ(code, rep.total_code_bytes) << path;
      }
      ++checked;
    }
  }
  if (checked == 0) GTEST_SKIP() << "no fixtures or corpus";
}

}  // namespace
}  // namespace barekit::gobin
