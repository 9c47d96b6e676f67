#include "gobin/size_map.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "exe/object_file.h"
#include "fmt/format.h"
#include "gobin/corpus_testing.h"
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
// Calls fn(path, file, obj) for every single-object executable of 100 KB or more among the fixtures
// and the corpus; returns how many.
template <typename Fn>
int ForEachCorpusObject(const Fn& fn) {
  int seen = 0;
  for (const std::string& dir : {FixturesDir(), CorpusDir()}) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (ec || !it->is_regular_file(ec) || it->file_size(ec) < 100000) continue;
      const std::string path = it->path().string();
      auto file = MappedFile::Open(path);
      EXPECT_TRUE(file.ok()) << path;
      if (!file.ok()) continue;
      auto objs = exe::OpenObject(file->bytes());
      if (!objs.ok() || objs->size() != 1) continue;
      fn(path, *file, objs->front());
      ++seen;
    }
  }
  return seen;
}

TEST(SizeMapCorpus, TotalsEqualFileSizeAndFunctionSizes) {
  int checked = ForEachCorpusObject(
      [](const std::string& path, const MappedFile&, const exe::ObjectFile& obj) {
        auto t = ReadFunctionTable(obj);
        const FunctionTable* tp = t.ok() ? &*t : nullptr;
        SizeNode root = BuildSizeMap(obj, tp, nullptr);
        struct stat st;
        EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
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
      });
  if (checked == 0) GTEST_SKIP() << "no fixtures or corpus";
}

// "name bytes functions" per node, depth first: two trees are the same when these are.
void Flatten(const SizeNode& n, const std::string& parent, std::vector<std::string>* out) {
  const std::string path = parent + "/" + n.name;
  out->push_back(fmt::format("{} {} {}", path, n.file_bytes, n.functions));
  for (const SizeNode& c : n.children) Flatten(c, path, out);
}

// `t`'s bytes in *copy with the pcsp offsets of the second and the last function swapped: the
// last function's table then comes first, before tables of the functions between, out of the
// linker's order. False when either offset is 0 or both are the same (nothing would change).
bool SwapPcsp(const FunctionTable& t, std::vector<std::byte>* copy) {
  copy->assign(t.data.begin(), t.data.end());
  const uint64_t pcsp = t.header.version >= PclntabVersion::kGo118
                            ? 16
                            : 16 + static_cast<uint64_t>(t.header.ptr_size) - 4;
  const uint64_t a = t.funcs[1].func_offset + pcsp;
  const uint64_t b = t.funcs.back().func_offset + pcsp;
  uint32_t va, vb;
  std::memcpy(&va, &(*copy)[a], 4);
  std::memcpy(&vb, &(*copy)[b], 4);
  if (va == 0 || vb == 0 || va == vb) return false;
  std::memcpy(&(*copy)[a], &vb, 4);
  std::memcpy(&(*copy)[b], &va, 4);
  return true;
}

// The one-pass split of pctab must give what the general two-pass one gives, on every real table
// it accepts; and it must refuse a table whose functions' tables are out of the linker's order.
TEST(SizeMapCorpus, OnePassPcTablesMatchTheGeneralMethod) {
  int one_pass = 0, refused = 0;
  ForEachCorpusObject([&](const std::string& path, const MappedFile&, const exe::ObjectFile& obj) {
    auto t = ReadFunctionTable(obj);
    if (!t.ok() || t->header.version == PclntabVersion::kGo12 || t->funcs.size() < 3) return;
    const PackageIndex ix = IndexPackages(*t, nullptr);
    const std::vector<uint64_t> general = size_map_internal::PcTableBytesGeneral(*t, ix);
    auto fast = size_map_internal::PcTableBytesOnePass(*t, ix);
    EXPECT_TRUE(fast.has_value()) << path << ": a linker-written table was refused";
    if (!fast) return;
    EXPECT_EQ(*fast, general) << path;
    ++one_pass;

    // Out of order (SwapPcsp): both methods still count every pctab byte referenced; only the
    // general one may be used for it.
    std::vector<std::byte> copy;
    if (!SwapPcsp(*t, &copy)) return;
    FunctionTable moved = *t;
    moved.data = copy;
    EXPECT_FALSE(size_map_internal::PcTableBytesOnePass(moved, ix).has_value()) << path;
    uint64_t sum_before = 0, sum_after = 0;
    for (uint64_t v : general) sum_before += v;
    for (uint64_t v : size_map_internal::PcTableBytesGeneral(moved, ix)) sum_after += v;
    EXPECT_EQ(sum_before, sum_after) << path;
    ++refused;
  });
  if (one_pass == 0) GTEST_SKIP() << "no fixtures or corpus";
  EXPECT_GT(refused, 0);
}

// The package report as lines: two reports are the same when these are.
std::vector<std::string> Lines(const PackageReport& r) {
  std::vector<std::string> out;
  for (const PackageSize& p : r.packages) {
    out.push_back(fmt::format("{} {} {} {} {}", p.package, p.module, ModuleKindName(p.kind),
                              p.code_bytes, p.functions));
  }
  for (const ModuleSize& m : r.modules) {
    out.push_back(
        fmt::format("module {} {} {} {}", m.module, m.code_bytes, m.functions, m.packages));
  }
  out.push_back(fmt::format("total {} {}", r.total_code_bytes, r.total_functions));
  return out;
}

// Tallies `obj`'s table in one pass; Finish()'s answer in *ok.
SizeTally Tally(const exe::ObjectFile& obj, bool* ok) {
  SizeTally tally(obj, nullptr);
  auto t = tally.Read(obj);
  *ok = t.ok() && tally.Finish();
  return tally;
}

// The one-pass tally (what `inspect --packages --size` runs) gives the stored way's size map and
// package report, node for node, on every real table; and it takes every 1.16+ table the
// linker wrote, so that the stored way is only the fallback.
TEST(SizeTallyCorpus, OnePassGivesWhatTheStoredTableGives) {
  int tallied = 0;
  ForEachCorpusObject([&](const std::string& path, const MappedFile&, const exe::ObjectFile& obj) {
    auto t = ReadFunctionTable(obj);
    if (!t.ok() || t->funcs.empty()) return;
    bool ok = false;
    SizeTally tally = Tally(obj, &ok);
    if (t->header.version != PclntabVersion::kGo12) {
      EXPECT_TRUE(ok) << path << ": a linker-written table went the stored way";
    }
    if (!ok) return;
    ++tallied;
    const PackageIndex ix = IndexPackages(*t, nullptr);
    EXPECT_EQ(tally.functions(), t->funcs.size()) << path;
    EXPECT_EQ(tally.index().package, ix.package) << path;
    EXPECT_EQ(Lines(tally.Packages()), Lines(SizeByPackage(*t, ix))) << path;
    std::vector<std::string> want, got;
    Flatten(BuildSizeMap(obj, &*t, ix), "", &want);
    Flatten(tally.SizeMap(), "", &got);
    EXPECT_EQ(got, want) << path;
  });
  if (tallied == 0) GTEST_SKIP() << "no Go fixtures or corpus";
}

// A table out of the linker's order is refused, so that the caller takes the stored way: the
// pcsp offsets of the second and the last function swapped, as above.
TEST(SizeTallyCorpus, RefusesPcTablesOutOfOrder) {
  int refused = 0;
  ForEachCorpusObject([&](const std::string& path, const MappedFile&, const exe::ObjectFile& obj) {
    auto t = ReadFunctionTable(obj);
    if (!t.ok() || t->header.version == PclntabVersion::kGo12 || t->funcs.size() < 3) return;
    std::vector<std::byte> copy;
    if (!SwapPcsp(*t, &copy)) return;
    SizeTally tally(obj, nullptr);
    ParseOptions opts;
    opts.file_offset = t->file_offset;
    opts.text_start = t->text_start;
    opts.text_sections = t->text_sections;
    opts.begin = &SizeTally::Begin;
    opts.visit = &SizeTally::Visit;
    opts.visit_ctx = &tally;
    auto moved = ParsePclntab(copy, opts);
    ASSERT_TRUE(moved.ok()) << path << ": " << moved.status().message();
    EXPECT_FALSE(tally.Finish()) << path;
    ++refused;
  });
  if (refused == 0) GTEST_SKIP() << "no Go 1.16+ fixtures or corpus";
}

}  // namespace
}  // namespace barekit::gobin
