#include "gobin/pclntab.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "exe/object_file.h"
#include "gobin/corpus_testing.h"
#include "gobin/moduledata.h"

namespace barekit::gobin {
namespace {

// Builds a synthetic table of any layout: a header, funcnametab, functab and _func records.
struct TableSpec {
  uint32_t magic = 0xfffffff1;
  Endian endian = Endian::kLittle;
  int ptr_size = 8;
  uint64_t text_start = 0x401000;
  std::vector<std::pair<uint64_t, std::string>> funcs;  // (entry offset or absolute, name)
  uint64_t end = 0;                                     // end sentinel
};

class Builder {
 public:
  explicit Builder(Endian e) : e_(e) {}
  void Put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      int shift = e_ == Endian::kLittle ? 8 * i : 8 * (n - 1 - i);
      out.push_back(static_cast<std::byte>((v >> shift) & 0xff));
    }
  }
  void PutAt(size_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      int shift = e_ == Endian::kLittle ? 8 * i : 8 * (n - 1 - i);
      out[at + i] = static_cast<std::byte>((v >> shift) & 0xff);
    }
  }
  std::vector<std::byte> out;

 private:
  Endian e_;
};

std::vector<std::byte> BuildTable(const TableSpec& s) {
  Builder b(s.endian);
  const int ps = s.ptr_size;
  const bool go12 = s.magic == 0xfffffffb;
  const bool rel = s.magic == 0xfffffff0 || s.magic == 0xfffffff1;
  const int fs = rel ? 4 : ps;
  const int entry_field = rel ? 4 : ps;
  b.Put(s.magic, 4);
  b.Put(0, 2);
  b.out.push_back(std::byte{1});
  b.out.push_back(static_cast<std::byte>(ps));
  const size_t n = s.funcs.size();
  if (go12) {
    b.Put(n, ps);
    size_t functab = b.out.size();
    b.out.resize(functab + (2 * n + 1) * fs + 4);
    // names, then records, all relative to the table start
    std::vector<uint64_t> name_offs;
    for (const auto& f : s.funcs) {
      name_offs.push_back(b.out.size());
      for (char c : f.second) b.out.push_back(static_cast<std::byte>(c));
      b.out.push_back(std::byte{0});
    }
    while (b.out.size() % ps) b.out.push_back(std::byte{0});
    for (size_t i = 0; i < n; ++i) {
      size_t rec = b.out.size();
      b.Put(s.funcs[i].first, entry_field);
      b.Put(name_offs[i], 4);
      b.Put(0, 4);
      b.PutAt(functab + 2 * i * fs, s.funcs[i].first, fs);
      b.PutAt(functab + (2 * i + 1) * fs, rec, fs);
    }
    b.PutAt(functab + 2 * n * fs, s.end, fs);
    return b.out;
  }
  const int words = rel ? 8 : 7;
  size_t hdr = b.out.size();
  b.out.resize(hdr + words * ps);
  size_t funcname = b.out.size();
  std::vector<uint64_t> name_offs;
  for (const auto& f : s.funcs) {
    name_offs.push_back(b.out.size() - funcname);
    for (char c : f.second) b.out.push_back(static_cast<std::byte>(c));
    b.out.push_back(std::byte{0});
  }
  while (b.out.size() % ps) b.out.push_back(std::byte{0});
  size_t functab = b.out.size();
  b.out.resize(functab + (2 * n + 1) * fs);
  for (size_t i = 0; i < n; ++i) {
    size_t rec = b.out.size();
    b.Put(s.funcs[i].first, entry_field);
    b.Put(name_offs[i], 4);
    b.Put(0, 4);
    b.PutAt(functab + 2 * i * fs, s.funcs[i].first, fs);
    b.PutAt(functab + (2 * i + 1) * fs, rec - functab, fs);
  }
  b.PutAt(functab + 2 * n * fs, s.end, fs);
  std::vector<uint64_t> h = {n, 1};
  if (rel) h.push_back(s.text_start);
  h.insert(h.end(), {funcname, functab, functab, functab, functab});
  for (size_t i = 0; i < h.size(); ++i) b.PutAt(hdr + i * ps, h[i], ps);
  return b.out;
}

TableSpec ThreeFuncs(uint32_t magic, Endian e, int ps) {
  TableSpec s;
  s.magic = magic;
  s.endian = e;
  s.ptr_size = ps;
  const bool rel = magic == 0xfffffff0 || magic == 0xfffffff1;
  uint64_t base = rel ? 0 : 0x401000;
  s.funcs = {{base + 0x0, "runtime.text"},
             {base + 0x40, "github.com/a/b.(*T).M"},
             {base + 0x100, "main.main"}};
  s.end = base + 0x180;
  return s;
}

void ExpectThreeFuncs(const FunctionTable& t) {
  ASSERT_EQ(t.funcs.size(), 3u);
  EXPECT_EQ(t.funcs[0].entry, 0x401000u);
  EXPECT_EQ(t.funcs[0].size, 0x40u);
  EXPECT_EQ(t.funcs[1].entry, 0x401040u);
  EXPECT_EQ(t.funcs[1].size, 0xc0u);
  EXPECT_EQ(t.funcs[1].name, "github.com/a/b.(*T).M");
  EXPECT_EQ(t.funcs[1].package(), "github.com/a/b");
  EXPECT_EQ(t.funcs[2].name, "main.main");
  EXPECT_EQ(t.funcs[2].size, 0x80u);
  EXPECT_EQ(t.end_pc, 0x401180u);
}

TEST(Pclntab, Go120LittleEndian64) {
  auto bytes = BuildTable(ThreeFuncs(0xfffffff1, Endian::kLittle, 8));
  auto t = ParsePclntab(bytes);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->header.version, PclntabVersion::kGo120);
  EXPECT_EQ(t->text_source, "pcHeader.textStart");
  ExpectThreeFuncs(*t);
}

// A stored table (no visitor) is parsed where its bytes are, even with a file at hand.
TEST(Pclntab, StoredTableIsReadInPlace) {
  auto bytes = BuildTable(ThreeFuncs(0xfffffff1, Endian::kLittle, 8));
  auto self = MappedFile::Open("/proc/self/exe");
  ASSERT_TRUE(self.ok()) << self.status().message();
  ParseOptions opts;
  opts.file = &*self;
  auto t = ParsePclntab(bytes, opts);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->data.data(), bytes.data());
  ExpectThreeFuncs(*t);
}

TEST(Pclntab, Go118BigEndian32) {
  auto bytes = BuildTable(ThreeFuncs(0xfffffff0, Endian::kBig, 4));
  auto t = ParsePclntab(bytes);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->header.endian, Endian::kBig);
  EXPECT_EQ(t->header.ptr_size, 4);
  ExpectThreeFuncs(*t);
}

TEST(Pclntab, Go126ZeroTextStartUsesCallerBase) {
  TableSpec s = ThreeFuncs(0xfffffff1, Endian::kLittle, 8);
  s.text_start = 0;
  auto bytes = BuildTable(s);
  ParseOptions o;
  o.text_start = 0x401000;
  o.text_source = "moduledata";
  auto t = ParsePclntab(bytes, o);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->header.header_text_start, 0u);
  EXPECT_EQ(t->text_source, "moduledata");
  ExpectThreeFuncs(*t);
}

TEST(Pclntab, MultipleTextSectionsMapThroughTextsectmap) {
  auto bytes = BuildTable(ThreeFuncs(0xfffffff1, Endian::kLittle, 8));
  ParseOptions o;
  o.text_start = 0x401000;
  // offsets [0,0x100) at 0x401000, [0x100,0x180] at 0x500000
  o.text_sections = {{0, 0x100, 0x401000}, {0x100, 0x180, 0x500000}};
  auto t = ParsePclntab(bytes, o);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->funcs[2].entry, 0x500000u);
  EXPECT_EQ(t->funcs[2].size, 0x80u);
  EXPECT_EQ(t->end_pc, 0x500080u);
}

TEST(Pclntab, Go116LittleEndian64AbsoluteEntries) {
  auto bytes = BuildTable(ThreeFuncs(0xfffffffa, Endian::kLittle, 8));
  auto t = ParsePclntab(bytes);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->header.version, PclntabVersion::kGo116);
  EXPECT_EQ(t->text_source, "absolute entries");
  ExpectThreeFuncs(*t);
}

TEST(Pclntab, Go12BigEndian32) {
  auto bytes = BuildTable(ThreeFuncs(0xfffffffb, Endian::kBig, 4));
  auto t = ParsePclntab(bytes);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->header.version, PclntabVersion::kGo12);
  ExpectThreeFuncs(*t);
}

TEST(Pclntab, TruncatedHeaderNamesOffset) {
  auto bytes = BuildTable(ThreeFuncs(0xfffffff1, Endian::kLittle, 8));
  ParseOptions o;
  o.label = "esbuild: .gopclntab";
  o.file_offset = 0x6f6e80;
  auto t = ParsePclntab(Bytes(bytes).first(40), o);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(t.status().message(),
            "esbuild: .gopclntab: pclntab at 0x6f6e80: header truncated (table offset 0x8)");
}

TEST(Pclntab, FunctionTablePastTheEnd) {
  auto bytes = BuildTable(ThreeFuncs(0xfffffff1, Endian::kLittle, 8));
  bytes.resize(bytes.size() - 30);  // cut into the records and the functab
  auto t = ParsePclntab(bytes);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("past the table end"), std::string::npos)
      << t.status().message();
}

TEST(Pclntab, HugeFunctionCountIsRejectedBeforeAllocating) {
  auto bytes = BuildTable(ThreeFuncs(0xfffffff1, Endian::kLittle, 8));
  Builder b(Endian::kLittle);
  b.out = bytes;
  b.PutAt(8, uint64_t{1} << 62, 8);
  auto t = ParsePclntab(b.out);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("function table of 4611686018427387904 functions runs past"),
            std::string::npos)
      << t.status().message();
}

TEST(Pclntab, EntriesOutOfOrder) {
  TableSpec s = ThreeFuncs(0xfffffff1, Endian::kLittle, 8);
  std::swap(s.funcs[1].first, s.funcs[2].first);
  auto t = ParsePclntab(BuildTable(s));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("out of order"), std::string::npos) << t.status().message();
}

TEST(Pclntab, RecordEntryDisagreesWithFunctab) {
  auto bytes = BuildTable(ThreeFuncs(0xfffffff1, Endian::kLittle, 8));
  auto h = ParsePclntabHeader(bytes);
  ASSERT_TRUE(h.ok());
  Builder b(Endian::kLittle);
  b.out = bytes;
  // functab[1].entry changes; the _func record still says 0x40.
  b.PutAt(h->functab_off + 8, 0x44, 4);
  auto t = ParsePclntab(b.out);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("differs from functab entry 0x44"), std::string::npos)
      << t.status().message();
}

TEST(Pclntab, BadMagicIsCorrupt) {
  std::vector<std::byte> junk(64, std::byte{0x41});
  auto t = ParsePclntab(junk);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("no valid pclntab magic"), std::string::npos);
}

TEST(PackageOfFunction, SplitsImportPathFromSymbol) {
  EXPECT_EQ(PackageOfFunction("main.main"), "main");
  EXPECT_EQ(PackageOfFunction("net/http.(*Server).Serve"), "net/http");
  EXPECT_EQ(PackageOfFunction("github.com/a/b.(*T).M.func1"), "github.com/a/b");
  EXPECT_EQ(PackageOfFunction("gopkg.in/yaml%2ev3.Unmarshal"), "gopkg.in/yaml%2ev3");
  EXPECT_EQ(PackageOfFunction("go.uber.org/zap.(*Logger).Info"), "go.uber.org/zap");
  EXPECT_EQ(PackageOfFunction("slices.Sort[go.shape.[]github.com/x/y.T]"), "slices");
  EXPECT_EQ(PackageOfFunction("github.com/a/b.F[...].func1"), "github.com/a/b");
  EXPECT_EQ(PackageOfFunction("go:buildid"), "");
  EXPECT_EQ(PackageOfFunction("type:.eq.main.T"), "");
  EXPECT_EQ(PackageOfFunction("go.buildid"), "");
  EXPECT_EQ(PackageOfFunction("type..eq.[2]interface {}"), "");
  EXPECT_EQ(PackageOfFunction("go.(*struct { a/b.T }).M"), "");
  EXPECT_EQ(PackageOfFunction("_rt0_amd64_linux"), "");
  EXPECT_EQ(UnescapePackage("gopkg.in/yaml%2ev3"), "gopkg.in/yaml.v3");
  EXPECT_EQ(UnescapePackage("a%2"), "a%2");
}

// The cache answers as PackageOfFunction does, also where the last package is only a prefix.
TEST(PackageCache, AgreesWithPackageOfFunctionOnRunsAndBreaks) {
  const char* names[] = {"a/b.F",
                         "a/b.G.func1",
                         "a/b.c/d.H",  // the same prefix, a deeper package
                         "a/b.c/d.(*T).M",
                         "a/b.c/d.K[go.shape.struct { x a/b.T }]",
                         "a/b.c/d",
                         "a/b.c/dd.F",
                         "type:.eq.a/b.c/dd.T",
                         "type..eq.[2]interface {}",
                         "go.uber.org/zap.F",
                         "go.uber.org/zap.(*Logger).Info",
                         "go.buildid",
                         "go.(*struct { a int }).M",
                         "main.main",
                         "main.main.func1",
                         "main",
                         "runtime.gcBgMarkWorker",
                         "gopkg.in/yaml%2ev3.Marshal",
                         "gopkg.in/yaml%2ev3.(*decoder).unmarshal"};
  PackageCache cache;
  std::string prev;
  int repeats = 0;
  for (const char* n : names) {
    const std::string got(cache.Of(n));
    EXPECT_EQ(got, PackageOfFunction(n)) << n;
    // repeated(): the answer before, known without comparing.
    if (cache.repeated()) {
      EXPECT_EQ(got, prev) << n;
      ++repeats;
    }
    prev = got;
  }
  EXPECT_GE(repeats, 4);  // a/b.G.func1, a/b.c/d.(*T).M, zap.(*Logger).Info, main.main.func1
  EXPECT_FALSE(cache.Of("a/b.c/d.H").empty() || cache.repeated());
  EXPECT_TRUE(!cache.Of("a/b.c/d.I").empty() && cache.repeated());
}

// --- real binaries --------------------------------------------------------------------------

std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && it->file_size(ec) > 500000) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Calls fn(path, file, objects) for every file FilesUnder(dir) lists that opens as an object.
template <typename Fn>
void ForEachObjectFile(const std::string& dir, Fn fn) {
  for (const std::string& path : FilesUnder(dir)) {
    auto file = MappedFile::Open(path);
    ASSERT_TRUE(file.ok()) << path << ": " << file.status().message();
    auto objs = exe::OpenObject(file->bytes());
    if (objs.ok()) fn(path, *file, *objs);
  }
}

// A symbol-table name against a pclntab name: the symbol table keeps ABI suffixes (".abi0"),
// Mach-O's leading '_', and full type arguments where pclntab writes "[...]".
bool SameFunction(std::string_view pc, std::string_view sym, bool macho) {
  if (macho && sym.starts_with('_')) sym.remove_prefix(1);
  if (sym.ends_with(".abi0")) sym.remove_suffix(5);
  size_t i = 0, j = 0;
  while (i < pc.size() && j < sym.size()) {
    if (pc.substr(i).starts_with("[...]") && sym[j] == '[') {
      int depth = 0;
      for (; j < sym.size(); ++j) {
        if (sym[j] == '[') ++depth;
        if (sym[j] == ']' && --depth == 0) break;
      }
      if (j == sym.size()) return false;
      i += 5;
      ++j;
      continue;
    }
    if (pc.substr(i).starts_with("\xc2\xb7") && sym[j] == '.') {
      i += 2;
      ++j;
      continue;
    }
    if (pc[i++] != sym[j++]) return false;
  }
  return i == pc.size() && j == sym.size();
}

// Unstripped fixtures: every pclntab function is a text symbol at the same address, and every
// function symbol inside the table's text range is a pclntab function.
TEST(PclntabFixtures, FunctionsMatchSymbolTable) {
  std::string dir = FixturesDir();
  int checked = 0;
  for (const std::string& path : FilesUnder(dir)) {
    if (path.find("stripped") != std::string::npos) continue;
    auto file = MappedFile::Open(path);
    ASSERT_TRUE(file.ok());
    auto objs = exe::OpenObject(file->bytes());
    if (!objs.ok() || !objs->front().has_symtab) continue;
    const exe::ObjectFile& obj = objs->front();
    auto syms = exe::ReadSymbols(obj);
    if (!syms.ok()) continue;
    auto t = ReadFunctionTable(obj);
    if (!t.ok() && t.status().IsNotFound()) continue;  // C fixtures
    ASSERT_TRUE(t.ok()) << path << ": " << t.status().message();
    std::map<uint64_t, std::vector<std::string_view>> by_addr;
    for (const exe::Symbol& s : *syms) {
      if (s.is_text) by_addr[s.value].push_back(s.name);
    }
    std::map<uint64_t, std::string_view> funcs;
    for (const Function& f : t->funcs) {
      funcs[f.entry] = f.name;
      auto it = by_addr.find(f.entry);
      ASSERT_NE(it, by_addr.end())
          << path << ": no symbol at " << std::hex << f.entry << " " << f.name;
      const bool macho = obj.format == exe::Format::kMachO;
      EXPECT_TRUE(std::any_of(it->second.begin(), it->second.end(),
                              [&](std::string_view n) { return SameFunction(f.name, n, macho); }))
          << path << ": " << f.name << " vs " << it->second.front();
    }
    for (const exe::Symbol& s : *syms) {
      if (!s.is_function || s.value < t->funcs.front().entry || s.value >= t->end_pc) continue;
      EXPECT_TRUE(funcs.count(s.value)) << path << ": symbol " << s.name << " not in pclntab";
    }
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no unstripped fixtures under " << dir;
}

// Go 1.20+ corpus binaries (no Go oracle here): header count, sorted entries inside the text
// range, printable names, sizes adding up to the text covered.
TEST(PclntabCorpus, InvariantsHoldOnEveryBinary) {
  std::string dir = CorpusDir();
  int checked = 0;
  ForEachObjectFile(dir, [&](const std::string& path, const MappedFile&,
                             const std::vector<exe::ObjectFile>& objs) {
    for (const exe::ObjectFile& obj : objs) {
      auto t = ReadFunctionTable(obj);
      if (!t.ok() && t.status().IsNotFound()) continue;
      ASSERT_TRUE(t.ok()) << path << ": " << t.status().message();
      ASSERT_EQ(t->funcs.size(), t->header.nfunc) << path;
      ASSERT_FALSE(t->funcs.empty()) << path;
      uint64_t sum = 0;
      uint64_t prev = 0;
      for (const Function& f : t->funcs) {
        ASSERT_GE(f.entry, prev) << path << " " << f.name;
        ASSERT_GE(f.entry, t->text_start) << path << " " << f.name;
        ASSERT_LE(f.entry + f.size, t->end_pc) << path << " " << f.name;
        ASSERT_FALSE(f.name.empty()) << path;
        for (char c : f.name) ASSERT_TRUE(static_cast<unsigned char>(c) >= 0x20) << path;
        sum += f.size;
        prev = f.entry;
      }
      EXPECT_EQ(sum, t->end_pc - t->funcs.front().entry) << path;
      // The text covered lies inside an executable section.
      bool inside = false;
      for (const exe::Section& s : obj.sections) {
        if (s.executable && t->funcs.front().entry >= s.addr && t->end_pc <= s.addr + s.size) {
          inside = true;
        }
      }
      EXPECT_TRUE(inside || !t->text_sections.empty()) << path;
      ++checked;
    }
  });
  if (checked == 0) GTEST_SKIP() << "no corpus under " << dir;
}

}  // namespace
}  // namespace barekit::gobin

namespace barekit::gobin {
namespace {

// The tiny ELF files of the fuzz seeds (fuzz/seeds/gobin_pclntab_fuzz/make_seeds.py): one per
// way of finding the table and its text base.
struct SeedCase {
  const char* file;
  TableSource source;
  const char* text_source_prefix;
};

TEST(PclntabSeeds, FindsTableAndTextBaseEveryWay) {
  const SeedCase cases[] = {
      {"elf_go120.elf", TableSource::kSection, "moduledata (.noptrdata"},
      {"elf_go126.elf", TableSource::kSection, "moduledata (.go.module"},
      {"elf_stomped.elf", TableSource::kModuleData, "moduledata (.noptrdata"},
  };
  for (const SeedCase& c : cases) {
    std::string path = std::string(BAREKIT_SOURCE_DIR) + "/fuzz/seeds/gobin_pclntab_fuzz/" + c.file;
    auto file = MappedFile::Open(path);
    ASSERT_TRUE(file.ok()) << path;
    auto objs = exe::OpenObject(file->bytes());
    ASSERT_TRUE(objs.ok()) << path << ": " << objs.status().message();
    auto t = ReadFunctionTable(objs->front());
    ASSERT_TRUE(t.ok()) << path << ": " << t.status().message();
    EXPECT_EQ(t->source, c.source) << path;
    EXPECT_TRUE(t->text_source.starts_with(c.text_source_prefix)) << path << ": " << t->text_source;
    ASSERT_EQ(t->funcs.size(), 4u);
    EXPECT_EQ(t->funcs[2].entry, 0x401100u);
    EXPECT_EQ(t->funcs[2].name, "main.main");
  }
}

// The one-pass visitor form sees exactly what the stored form holds, in order, with the table's
// facts handed to `begin` first, and stores nothing itself: reading the mapping, and reading
// through pread windows (ReadOptions::file), on every fixture and corpus binary and every slice.
// ReadOptions::stop ends a one-pass listing successfully at the function that set it.
TEST(PclntabFixtures, AVisitorCanStopTheListing) {
  int checked = 0;
  ForEachObjectFile(FixturesDir(), [&](const std::string& path, const MappedFile& file,
                                       const std::vector<exe::ObjectFile>& objs) {
    for (const exe::ObjectFile& obj : objs) {
      auto all = ReadFunctionTable(obj);
      if (!all.ok() || all->funcs.size() < 20) continue;
      struct Count {
        size_t seen = 0;
        bool stop = false;
      } count;
      ReadOptions ro;
      ro.file = &file;
      ro.visit_ctx = &count;
      ro.stop = &count.stop;
      ro.visit = [](void* ctx, const Function&) {
        auto* c = static_cast<Count*>(ctx);
        c->stop = ++c->seen == 10;
      };
      auto t = ReadFunctionTable(obj, ro);
      ASSERT_TRUE(t.ok()) << path << ": " << t.status().message();
      EXPECT_EQ(count.seen, 10u) << path;
      ++checked;
    }
  });
  EXPECT_GT(checked, 0);
}

TEST(PclntabFixtures, VisitorSeesEveryFunctionOnce) {
  struct Seen {
    int begins = 0;
    uint64_t nfunc = 0;
    std::string source_detail;
    std::vector<Function> funcs;  // names copied into `names`: a windowed name lives one call
    std::vector<std::string> names;
    PackageCache packages;
    int package_misses = 0;
  };
  int checked = 0, windowed = 0;
  for (const std::string& dir : {FixturesDir(), CorpusDir()}) {
    ForEachObjectFile(dir, [&](const std::string& path, const MappedFile& file,
                               const std::vector<exe::ObjectFile>& objs) {
      for (const exe::ObjectFile& obj : objs) {
        auto stored = ReadFunctionTable(obj);
        if (!stored.ok()) continue;
        const MappedFile* mapped = &file;
        for (const MappedFile* through : {static_cast<const MappedFile*>(nullptr), mapped}) {
          const std::string what = path + (through ? " (windows)" : " (mapping)");
          Seen seen;
          ReadOptions ro;
          ro.file = through;
          ro.visit_ctx = &seen;
          ro.begin = [](void* ctx, const FunctionTable& t) {
            auto* s = static_cast<Seen*>(ctx);
            s->begins += 1;
            s->nfunc = t.header.nfunc;
            s->source_detail = t.source_detail;
          };
          ro.visit = [](void* ctx, const Function& f) {
            auto* s = static_cast<Seen*>(ctx);
            s->funcs.push_back(f);
            s->names.emplace_back(f.name);
            // Names in table order, as the listing asks for their packages.
            if (s->packages.Of(f.name) != PackageOfFunction(f.name)) s->package_misses += 1;
          };
          auto visited = ReadFunctionTable(obj, ro);
          ASSERT_TRUE(visited.ok()) << what << ": " << visited.status().message();
          EXPECT_TRUE(visited->funcs.empty()) << what;
          EXPECT_EQ(seen.begins, 1) << what;
          EXPECT_EQ(seen.package_misses, 0) << what;
          EXPECT_EQ(seen.nfunc, stored->funcs.size()) << what;
          EXPECT_EQ(seen.source_detail, stored->source_detail) << what;
          EXPECT_EQ(visited->source, stored->source) << what;
          EXPECT_EQ(visited->addr, stored->addr) << what;
          EXPECT_EQ(visited->file_offset, stored->file_offset) << what;
          ASSERT_EQ(seen.funcs.size(), stored->funcs.size()) << what;
          for (size_t i = 0; i < seen.funcs.size(); ++i) {
            ASSERT_EQ(seen.funcs[i].entry, stored->funcs[i].entry) << what << " #" << i;
            ASSERT_EQ(seen.funcs[i].size, stored->funcs[i].size) << what << " #" << i;
            ASSERT_EQ(seen.names[i], stored->funcs[i].name) << what << " #" << i;
          }
          windowed += through != nullptr;
        }
        ++checked;
      }
    });
  }
  if (checked == 0) GTEST_SKIP() << "no Go fixtures or corpus";
  EXPECT_EQ(windowed, checked);
}

}  // namespace
}  // namespace barekit::gobin
