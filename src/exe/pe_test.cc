#include "exe/pe.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "exe/pe_macho_testing.h"

namespace barekit::exe {
namespace {

using testing::GoReader;
using testing::OpenAndRender;
using testing::PeMachoDir;
using testing::ReadWholeFile;
using testing::RunCapture;

std::string Fixture(const std::string& name) {
  const std::string& dir = PeMachoDir();
  if (dir.empty()) return "";
  return dir + "/" + name;
}

#define REQUIRE_FIXTURE(var, name)                                    \
  std::string var = Fixture(name);                                    \
  if (var.empty()) GTEST_SKIP() << "Go cannot build the PE fixtures"; \
  do {                                                                \
  } while (0)

void PutU16(std::string& b, size_t off, uint16_t v) {
  b[off] = static_cast<char>(v);
  b[off + 1] = static_cast<char>(v >> 8);
}
void PutU32(std::string& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetU32(const std::string& b, size_t off) {
  return static_cast<uint32_t>(LoadUint(AsBytes(b).data() + off, 4, Endian::kLittle));
}

ObjectFile OpenOne(const std::string& bytes) {
  auto objs = OpenObject(AsBytes(bytes));
  EXPECT_TRUE(objs.ok()) << objs.status().message();
  if (!objs.ok() || objs->size() != 1) return {};
  return std::move(objs->front());
}

// Everything goreader (Go's debug/pe) prints equals barekit's view: arch, image base, every
// section's name/address/size/offset, imported DLLs, symtab/dwarf/pie/nx, every symbol.
class PeAgainstGo : public ::testing::TestWithParam<const char*> {};

TEST_P(PeAgainstGo, SameFactsAsDebugPe) {
  REQUIRE_FIXTURE(path, GetParam());
  std::string want = GoReader(path);
  ASSERT_NE(want, "");
  EXPECT_EQ(OpenAndRender(ReadWholeFile(path)), want);
}

INSTANTIATE_TEST_SUITE_P(GoBuilt, PeAgainstGo,
                         ::testing::Values("windows-amd64", "windows-amd64-sw", "windows-386",
                                           "windows-386-sw", "windows-arm64", "windows-arm64-sw"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           std::string n = p.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

TEST(Pe, GoWindowsAmd64Facts) {
  REQUIRE_FIXTURE(path, "windows-amd64");
  std::string bytes = ReadWholeFile(path);
  ObjectFile obj = OpenOne(bytes);
  EXPECT_EQ(obj.format, Format::kPe);
  EXPECT_EQ(obj.os, "windows");
  EXPECT_EQ(obj.arch, "amd64");
  EXPECT_EQ(obj.ptr_size, 8);
  EXPECT_EQ(obj.image_base, 0x400000u);
  EXPECT_TRUE(obj.is_executable);
  EXPECT_EQ(obj.linkage.kind, LinkKind::kDynamic);
  EXPECT_EQ(obj.linkage.needed, std::vector<std::string>{"kernel32.dll"});
  EXPECT_TRUE(obj.has_symtab);
  EXPECT_TRUE(obj.has_dwarf);
  EXPECT_EQ(obj.packer, "");
  // Go names its DWARF sections through the string table ("/4" -> ".zdebug_abbrev").
  const Section* abbrev = obj.FindSection(".zdebug_abbrev");
  ASSERT_NE(abbrev, nullptr);
  EXPECT_TRUE(abbrev->compressed);
  EXPECT_FALSE(abbrev->alloc);
  const Section* text = obj.FindSection(".text");
  ASSERT_NE(text, nullptr);
  EXPECT_TRUE(text->executable);
  EXPECT_FALSE(text->writable);
  const Section* data = obj.FindSection(".data");
  ASSERT_NE(data, nullptr);
  EXPECT_TRUE(data->writable);
  EXPECT_FALSE(data->executable);
  // The entry point lies in .text, and addresses map back to file bytes.
  EXPECT_GE(obj.entry, text->addr);
  EXPECT_LT(obj.entry, text->addr + text->size);
  auto at = obj.AddrToOffset(data->addr + 16);
  ASSERT_TRUE(at.has_value());
  EXPECT_EQ(*at, data->offset + 16);

  auto syms = ReadSymbols(obj);
  ASSERT_TRUE(syms.ok()) << syms.status().message();
  bool found_main = false;
  for (const Symbol& s : *syms) {
    if (s.name == "main.main") {
      found_main = true;
      EXPECT_TRUE(s.is_text);
      EXPECT_GE(s.value, text->addr);
    }
  }
  EXPECT_TRUE(found_main);
}

TEST(Pe, StrippedHasNoSymbolsNorDwarf) {
  REQUIRE_FIXTURE(path, "windows-386-sw");
  std::string bytes = ReadWholeFile(path);
  ObjectFile obj = OpenOne(bytes);
  EXPECT_EQ(obj.arch, "386");
  EXPECT_EQ(obj.ptr_size, 4);
  EXPECT_FALSE(obj.has_symtab);
  EXPECT_FALSE(obj.has_dwarf);
  auto syms = ReadSymbols(obj);
  ASSERT_TRUE(syms.ok());
  EXPECT_TRUE(syms->empty());
}

// binutils' objdump reads pei-i386 and pei-x86-64: same DLLs, same DllCharacteristics, same
// section names. (objdump 2.40 misplaces the import table of Go binaries that carry .zdebug_*
// sections, so the stripped builds are the ones compared.)
void CheckAgainstObjdump(const std::string& path) {
  std::string dump = RunCapture("objdump -p '" + path + "'");
  std::string bytes = ReadWholeFile(path);  // the ObjectFile's views point into it
  ObjectFile obj = OpenOne(bytes);
  ASSERT_FALSE(obj.linkage.needed.empty()) << path;
  std::vector<std::string> dlls;
  for (size_t at = dump.find("DLL Name: "); at != std::string::npos;
       at = dump.find("DLL Name: ", at + 1)) {
    size_t start = at + 10;
    dlls.push_back(dump.substr(start, dump.find('\n', start) - start));
  }
  EXPECT_EQ(obj.linkage.needed, dlls) << path;
  EXPECT_EQ(dump.find("\t\t\t\t\tDYNAMIC_BASE\n") != std::string::npos, obj.linkage.pie) << path;
  EXPECT_EQ(dump.find("\t\t\t\t\tNX_COMPAT\n") != std::string::npos, obj.linkage.nx_stack) << path;
  std::string headers = RunCapture("objdump -h '" + path + "'");
  for (const Section& s : obj.sections) {
    EXPECT_NE(headers.find(" " + std::string(s.name) + " "), std::string::npos)
        << path << " " << s.name;
  }
}

TEST(Pe, ObjdumpAgrees) {
  if (std::system("command -v objdump >/dev/null 2>&1") != 0) GTEST_SKIP() << "no objdump";
  for (const char* name : {"windows-amd64-sw", "windows-386-sw"}) {
    REQUIRE_FIXTURE(path, name);
    CheckAgainstObjdump(path);
  }
}

TEST(Pe, FileAgreesOnArch) {
  if (std::system("command -v file >/dev/null 2>&1") != 0) GTEST_SKIP() << "no file(1)";
  struct Case {
    const char* name;
    const char* file_says;
    const char* arch;
  } cases[] = {{"windows-amd64", "PE32+ executable", "amd64"},
               {"windows-386", "PE32 executable", "386"},
               {"windows-arm64", "Aarch64", "arm64"}};
  for (const Case& c : cases) {
    REQUIRE_FIXTURE(path, c.name);
    std::string said = RunCapture("file -b '" + path + "'");
    EXPECT_NE(said.find(c.file_says), std::string::npos) << said;
    std::string bytes = ReadWholeFile(path);
    EXPECT_EQ(OpenOne(bytes).arch, c.arch);
  }
}

// The real Windows binaries of the corpus (esbuild, bazelisk): Go's reader agrees.
TEST(Pe, CorpusAgainstGo) {
  std::string root = testing::CorpusDir();
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) GTEST_SKIP() << "no corpus at " << root;
  if (PeMachoDir().empty()) GTEST_SKIP() << "no goreader";
  int seen = testing::CompareTreeWithGoReader(
      root, true, [](const std::string& path, const std::string& ours, const std::string& go) {
        EXPECT_EQ(ours, go) << path;
      });
  EXPECT_GT(seen, 0);
  RecordProperty("files", seen);
  // objdump as a second oracle on the corpus' x86-64 files it reads (no .zdebug_* sections).
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::string path = it->path().string();
    if (!it->is_regular_file(ec) || path.size() < 4 || path.substr(path.size() - 4) != ".exe") {
      continue;
    }
    std::string bytes = ReadWholeFile(path);
    auto objs = OpenObject(AsBytes(bytes));
    if (objs.ok() && objs->front().arch == "amd64" && !objs->front().has_dwarf) {
      CheckAgainstObjdump(path);
    }
  }
}

// make_fixtures.sh's Go builds, when $BAREKIT_FIXTURES names them.
TEST(Pe, FixturesAgainstGo) {
  const char* env = std::getenv("BAREKIT_FIXTURES");
  std::error_code ec;
  if (env == nullptr || !std::filesystem::is_directory(env, ec)) {
    GTEST_SKIP() << "BAREKIT_FIXTURES is not set";
  }
  if (PeMachoDir().empty()) GTEST_SKIP() << "no goreader";
  int seen = testing::CompareTreeWithGoReader(
      env, true, [](const std::string& path, const std::string& ours, const std::string& go) {
        EXPECT_EQ(ours, go) << path;
      });
  RecordProperty("files", seen);
}

// ---- bad input ---------------------------------------------------------------------------

// Cutting a real binary anywhere gives a clean Status (or, past the headers, a valid object),
// never a crash; the sanitizer build runs this too.
TEST(Pe, TruncatedAnywhereIsCleanError) {
  REQUIRE_FIXTURE(path, "windows-amd64");
  std::string bytes = ReadWholeFile(path);
  int errors = 0;
  for (size_t cut : testing::CutPoints(bytes.size())) {
    auto objs = OpenObject(AsBytes(bytes).first(cut));
    if (!objs.ok()) {
      ++errors;
      EXPECT_FALSE(objs.status().message().empty());
      continue;
    }
    for (const ObjectFile& o : *objs) (void)ReadSymbols(o);
  }
  EXPECT_GT(errors, 4000);
  // A file cut in its section data names the section and the offsets.
  auto cut = OpenObject(AsBytes(bytes).first(bytes.size() / 2));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), ErrorCode::kCorrupt);
  EXPECT_NE(cut.status().message().find("runs past the end of the file"), std::string::npos)
      << cut.status().message();
}

TEST(Pe, FlippedBytesAreHandled) {
  REQUIRE_FIXTURE(path, "windows-386");
  std::string bytes = ReadWholeFile(path);
  uint32_t lfanew = GetU32(bytes, 0x3c);
  // The headers plus the import directory's section are where the reader looks.
  size_t span = std::min<size_t>(bytes.size(), lfanew + 0x400);
  uint64_t rng = 0x9e3779b97f4a7c15u;
  for (int i = 0; i < 5000; ++i) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    size_t off = rng % span;
    char saved = bytes[off];
    bytes[off] = static_cast<char>(rng >> 32);
    auto objs = OpenObject(AsBytes(bytes));
    if (objs.ok()) {
      for (const ObjectFile& o : *objs) (void)ReadSymbols(o);
    }
    bytes[off] = saved;
  }
}

TEST(Pe, HugeCountsAreCorrupt) {
  REQUIRE_FIXTURE(path, "windows-amd64");
  const std::string orig = ReadWholeFile(path);
  uint32_t lfanew = GetU32(orig, 0x3c);
  size_t coff = lfanew + 4;
  {
    std::string b = orig;
    PutU16(b, coff + 2, 0xffff);  // NumberOfSections
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("section table at 0x"), std::string::npos)
        << r.status().message();
  }
  {
    std::string b = orig;
    PutU32(b, coff + 12, 0xffffffff);  // NumberOfSymbols
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("COFF symbol table at 0x"), std::string::npos)
        << r.status().message();
  }
  {
    std::string b = orig;
    PutU32(b, coff + 8, 0xfffffff0);  // PointerToSymbolTable
    auto r = OpenObject(AsBytes(b));
    EXPECT_FALSE(r.ok());
  }
  {
    std::string b = orig;
    PutU32(b, 0x3c, 0x7ffffff0);  // e_lfanew past the end
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(),
              "PE header at e_lfanew 0x7ffffff0 runs past the end of the file (" +
                  testing::Hex(b.size()) + " bytes)");
  }
  {
    std::string b = orig;
    PutU16(b, coff + 16, 0xfff0);  // SizeOfOptionalHeader
    auto r = OpenObject(AsBytes(b));
    EXPECT_FALSE(r.ok());
  }
}

// The hand-made PE32+ of tests/testdata/pemacho/make_seeds.py: a long section name, an aux
// symbol record to skip, a symbol named through the string table.
TEST(Pe, HandMadeMinimalFile) {
  std::string bytes =
      ReadWholeFile(std::string(BAREKIT_SOURCE_DIR) + "/fuzz/seeds/exe_pe_fuzz/pe_min_amd64");
  ASSERT_FALSE(bytes.empty());
  ObjectFile obj = OpenOne(bytes);
  EXPECT_EQ(obj.image_base, 0x140000000u);
  EXPECT_EQ(obj.entry, 0x140001000u);
  EXPECT_EQ(obj.linkage.needed, std::vector<std::string>{"kernel32.dll"});
  ASSERT_EQ(obj.sections.size(), 3u);
  EXPECT_EQ(obj.sections[2].name, ".debug_info");
  EXPECT_FALSE(obj.sections[2].alloc);
  EXPECT_EQ(obj.dwarf_sections, std::vector<std::string_view>{".debug_info"});
  auto syms = ReadSymbols(obj);
  ASSERT_TRUE(syms.ok()) << syms.status().message();
  ASSERT_EQ(syms->size(), 2u);
  EXPECT_EQ((*syms)[0].name, "main.f");
  EXPECT_EQ((*syms)[0].value, 0x140001010u);
  EXPECT_TRUE((*syms)[0].is_function);
  EXPECT_EQ((*syms)[1].name, "main.longsymbolname");
  EXPECT_EQ((*syms)[1].value, 0x140001020u);
  if (!PeMachoDir().empty()) {  // Go's debug/pe reads the hand-made file the same way
    std::string go =
        GoReader(std::string(BAREKIT_SOURCE_DIR) + "/fuzz/seeds/exe_pe_fuzz/pe_min_amd64");
    EXPECT_NE(go.find("sec .debug_info - 0x140003000 0x10 0x300\n"), std::string::npos) << go;
    EXPECT_NE(go.find("sym main.longsymbolname 0x140001020\n"), std::string::npos) << go;
  }

  // A long name pointing outside the string table names the section header's offset.
  std::string b = bytes;
  size_t shdr2 = 0x40 + 24 + 240 + 80;
  b.replace(shdr2, 8, std::string("/9999\0\0\0", 8));
  auto r = OpenObject(AsBytes(b));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "section 2 at " + testing::Hex(shdr2) +
                ": name /9999 is outside the string table (0x24 bytes at 0x356)");
  // A symbol whose string-table offset is out of range.
  b = bytes;
  PutU32(b, 0x320 + 18 + 4, 0x7fff);
  obj = OpenOne(b);
  auto bad = ReadSymbols(obj);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "COFF symbol 1 at 0x332: name offset 0x7fff is outside the string table (0x24 bytes)");
}

TEST(Pe, DosProgramIsNotMine) {
  std::string dos(0x80, '\0');
  dos[0] = 'M';
  dos[1] = 'Z';
  PutU32(dos, 0x3c, 0x40);
  auto r = TryOpenPe(AsBytes(dos));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotMine()) << r.status().message();
  auto tiny = TryOpenPe(AsBytes(std::string("MZ")));
  EXPECT_EQ(tiny.status().code(), ErrorCode::kCorrupt);
}

TEST(Pe, UpxSectionNamesMarkPacked) {
  REQUIRE_FIXTURE(path, "windows-amd64-sw");
  std::string b = ReadWholeFile(path);
  uint32_t lfanew = GetU32(b, 0x3c);
  size_t opt_size =
      static_cast<uint8_t>(b[lfanew + 20]) | (static_cast<uint8_t>(b[lfanew + 21]) << 8);
  size_t shdrs = lfanew + 24 + opt_size;
  b.replace(shdrs, 8, std::string("UPX0\0\0\0\0", 8));
  b.replace(shdrs + 40, 8, std::string("UPX1\0\0\0\0", 8));
  ObjectFile obj = OpenOne(b);
  EXPECT_EQ(obj.packer, "upx");
}

}  // namespace
}  // namespace barekit::exe
