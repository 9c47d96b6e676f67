#include "exe/macho.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "exe/pe_macho_testing.h"

namespace barekit::exe {
namespace {

using testing::GoReader;
using testing::Hex;
using testing::OpenAndRender;
using testing::PeMachoDir;
using testing::ReadWholeFile;
using testing::RunCapture;

std::string Fixture(const std::string& name) {
  const std::string& dir = PeMachoDir();
  if (dir.empty()) return "";
  return dir + "/" + name;
}

#define REQUIRE_FIXTURE(var, name)                                        \
  std::string var = Fixture(name);                                        \
  if (var.empty()) GTEST_SKIP() << "Go cannot build the Mach-O fixtures"; \
  do {                                                                    \
  } while (0)

void PutBe32(std::string& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<char>(v >> (8 * (3 - i)));
}
void PutBe64(std::string& b, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[off + i] = static_cast<char>(v >> (8 * (7 - i)));
}
void PutLe32(std::string& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetLe32(const std::string& b, size_t off) {
  return static_cast<uint32_t>(LoadUint(AsBytes(b).data() + off, 4, Endian::kLittle));
}

// A universal file made the way lipo lays it out: big-endian fat_header and fat_arch (or
// fat_arch_64) entries, each slice aligned to 2^14.
std::string MakeFat(const std::vector<std::string>& slices, bool fat64) {
  constexpr uint32_t kAlign = 14;
  std::string out(8 + slices.size() * (fat64 ? 32 : 20), '\0');
  PutBe32(out, 0, fat64 ? 0xcafebabf : 0xcafebabe);
  PutBe32(out, 4, static_cast<uint32_t>(slices.size()));
  for (size_t i = 0; i < slices.size(); ++i) {
    size_t offset = (out.size() + (1u << kAlign) - 1) & ~size_t{(1u << kAlign) - 1};
    out.resize(offset, '\0');
    size_t e = 8 + i * (fat64 ? 32 : 20);
    PutBe32(out, e, GetLe32(slices[i], 4));      // cputype, from the slice's own header
    PutBe32(out, e + 4, GetLe32(slices[i], 8));  // cpusubtype
    if (fat64) {
      PutBe64(out, e + 8, offset);
      PutBe64(out, e + 16, slices[i].size());
      PutBe32(out, e + 24, kAlign);
    } else {
      PutBe32(out, e + 8, static_cast<uint32_t>(offset));
      PutBe32(out, e + 12, static_cast<uint32_t>(slices[i].size()));
      PutBe32(out, e + 16, kAlign);
    }
    out += slices[i];
  }
  return out;
}

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  std::string path = PeMachoDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Everything goreader (Go's debug/macho) prints equals barekit's view: arch, every section's
// name/segment/address/size/offset, dylibs, symtab/dwarf/pie/nx, every defined symbol.
class MachOAgainstGo : public ::testing::TestWithParam<const char*> {};

TEST_P(MachOAgainstGo, SameFactsAsDebugMacho) {
  REQUIRE_FIXTURE(path, GetParam());
  std::string want = GoReader(path);
  ASSERT_NE(want, "");
  EXPECT_EQ(OpenAndRender(ReadWholeFile(path)), want);
}

INSTANTIATE_TEST_SUITE_P(GoBuilt, MachOAgainstGo,
                         ::testing::Values("darwin-amd64", "darwin-amd64-sw", "darwin-arm64",
                                           "darwin-arm64-sw"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           std::string n = p.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

TEST(MachO, GoDarwinArm64Facts) {
  REQUIRE_FIXTURE(path, "darwin-arm64");
  std::string bytes = ReadWholeFile(path);
  auto objs = OpenObject(AsBytes(bytes));
  ASSERT_TRUE(objs.ok()) << objs.status().message();
  ASSERT_EQ(objs->size(), 1u);
  const ObjectFile& obj = objs->front();
  EXPECT_EQ(obj.format, Format::kMachO);
  EXPECT_EQ(obj.os, "darwin");
  EXPECT_EQ(obj.arch, "arm64");
  EXPECT_EQ(obj.machine, "arm64");
  EXPECT_EQ(obj.ptr_size, 8);
  EXPECT_EQ(obj.slice_offset, 0u);
  EXPECT_TRUE(obj.is_executable);
  EXPECT_EQ(obj.linkage.kind, LinkKind::kDynamic);
  EXPECT_EQ(obj.linkage.needed, std::vector<std::string>{"/usr/lib/libSystem.B.dylib"});
  EXPECT_EQ(obj.linkage.interpreter, "/usr/lib/dyld");
  EXPECT_TRUE(obj.linkage.pie);
  EXPECT_TRUE(obj.linkage.nx_stack);
  EXPECT_TRUE(obj.has_symtab);
  EXPECT_TRUE(obj.has_dwarf);
  EXPECT_FALSE(obj.dwarf_sections.empty());

  // __PAGEZERO is a segment without file bytes: address 0 maps nowhere.
  ASSERT_FALSE(obj.segments.empty());
  EXPECT_EQ(obj.segments.front().name, "__PAGEZERO");
  EXPECT_FALSE(obj.AddrToOffset(0).has_value());
  const Section* text = obj.FindSection("__text");
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(text->segment, "__TEXT");
  EXPECT_TRUE(text->executable);
  EXPECT_GE(obj.entry, text->addr);
  EXPECT_LT(obj.entry, text->addr + text->size);
  const Section* bss = obj.FindSection("__bss");
  ASSERT_NE(bss, nullptr);
  EXPECT_EQ(bss->file_size, 0u);
  EXPECT_GT(bss->size, 0u);
  EXPECT_TRUE(bss->writable);
  const Section* bi = obj.FindSection("__go_buildinfo");
  ASSERT_NE(bi, nullptr);
  auto bi_bytes = obj.ReadAt(bi->addr, 14);
  ASSERT_TRUE(bi_bytes.has_value());
  EXPECT_EQ(AsStringView(*bi_bytes), "\xff Go buildinf:");

  auto syms = ReadSymbols(obj);
  ASSERT_TRUE(syms.ok()) << syms.status().message();
  bool found = false;
  for (const Symbol& s : *syms) {
    if (s.name == "_main.main") {  // raw Mach-O name: the C prefix '_' is kept
      found = true;
      EXPECT_TRUE(s.is_text);
      EXPECT_TRUE(s.is_function);
    }
  }
  EXPECT_TRUE(found);
}

TEST(MachO, GoDarwinAmd64UsesUnixThreadEntry) {
  REQUIRE_FIXTURE(path, "darwin-amd64-sw");
  std::string bytes = ReadWholeFile(path);
  auto objs = OpenObject(AsBytes(bytes));
  ASSERT_TRUE(objs.ok()) << objs.status().message();
  const ObjectFile& obj = objs->front();
  EXPECT_EQ(obj.arch, "amd64");
  EXPECT_FALSE(obj.has_dwarf);
  EXPECT_FALSE(obj.linkage.pie);  // Go 1.19 darwin/amd64 internal linking: not MH_PIE
  const Section* text = obj.FindSection("__text");
  ASSERT_NE(text, nullptr);
  EXPECT_GE(obj.entry, text->addr);
  EXPECT_LT(obj.entry, text->addr + text->size);
}

TEST(MachO, FileAgreesOnArch) {
  if (std::system("command -v file >/dev/null 2>&1") != 0) GTEST_SKIP() << "no file(1)";
  for (auto [name, said, arch] : {std::tuple{"darwin-amd64", "Mach-O 64-bit x86_64", "amd64"},
                                  std::tuple{"darwin-arm64", "Mach-O 64-bit arm64", "arm64"}}) {
    REQUIRE_FIXTURE(path, name);
    std::string out = RunCapture("file -b '" + path + "'");
    EXPECT_NE(out.find(said), std::string::npos) << out;
    std::string bytes = ReadWholeFile(path);
    auto objs = OpenObject(AsBytes(bytes));
    ASSERT_TRUE(objs.ok());
    EXPECT_EQ(objs->front().arch, arch);
  }
}

// A universal file of two Go slices: one ObjectFile each, with slice offsets and the slice's
// own bytes; Go's debug/macho (OpenFat) agrees on every fact of each slice.
TEST(MachO, FatFileYieldsEverySlice) {
  REQUIRE_FIXTURE(amd64, "darwin-amd64");
  REQUIRE_FIXTURE(arm64, "darwin-arm64-sw");
  std::string a = ReadWholeFile(amd64), b = ReadWholeFile(arm64);
  std::string fat = MakeFat({a, b}, false);
  auto objs = OpenObject(AsBytes(fat));
  ASSERT_TRUE(objs.ok()) << objs.status().message();
  ASSERT_EQ(objs->size(), 2u);
  EXPECT_EQ((*objs)[0].arch, "amd64");
  EXPECT_EQ((*objs)[1].arch, "arm64");
  EXPECT_EQ((*objs)[0].slice_offset, 1u << 14);
  EXPECT_EQ((*objs)[0].data.size(), a.size());
  EXPECT_EQ((*objs)[1].slice_offset % (1u << 14), 0u);
  EXPECT_EQ((*objs)[1].data.size(), b.size());
  EXPECT_EQ((*objs)[1].data.data(), AsBytes(fat).data() + (*objs)[1].slice_offset);

  std::string path = WriteTemp("fat-amd64-arm64", fat);
  EXPECT_EQ(OpenAndRender(fat), GoReader(path));
  std::string said = RunCapture("file -b '" + path + "'");
  EXPECT_NE(said.find("universal binary with 2 architectures"), std::string::npos) << said;

  // fat_arch_64 (0xcafebabf), which Go 1.19 cannot read: the same slices as the 32-bit form.
  std::string fat64 = MakeFat({a, b}, true);
  EXPECT_EQ(OpenAndRender(fat64), OpenAndRender(fat));
}

std::string Seed(const std::string& name) {
  return ReadWholeFile(std::string(BAREKIT_SOURCE_DIR) + "/fuzz/seeds/exe_macho_fuzz/" + name);
}

// The hand-made file of tests/testdata/pemacho/make_seeds.py: every linkage load command.
TEST(MachO, HandMadeLinkageCommands) {
  std::string bytes = Seed("macho_min_arm64");
  ASSERT_FALSE(bytes.empty());
  auto objs = OpenObject(AsBytes(bytes));
  ASSERT_TRUE(objs.ok()) << objs.status().message();
  const ObjectFile& obj = objs->front();
  EXPECT_EQ(obj.arch, "arm64");
  EXPECT_EQ(obj.linkage.interpreter, "/usr/lib/dyld");
  EXPECT_EQ(obj.linkage.needed,
            (std::vector<std::string>{"/usr/lib/libSystem.B.dylib",
                                      "/System/Library/Frameworks/Security.framework/Security"}));
  EXPECT_EQ(obj.linkage.rpath, std::vector<std::string>{"@loader_path/../lib"});
  EXPECT_EQ(obj.linkage.kind, LinkKind::kDynamic);
  EXPECT_EQ(obj.entry, 0x100000800u);  // LC_MAIN entryoff + __TEXT vmaddr
  EXPECT_EQ(obj.segments.size(), 3u);
  const Section* bss = obj.FindSection("__bss");
  ASSERT_NE(bss, nullptr);
  EXPECT_EQ(bss->file_size, 0u);
  auto syms = ReadSymbols(obj);
  ASSERT_TRUE(syms.ok()) << syms.status().message();
  ASSERT_EQ(syms->size(), 2u);  // the undefined import is not a defined symbol
  EXPECT_EQ((*syms)[0].name, "_main.main");
  EXPECT_TRUE((*syms)[0].is_text);

  auto fat = OpenObject(AsBytes(Seed("macho_fat_one")));
  ASSERT_TRUE(fat.ok()) << fat.status().message();
  ASSERT_EQ(fat->size(), 1u);
  EXPECT_EQ(fat->front().slice_offset, 0x100u);
  EXPECT_EQ(fat->front().linkage.rpath, obj.linkage.rpath);
  auto cut = OpenObject(AsBytes(Seed("macho_fat_two_cut")));
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().message(),
            "fat_arch 1 at 0x1c: slice 0xb00+0x980 runs past the end of the file (0x1000 bytes)");
}

// A 32-bit i386 file (Go no longer builds darwin/386): LC_SEGMENT, 12-byte nlist, the entry
// point from LC_UNIXTHREAD's eip. Go's debug/macho agrees on everything it prints.
TEST(MachO, HandMade32BitFile) {
  std::string path = std::string(BAREKIT_SOURCE_DIR) + "/fuzz/seeds/exe_macho_fuzz/macho_min_386";
  std::string bytes = ReadWholeFile(path);
  ASSERT_FALSE(bytes.empty());
  auto objs = OpenObject(AsBytes(bytes));
  ASSERT_TRUE(objs.ok()) << objs.status().message();
  const ObjectFile& obj = objs->front();
  EXPECT_EQ(obj.arch, "386");
  EXPECT_EQ(obj.ptr_size, 4);
  EXPECT_EQ(obj.entry, 0x1410u);
  EXPECT_FALSE(obj.linkage.pie);
  auto syms = ReadSymbols(obj);
  ASSERT_TRUE(syms.ok()) << syms.status().message();
  ASSERT_EQ(syms->size(), 2u);
  EXPECT_EQ((*syms)[1].name, "_start");
  EXPECT_EQ((*syms)[1].value, 0x1410u);
  if (!PeMachoDir().empty()) EXPECT_EQ(OpenAndRender(bytes), GoReader(path));
}

// Big-endian thin files: the same hand-made file with every header and command field swapped
// is read the same way (ppc64 cputype).
TEST(MachO, BigEndianThinFile) {
  std::string le = Seed("macho_min_arm64");
  ASSERT_FALSE(le.empty());
  std::string be = le;
  auto swap32 = [&](size_t off) {
    std::swap(be[off], be[off + 3]), std::swap(be[off + 1], be[off + 2]);
  };
  auto swap64 = [&](size_t off) {
    for (int i = 0; i < 4; ++i) std::swap(be[off + i], be[off + 7 - i]);
  };
  for (size_t off = 0; off < 32; off += 4) swap32(off);
  PutBe32(be, 4, 0x01000012);  // CPU_TYPE_POWERPC64
  size_t at = 32;
  for (uint32_t i = 0, n = GetLe32(le, 16); i < n; ++i) {
    uint32_t cmd = GetLe32(le, at), size = GetLe32(le, at + 4);
    swap32(at), swap32(at + 4);
    if (cmd == 0x19) {  // segment_command_64 + section_64s
      for (size_t f = 24; f < 56; f += 8) swap64(at + f);
      for (size_t f = 56; f < 72; f += 4) swap32(at + f);
      for (size_t sct = at + 72; sct < at + size; sct += 80) {
        swap64(sct + 32), swap64(sct + 40);
        for (size_t f = 48; f < 80; f += 4) swap32(sct + f);
      }
    } else if (cmd == 0x2) {
      for (size_t f = 8; f < 24; f += 4) swap32(at + f);
    } else if (cmd == 0x80000028) {
      swap64(at + 8), swap64(at + 16);
    } else {
      swap32(at + 8);  // lc_str offset (dylib versions are not read)
    }
    at += size;
  }
  for (size_t nl = 0x900; nl < 0x900 + 3 * 16; nl += 16) swap32(nl), swap64(nl + 8);
  auto objs = OpenObject(AsBytes(be));
  ASSERT_TRUE(objs.ok()) << objs.status().message();
  const ObjectFile& obj = objs->front();
  EXPECT_EQ(obj.endian, Endian::kBig);
  EXPECT_EQ(obj.arch, "ppc64");
  EXPECT_EQ(obj.linkage.rpath, std::vector<std::string>{"@loader_path/../lib"});
  EXPECT_EQ(obj.entry, 0x100000800u);
  auto syms = ReadSymbols(obj);
  ASSERT_TRUE(syms.ok()) << syms.status().message();
  ASSERT_EQ(syms->size(), 2u);
  EXPECT_EQ((*syms)[1].name, "_main.helper");
  EXPECT_EQ((*syms)[1].value, 0x100000820u);
  std::string path = WriteTemp("macho-be-ppc64", be);
  std::string said = RunCapture("file -b '" + path + "'");
  EXPECT_NE(said.find("Mach-O ppc64 executable"), std::string::npos) << said;
}

TEST(MachO, JavaClassIsNotMine) {
  // CAFEBABE, minor 0, major 52 (Java 8): nfat_arch would read as 52.
  std::string cls("\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x10", 10);
  cls.resize(256, '\0');
  auto r = OpenObject(AsBytes(cls));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotMine()) << r.status().message();
}

// The real Mach-O binaries of the corpus (esbuild, bazelisk): Go's reader agrees.
TEST(MachO, CorpusAgainstGo) {
  std::string root = testing::CorpusDir();
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) GTEST_SKIP() << "no corpus at " << root;
  if (PeMachoDir().empty()) GTEST_SKIP() << "no goreader";
  int seen = testing::CompareTreeWithGoReader(
      root, false, [](const std::string& path, const std::string& ours, const std::string& go) {
        EXPECT_EQ(ours, go) << path;
      });
  EXPECT_GT(seen, 0);
  RecordProperty("files", seen);
}

// make_fixtures.sh's Go builds, when $BAREKIT_FIXTURES names them.
TEST(MachO, FixturesAgainstGo) {
  const char* env = std::getenv("BAREKIT_FIXTURES");
  std::error_code ec;
  if (env == nullptr || !std::filesystem::is_directory(env, ec)) {
    GTEST_SKIP() << "BAREKIT_FIXTURES is not set";
  }
  if (PeMachoDir().empty()) GTEST_SKIP() << "no goreader";
  int seen = testing::CompareTreeWithGoReader(
      env, false, [](const std::string& path, const std::string& ours, const std::string& go) {
        EXPECT_EQ(ours, go) << path;
      });
  RecordProperty("files", seen);
}

// ---- bad input ---------------------------------------------------------------------------

TEST(MachO, TruncatedAnywhereIsCleanError) {
  REQUIRE_FIXTURE(path, "darwin-arm64");
  std::string bytes = ReadWholeFile(path);
  for (const std::string& file : {bytes, MakeFat({bytes, bytes}, false)}) {
    int errors = 0;
    for (size_t cut : testing::CutPoints(file.size(), 20000)) {
      auto objs = OpenObject(AsBytes(file).first(cut));
      if (!objs.ok()) {
        ++errors;
        EXPECT_FALSE(objs.status().message().empty());
        continue;
      }
      for (const ObjectFile& o : *objs) (void)ReadSymbols(o);
    }
    EXPECT_GT(errors, 4000);
  }
  auto half = OpenObject(AsBytes(bytes).first(bytes.size() / 2));
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.status().code(), ErrorCode::kCorrupt);
  EXPECT_NE(half.status().message().find("runs past the end of the file"), std::string::npos)
      << half.status().message();
}

TEST(MachO, FlippedBytesAreHandled) {
  REQUIRE_FIXTURE(path, "darwin-amd64");
  std::string bytes = ReadWholeFile(path);
  size_t span = 32 + GetLe32(bytes, 20);  // header + load commands
  uint64_t rng = 0x2545f4914f6cdd1du;
  for (int i = 0; i < 5000; ++i) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    size_t off = rng % span;
    char saved = bytes[off];
    bytes[off] = static_cast<char>(rng >> 40);
    auto objs = OpenObject(AsBytes(bytes));
    if (objs.ok()) {
      for (const ObjectFile& o : *objs) (void)ReadSymbols(o);
    }
    bytes[off] = saved;
  }
}

// Offsets of each load command of a little-endian 64-bit file.
std::vector<size_t> LoadCommandOffsets(const std::string& b) {
  std::vector<size_t> out;
  size_t at = 32;
  for (uint32_t i = 0, n = GetLe32(b, 16); i < n; ++i) {
    out.push_back(at);
    at += GetLe32(b, at + 4);
  }
  return out;
}

TEST(MachO, BrokenLoadCommandsNameTheirOffset) {
  REQUIRE_FIXTURE(path, "darwin-arm64-sw");
  const std::string orig = ReadWholeFile(path);
  std::vector<size_t> cmds = LoadCommandOffsets(orig);
  ASSERT_GT(cmds.size(), 7u);
  {
    std::string b = orig;
    PutLe32(b, cmds[7] + 4, 0);  // cmdsize 0 would loop forever in a naive reader
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(),
              "load command 7 at " + Hex(cmds[7]) + ": cmdsize 0 (a zero-size command)");
  }
  {
    std::string b = orig;
    PutLe32(b, cmds[2] + 4, 0x7ffffff0);
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("load command 2 at " + Hex(cmds[2]) +
                                        ": cmdsize 0x7ffffff0 runs past sizeofcmds"),
              std::string::npos)
        << r.status().message();
  }
  {
    std::string b = orig;
    PutLe32(b, 16, 0xffffffff);  // ncmds
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("4294967295 load commands cannot fit"), std::string::npos)
        << r.status().message();
  }
  {
    std::string b = orig;
    PutLe32(b, 20, 0xfffffff0);  // sizeofcmds
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
  }
  {
    std::string b = orig;
    PutLe32(b, cmds[1] + 64, 0x0fffffff);  // __TEXT nsects
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("sections do not fit in cmdsize"), std::string::npos)
        << r.status().message();
  }
  // LC_SYMTAB with a huge symbol count.
  for (size_t at : cmds) {
    if (GetLe32(orig, at) != 0x2) continue;
    std::string b = orig;
    PutLe32(b, at + 12, 0xffffffff);
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("LC_SYMTAB: 4294967295 symbols"), std::string::npos)
        << r.status().message();
  }
}

TEST(MachO, BrokenFatHeaders) {
  REQUIRE_FIXTURE(path, "darwin-arm64-sw");
  std::string thin = ReadWholeFile(path);
  std::string fat = MakeFat({thin}, false);
  {
    std::string b = fat;
    PutBe32(b, 8 + 12, 0x7fffffff);  // slice size
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("fat_arch 0 at 0x8: slice 0x4000+0x7fffffff runs past"),
              std::string::npos)
        << r.status().message();
  }
  {
    std::string b = fat;
    PutBe32(b, 4, 29);  // nfat_arch: entries run into the zero padding, then past the end
    auto r = OpenObject(AsBytes(b));
    EXPECT_FALSE(r.ok());
  }
  {
    std::string b = fat;
    PutBe32(b, 8 + 8, 0);  // slice offset 0: the fat header itself, not a thin file
    auto r = OpenObject(AsBytes(b));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("is not a thin Mach-O file"), std::string::npos);
  }
}

}  // namespace
}  // namespace barekit::exe
