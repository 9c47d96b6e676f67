// The ELF reader against real binaries, checked fact by fact against readelf and file.
// Binaries come from the system (/bin/ls), from compilers run here in a temp dir (gcc, musl-gcc,
// aarch64/riscv64 cross gcc), from tests/fixtures/make_fixtures.sh ($BAREKIT_FIXTURES: Go for
// every GOOS/GOARCH the issue names) and from the corpus ($BAREKIT_CORPUS).
#include "exe/elf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/mapped_file.h"
#include "exe/elf_test_util.h"
#include "exe/object_file.h"

namespace barekit::exe {
namespace {

using testing_util::HaveTool;
using testing_util::ReadelfFacts;
using testing_util::ReadelfOracle;
using testing_util::Shell;
using testing_util::TempDir;
namespace fs = std::filesystem;

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string FixturesDir() {
  return Env("BAREKIT_FIXTURES", std::string(BAREKIT_SOURCE_DIR) + "/build/fixtures");
}
std::string CorpusDir() {
  return Env("BAREKIT_CORPUS", Env("HOME", "/root") + "/.cache/barekit-corpus");
}

// A mapped file and the ObjectFile read from it (the ObjectFile views into the mapping).
struct Opened {
  MappedFile file;
  Result<ObjectFile> obj = Status::NotFound("unopened");
};

std::unique_ptr<Opened> Open(const std::string& path) {
  auto o = std::make_unique<Opened>();
  auto m = MappedFile::Open(path);
  if (!m.ok()) {
    o->obj = m.status();
    return o;
  }
  o->file = std::move(m).value();
  o->obj = TryOpenElf(o->file.bytes());
  return o;
}

uint32_t SegmentTypeFromReadelf(const std::string& t) {
  static const std::map<std::string, uint32_t> kTypes = {{"NULL", 0},
                                                         {"LOAD", 1},
                                                         {"DYNAMIC", 2},
                                                         {"INTERP", 3},
                                                         {"NOTE", 4},
                                                         {"PHDR", 6},
                                                         {"TLS", 7},
                                                         {"GNU_EH_FRAME", 0x6474e550},
                                                         {"GNU_STACK", 0x6474e551},
                                                         {"GNU_RELRO", 0x6474e552},
                                                         {"GNU_PROPERTY", 0x6474e553}};
  auto it = kTypes.find(t);
  if (it != kTypes.end()) return it->second;
  if (t.rfind("LOOS+", 0) == 0)
    return 0x60000000 + static_cast<uint32_t>(testing_util::ParseHex(t.substr(5)));
  if (t.rfind("LOPROC+", 0) == 0)
    return 0x70000000 + static_cast<uint32_t>(testing_util::ParseHex(t.substr(7)));
  return 0xffffffff;  // a processor-specific name readelf knows: type not compared
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> SplitColon(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t c = s.find(':', start);
    out.push_back(s.substr(start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  return out;
}

// Dotted version numbers of a symbol-version name, for the test's own "highest" computation.
std::vector<int> VersionNumbers(const std::string& name) {
  std::vector<int> out;
  size_t i = name.find_first_of("0123456789");
  while (i != std::string::npos && i < name.size()) {
    int v = 0;
    if (std::sscanf(name.c_str() + i, "%d", &v) != 1) break;
    out.push_back(v);
    i = name.find('.', i);
    if (i == std::string::npos) break;
    ++i;
  }
  return out;
}

// Every fact barekit reads from an ELF file, checked against readelf (and `file` where it says
// something about the same fact).
void ExpectMatchesOracles(const std::string& path, const ObjectFile& o) {
  SCOPED_TRACE(path);
  ReadelfFacts r = ReadelfOracle(path);
  ASSERT_TRUE(r.ok) << "readelf printed nothing";
  EXPECT_EQ(o.format, Format::kElf);
  EXPECT_EQ(o.ptr_size * 8, r.elf_class);
  EXPECT_EQ(o.endian == Endian::kLittle, r.little);
  EXPECT_EQ(o.entry, r.entry);
  EXPECT_EQ(o.is_executable, r.type == "EXEC" || r.type == "DYN");

  // Sections, in header order, index 0 included.
  ASSERT_EQ(o.sections.size(), r.sections.size());
  for (size_t i = 1; i < o.sections.size(); ++i) {
    const Section& s = o.sections[i];
    const auto& t = r.sections[i];
    SCOPED_TRACE("section " + std::to_string(i) + " " + t.name);
    EXPECT_EQ(s.name, t.name);
    EXPECT_EQ(s.addr, t.addr);
    EXPECT_EQ(s.offset, t.offset);
    EXPECT_EQ(s.size, t.size);
    EXPECT_EQ(s.file_size, t.type == "NOBITS" ? 0 : t.size);
    EXPECT_EQ(s.alloc, t.flags.find('A') != std::string::npos);
    EXPECT_EQ(s.writable, t.flags.find('W') != std::string::npos);
    EXPECT_EQ(s.executable, t.flags.find('X') != std::string::npos);
    EXPECT_EQ(s.compressed,
              t.flags.find('C') != std::string::npos || t.name.rfind(".zdebug_", 0) == 0);
  }

  // Segments.
  ASSERT_EQ(o.segments.size(), r.segments.size());
  std::string gnu_stack_flags;
  bool have_gnu_stack = false, have_relro = false;
  for (size_t i = 0; i < o.segments.size(); ++i) {
    const Segment& g = o.segments[i];
    const auto& t = r.segments[i];
    SCOPED_TRACE("segment " + std::to_string(i) + " " + t.type);
    uint32_t type = SegmentTypeFromReadelf(t.type);
    if (type != 0xffffffff) EXPECT_EQ(g.type, type);
    EXPECT_EQ(g.offset, t.offset);
    EXPECT_EQ(g.vaddr, t.vaddr);
    EXPECT_EQ(g.filesz, t.filesz);
    EXPECT_EQ(g.memsz, t.memsz);
    EXPECT_EQ(g.readable, t.flags.find('R') != std::string::npos);
    EXPECT_EQ(g.writable, t.flags.find('W') != std::string::npos);
    EXPECT_EQ(g.executable, t.flags.find('E') != std::string::npos);
    if (t.type == "GNU_STACK") {
      have_gnu_stack = true;
      gnu_stack_flags = t.flags;
    }
    if (t.type == "GNU_RELRO") have_relro = true;
  }

  // Linkage.
  const Linkage& l = o.linkage;
  EXPECT_EQ(l.interpreter, r.interpreter);
  EXPECT_EQ(l.needed, r.needed);
  std::vector<std::string> rpath, runpath;
  for (const auto& p : r.rpath)
    for (const auto& e : SplitColon(p)) rpath.push_back(e);
  for (const auto& p : r.runpath)
    for (const auto& e : SplitColon(p)) runpath.push_back(e);
  EXPECT_EQ(l.rpath, rpath);
  EXPECT_EQ(l.runpath, runpath);
  const bool bind_now = r.dt_bind_now || Contains(r.flags, "BIND_NOW") || Contains(r.flags1, "NOW");
  EXPECT_EQ(l.bind_now, bind_now);
  EXPECT_EQ(l.relro, !have_relro ? Relro::kNone : bind_now ? Relro::kFull : Relro::kPartial);
  if (have_gnu_stack) EXPECT_EQ(l.nx_stack, gnu_stack_flags.find('E') == std::string::npos);
  const bool dyn = r.type == "DYN";
  EXPECT_EQ(l.pie, dyn && (Contains(r.flags1, "PIE") || !r.interpreter.empty()));
  LinkKind kind = LinkKind::kStatic;
  if (!r.interpreter.empty() || !r.needed.empty())
    kind = LinkKind::kDynamic;
  else if (dyn && r.has_dynamic)
    kind = LinkKind::kStaticPie;
  EXPECT_EQ(LinkKindName(l.kind), LinkKindName(kind));

  ASSERT_EQ(l.version_needs.size(), r.verneed.size());
  for (size_t i = 0; i < r.verneed.size(); ++i) {
    EXPECT_EQ(l.version_needs[i].library, r.verneed[i].file);
    EXPECT_EQ(l.version_needs[i].versions, r.verneed[i].names);
    std::string highest;
    for (const auto& n : r.verneed[i].names) {
      auto v = VersionNumbers(n);
      if (!v.empty() && (highest.empty() || v > VersionNumbers(highest))) highest = n;
    }
    EXPECT_EQ(l.version_needs[i].highest, highest) << r.verneed[i].file;
  }

  // Symbols and DWARF.
  bool symtab = false, dynsym = false, dwarf = false;
  for (const auto& t : r.sections) {
    if (t.type == "SYMTAB" && t.size > 0) symtab = true;
    if (t.type == "DYNSYM" && t.size > 0) dynsym = true;
    if (t.name.rfind(".debug_", 0) == 0 || t.name.rfind(".zdebug_", 0) == 0) dwarf = true;
  }
  EXPECT_EQ(o.has_symtab, symtab);
  if (!r.sections.empty()) EXPECT_EQ(o.has_dynsym, dynsym);
  EXPECT_EQ(o.has_dwarf, dwarf);
  EXPECT_EQ(o.go_build_id_note, r.go_build_id);

  // `file`: linkage words, stripped, debug info, Go BuildID.
  if (HaveTool("file")) {
    std::string f = Shell("file -b '" + path + "'");
    if (f.find("static-pie linked") != std::string::npos)
      EXPECT_EQ(l.kind, LinkKind::kStaticPie) << f;
    if (f.find("statically linked") != std::string::npos) EXPECT_EQ(l.kind, LinkKind::kStatic) << f;
    if (f.find("dynamically linked") != std::string::npos && r.type == "DYN")
      EXPECT_EQ(l.kind, LinkKind::kDynamic) << f;
    if (f.find("pie executable") != std::string::npos) EXPECT_TRUE(l.pie) << f;
    if (f.find(", not stripped") != std::string::npos) EXPECT_TRUE(o.has_symtab) << f;
    if (f.find(", stripped") != std::string::npos) EXPECT_FALSE(o.has_symtab) << f;
    if (f.find("with debug_info") != std::string::npos) EXPECT_TRUE(o.has_dwarf) << f;
    size_t b = f.find("Go BuildID=");
    if (b != std::string::npos) {
      std::string id = f.substr(b + 11);
      id = id.substr(0, id.find(','));
      EXPECT_EQ(o.go_build_id_note, id) << f;
    }
  }
}

// `readelf -s` on .symtab: count, and per entry value, size, FUNC and name.
void ExpectSymbolsMatchReadelf(const std::string& path, const ObjectFile& o) {
  SCOPED_TRACE(path);
  std::string out = Shell("LC_ALL=C readelf --wide --syms '" + path + "' 2>/dev/null");
  size_t at = out.find("Symbol table '.symtab'");
  auto syms = ReadSymbols(o);
  if (at == std::string::npos) {
    EXPECT_FALSE(o.has_symtab);
    return;
  }
  ASSERT_TRUE(syms.ok()) << syms.status().message();
  std::istringstream in(out.substr(at));
  std::string line;
  std::getline(in, line);  // title
  std::getline(in, line);  // column names
  size_t i = 0, mismatches = 0;
  while (std::getline(in, line) && !line.empty()) {
    auto t = testing_util::Split(line);
    if (t.size() < 7 || t[0] == "0:") continue;
    ASSERT_LT(i, syms->size());
    const Symbol& s = (*syms)[i++];
    uint64_t size = t[2].rfind("0x", 0) == 0 ? testing_util::ParseHex(t[2]) : std::stoull(t[2]);
    std::string name;
    for (size_t k = 7; k < t.size(); ++k) name += (k > 7 ? " " : "") + t[k];
    if (s.value != testing_util::ParseHex(t[1]) || s.size != size ||
        s.is_function != (t[3] == "FUNC") || (t[3] != "SECTION" && s.name != name)) {
      if (++mismatches < 5) ADD_FAILURE() << "symbol " << i << ": readelf says " << line;
    }
  }
  EXPECT_EQ(i, syms->size());
  EXPECT_EQ(mismatches, 0u);
}

TEST(Elf, NotMineForOtherFormats) {
  const char pe[] = "MZ\x90\x00";
  auto r = TryOpenElf(AsBytes(std::string_view(pe, 4)));
  EXPECT_TRUE(r.status().IsNotMine());
  EXPECT_TRUE(TryOpenElf({}).status().IsNotMine());
}

TEST(Elf, BinLsIsDynamicPieGlibc) {
  auto f = Open("/bin/ls");
  ASSERT_TRUE(f->obj.ok()) << f->obj.status().message();
  const ObjectFile& o = *f->obj;
  ExpectMatchesOracles("/bin/ls", o);
  EXPECT_EQ(o.os, "linux");
  EXPECT_EQ(o.arch, "amd64");
  EXPECT_EQ(o.machine, "EM_X86_64");
  EXPECT_EQ(o.linkage.kind, LinkKind::kDynamic);
  EXPECT_EQ(o.linkage.libc, "glibc");
  EXPECT_TRUE(o.linkage.pie);
  EXPECT_TRUE(o.linkage.nx_stack);
  ASSERT_FALSE(o.linkage.version_needs.empty());
  EXPECT_NE(o.FindSection(".text"), nullptr);
  // AddrToOffset agrees with the section table.
  const Section* text = o.FindSection(".text");
  EXPECT_EQ(o.AddrToOffset(text->addr + 16), text->offset + 16);
}

// C programs compiled here, one per linkage / hardening / debug variant.
class CompiledC : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::ofstream(*dir_ / "hello.c") << "#include <stdio.h>\n"
                                        "static int twice(int x) { return 2 * x; }\n"
                                        "int main(int argc, char** argv) {\n"
                                        "  printf(\"hello %d\\n\", twice(argc));\n"
                                        "  return 0;\n}\n";
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  // Builds hello.c with `cc flags` into `name`; skips the test when `cc` is missing.
  std::string Build(const std::string& cc, const std::string& name, const std::string& flags) {
    if (!HaveTool(cc)) return "";
    std::string out = *dir_ / name;
    int st = 0;
    std::string log =
        Shell(cc + " -O1 " + flags + " -o '" + out + "' '" + (*dir_ / "hello.c") + "' 2>&1", &st);
    EXPECT_EQ(st, 0) << cc << " " << flags << ": " << log;
    return st == 0 ? out : "";
  }
  // Opens `path`, checks it against the oracles, returns it for specific checks.
  std::unique_ptr<Opened> Check(const std::string& path) {
    auto f = Open(path);
    EXPECT_TRUE(f->obj.ok()) << path << ": " << f->obj.status().message();
    if (f->obj.ok()) {
      ExpectMatchesOracles(path, *f->obj);
      ExpectSymbolsMatchReadelf(path, *f->obj);
    }
    return f;
  }
  static TempDir* dir_;
};
TempDir* CompiledC::dir_ = nullptr;

#define BUILD_OR_SKIP(var, cc, name, flags)                       \
  std::string var = Build(cc, name, flags);                       \
  if (var.empty()) {                                              \
    if (!HaveTool(cc)) GTEST_SKIP() << cc << " is not installed"; \
    return;                                                       \
  }

TEST_F(CompiledC, GccDynamicPie) {
  BUILD_OR_SKIP(p, "gcc", "dyn", "");
  auto f = Check(p);
  ASSERT_TRUE(f->obj.ok());
  const Linkage& l = f->obj->linkage;
  EXPECT_EQ(l.kind, LinkKind::kDynamic);
  EXPECT_EQ(l.libc, "glibc");
  EXPECT_THAT(l.needed, ::testing::ElementsAre("libc.so.6"));
  EXPECT_TRUE(l.pie);
  EXPECT_TRUE(l.nx_stack);
  EXPECT_TRUE(f->obj->has_symtab);
  EXPECT_FALSE(f->obj->has_dwarf);
  auto syms = ReadSymbols(*f->obj);
  ASSERT_TRUE(syms.ok());
  auto main_sym =
      std::find_if(syms->begin(), syms->end(), [](const Symbol& s) { return s.name == "main"; });
  ASSERT_NE(main_sym, syms->end());
  EXPECT_TRUE(main_sym->is_function);
  EXPECT_TRUE(main_sym->is_text);
  EXPECT_GT(main_sym->size, 0u);
}

TEST_F(CompiledC, GccStatic) {
  BUILD_OR_SKIP(p, "gcc", "static", "-static");
  auto f = Check(p);
  ASSERT_TRUE(f->obj.ok());
  EXPECT_EQ(f->obj->linkage.kind, LinkKind::kStatic);
  EXPECT_TRUE(f->obj->linkage.needed.empty());
  EXPECT_FALSE(f->obj->linkage.pie);
  EXPECT_EQ(f->obj->os, "linux");  // .note.ABI-tag says Linux
}

TEST_F(CompiledC, GccStaticPie) {
  BUILD_OR_SKIP(p, "gcc", "static-pie", "-static-pie");
  auto f = Check(p);
  ASSERT_TRUE(f->obj.ok());
  EXPECT_EQ(f->obj->linkage.kind, LinkKind::kStaticPie);
  EXPECT_TRUE(f->obj->linkage.pie);
  EXPECT_EQ(f->obj->linkage.interpreter, "");
}

TEST_F(CompiledC, GccNoPieBindNowExecStack) {
  BUILD_OR_SKIP(nopie, "gcc", "nopie", "-no-pie");
  auto f = Check(nopie);
  ASSERT_TRUE(f->obj.ok());
  EXPECT_FALSE(f->obj->linkage.pie);
  EXPECT_EQ(f->obj->linkage.kind, LinkKind::kDynamic);
  EXPECT_EQ(f->obj->linkage.relro, Relro::kPartial);

  BUILD_OR_SKIP(now, "gcc", "now", "-Wl,-z,now");
  auto g = Check(now);
  ASSERT_TRUE(g->obj.ok());
  EXPECT_TRUE(g->obj->linkage.bind_now);
  EXPECT_EQ(g->obj->linkage.relro, Relro::kFull);

  BUILD_OR_SKIP(norelro, "gcc", "norelro", "-Wl,-z,norelro");
  auto h = Check(norelro);
  ASSERT_TRUE(h->obj.ok());
  EXPECT_EQ(h->obj->linkage.relro, Relro::kNone);

  BUILD_OR_SKIP(exec, "gcc", "execstack", "-Wl,-z,execstack");
  auto x = Check(exec);
  ASSERT_TRUE(x->obj.ok());
  EXPECT_FALSE(x->obj->linkage.nx_stack);
}

TEST_F(CompiledC, RpathAndRunpathSplitAtColons) {
  BUILD_OR_SKIP(rp, "gcc", "rpath", "-Wl,--disable-new-dtags -Wl,-rpath,/opt/a:/opt/b");
  auto f = Check(rp);
  ASSERT_TRUE(f->obj.ok());
  EXPECT_THAT(f->obj->linkage.rpath, ::testing::ElementsAre("/opt/a", "/opt/b"));
  BUILD_OR_SKIP(run, "gcc", "runpath", "-Wl,--enable-new-dtags -Wl,-rpath,'/x/y:$ORIGIN/../lib'");
  auto g = Check(run);
  ASSERT_TRUE(g->obj.ok());
  EXPECT_THAT(g->obj->linkage.runpath, ::testing::ElementsAre("/x/y", "$ORIGIN/../lib"));
}

TEST_F(CompiledC, DebugInfoPlainCompressedAndZdebug) {
  BUILD_OR_SKIP(plain, "gcc", "g", "-g");
  auto f = Check(plain);
  ASSERT_TRUE(f->obj.ok());
  EXPECT_TRUE(f->obj->has_dwarf);
  EXPECT_THAT(f->obj->dwarf_sections, ::testing::Contains(".debug_info"));

  BUILD_OR_SKIP(gz, "gcc", "gz", "-g -gz=zlib");
  auto g = Check(gz);
  ASSERT_TRUE(g->obj.ok());
  const Section* info = g->obj->FindSection(".debug_info");
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->compressed);

  BUILD_OR_SKIP(zg, "gcc", "zdebug", "-g -gz=zlib-gnu");
  auto z = Check(zg);
  ASSERT_TRUE(z->obj.ok());
  EXPECT_TRUE(z->obj->has_dwarf);
  EXPECT_THAT(z->obj->dwarf_sections, ::testing::Contains(".zdebug_info"));
}

TEST_F(CompiledC, StrippedHasNoSymtab) {
  BUILD_OR_SKIP(p, "gcc", "stripped", "-s");
  auto f = Check(p);
  ASSERT_TRUE(f->obj.ok());
  EXPECT_FALSE(f->obj->has_symtab);
  EXPECT_TRUE(f->obj->has_dynsym);
  EXPECT_TRUE(ReadSymbols(*f->obj).status().IsNotFound());
}

// Section headers removed, as sstrip and packers leave a file: everything must still come from
// the program headers (DT_NEEDED, DT_VERNEED through PT_LOAD, notes from PT_NOTE).
TEST_F(CompiledC, NoSectionHeadersStillGivesLinkage) {
  BUILD_OR_SKIP(p, "gcc", "full", "");
  auto full = Open(p);
  ASSERT_TRUE(full->obj.ok());
  std::string bytes;
  {
    std::ifstream in(p, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // e_shoff = 0, e_shnum = 0, e_shstrndx = 0 (ELF64 little-endian offsets 40, 60, 62).
  std::memset(bytes.data() + 40, 0, 8);
  std::memset(bytes.data() + 60, 0, 4);
  auto r = TryOpenElf(AsBytes(bytes));
  ASSERT_TRUE(r.ok()) << r.status().message();
  const ObjectFile& o = *r;
  EXPECT_TRUE(o.sections.empty());
  EXPECT_EQ(o.segments.size(), full->obj->segments.size());
  EXPECT_EQ(o.linkage.interpreter, full->obj->linkage.interpreter);
  EXPECT_EQ(o.linkage.needed, full->obj->linkage.needed);
  ASSERT_EQ(o.linkage.version_needs.size(), full->obj->linkage.version_needs.size());
  for (size_t i = 0; i < o.linkage.version_needs.size(); ++i) {
    EXPECT_EQ(o.linkage.version_needs[i].library, full->obj->linkage.version_needs[i].library);
    EXPECT_EQ(o.linkage.version_needs[i].versions, full->obj->linkage.version_needs[i].versions);
    EXPECT_EQ(o.linkage.version_needs[i].highest, full->obj->linkage.version_needs[i].highest);
  }
  EXPECT_EQ(o.linkage.kind, LinkKind::kDynamic);
  EXPECT_EQ(o.linkage.relro, full->obj->linkage.relro);
  EXPECT_TRUE(o.has_dynsym);
  EXPECT_EQ(o.os, "linux");
  // AddrToOffset through the segments agrees with the section table of the original.
  const Section* text = full->obj->FindSection(".text");
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(o.AddrToOffset(text->addr + 4), text->offset + 4);
}

TEST_F(CompiledC, RelocatableObjectAndSharedLibrary) {
  BUILD_OR_SKIP(obj, "gcc", "hello.o", "-c");
  auto f = Check(obj);
  ASSERT_TRUE(f->obj.ok());
  EXPECT_FALSE(f->obj->is_executable);
  BUILD_OR_SKIP(so, "gcc", "libhello.so", "-shared -fPIC");
  auto g = Check(so);
  ASSERT_TRUE(g->obj.ok());
  EXPECT_TRUE(g->obj->is_executable);
}

TEST_F(CompiledC, MuslStaticAndDynamic) {
  BUILD_OR_SKIP(dyn, "musl-gcc", "musl-dyn", "");
  auto f = Check(dyn);
  ASSERT_TRUE(f->obj.ok());
  EXPECT_EQ(f->obj->linkage.libc, "musl");
  EXPECT_EQ(f->obj->linkage.kind, LinkKind::kDynamic);
  EXPECT_THAT(f->obj->linkage.interpreter, ::testing::HasSubstr("ld-musl-x86_64"));
  BUILD_OR_SKIP(st, "musl-gcc", "musl-static", "-static");
  auto g = Check(st);
  ASSERT_TRUE(g->obj.ok());
  EXPECT_EQ(g->obj->linkage.kind, LinkKind::kStatic);
  EXPECT_EQ(g->obj->linkage.libc, "");
}

TEST_F(CompiledC, CrossArm64AndRiscv64) {
  BUILD_OR_SKIP(a, "aarch64-linux-gnu-gcc", "arm64", "");
  auto f = Check(a);
  ASSERT_TRUE(f->obj.ok());
  EXPECT_EQ(f->obj->arch, "arm64");
  EXPECT_EQ(f->obj->linkage.libc, "glibc");
  EXPECT_EQ(f->obj->linkage.interpreter, "/lib/ld-linux-aarch64.so.1");
  BUILD_OR_SKIP(as, "aarch64-linux-gnu-gcc", "arm64-static", "-static");
  auto fs_ = Check(as);
  ASSERT_TRUE(fs_->obj.ok());
  EXPECT_EQ(fs_->obj->linkage.kind, LinkKind::kStatic);

  BUILD_OR_SKIP(r, "riscv64-linux-gnu-gcc", "riscv64", "");
  auto g = Check(r);
  ASSERT_TRUE(g->obj.ok());
  EXPECT_EQ(g->obj->arch, "riscv64");
  EXPECT_EQ(g->obj->machine, "EM_RISCV");
  EXPECT_EQ(g->obj->linkage.libc, "glibc");
}

// Go programs from tests/fixtures/make_fixtures.sh: go-<os>-<arch>[-variant].
TEST(ElfGo, FixturesMatchReadelfAndName) {
  std::string dir = FixturesDir();
  if (!fs::is_directory(dir))
    GTEST_SKIP() << "no fixtures in " << dir << " (tests/fixtures/make_fixtures.sh)";
  int seen = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("go-", 0) != 0 || name.find(".exe") != std::string::npos) continue;
    size_t a = name.find('-', 3);
    std::string os = name.substr(3, a - 3);
    if (os == "darwin" || a == std::string::npos) continue;
    size_t b = name.find('-', a + 1);
    std::string arch = name.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    std::string variant = b == std::string::npos ? "" : name.substr(b + 1);
    SCOPED_TRACE(name);
    auto f = Open(e.path().string());
    ASSERT_TRUE(f->obj.ok()) << f->obj.status().message();
    const ObjectFile& o = *f->obj;
    EXPECT_EQ(o.os, os);
    EXPECT_EQ(o.arch, arch);
    EXPECT_FALSE(o.go_build_id_note.empty());
    ExpectMatchesOracles(e.path().string(), o);
    if (o.has_symtab) ExpectSymbolsMatchReadelf(e.path().string(), o);
    if (variant.find("stripped") != std::string::npos) {
      EXPECT_FALSE(o.has_symtab);
      EXPECT_FALSE(o.has_dwarf);
    }
    if (variant == "" && os == "linux") EXPECT_EQ(o.linkage.kind, LinkKind::kStatic);
    if (variant == "net-cgo") {
      EXPECT_EQ(o.linkage.kind, LinkKind::kDynamic);
      EXPECT_EQ(o.linkage.libc, "glibc");
    }
    if (variant == "pie") EXPECT_TRUE(o.linkage.pie);
    ++seen;
  }
  if (seen == 0) GTEST_SKIP() << "no Go ELF fixtures in " << dir;
}

// GOOS values that only notes, OSABI or the interpreter reveal, from tiny Go programs built here.
TEST(ElfGo, OperatingSystemsFromNotesAndOsabi) {
  if (!HaveTool("go")) GTEST_SKIP() << "go is not installed";
  TempDir dir;
  std::ofstream(dir / "go.mod") << "module example.com/hi\n\ngo 1.19\n";
  std::ofstream(dir / "main.go") << "package main\n\nfunc main() { println(\"hi\") }\n";
  const std::vector<std::pair<std::string, std::string>> targets = {
      {"openbsd", "amd64"}, {"netbsd", "arm64"},  {"freebsd", "386"},
      {"illumos", "amd64"}, {"solaris", "amd64"}, {"android", "arm64"}};
  // (Go's dragonfly binaries carry no note, OSABI or interpreter: only their build info says.)
  for (const auto& [os, arch] : targets) {
    SCOPED_TRACE(os + "/" + arch);
    std::string out = dir / ("hi-" + os + "-" + arch);
    int st = 0;
    std::string log =
        Shell("cd '" + dir.path() + "' && CGO_ENABLED=0 GOOS=" + os + " GOARCH=" + arch +
                  " GOFLAGS=-buildvcs=false GOPROXY=off GOTOOLCHAIN=local go build -o '" + out +
                  "' . 2>&1",
              &st);
    ASSERT_EQ(st, 0) << log;
    auto f = Open(out);
    ASSERT_TRUE(f->obj.ok()) << f->obj.status().message();
    ExpectMatchesOracles(out, *f->obj);
    // Go's illumos binaries are Solaris ELF files: nothing in the headers tells them apart.
    EXPECT_EQ(f->obj->os, os == "illumos" ? "solaris" : os);
    if (os == "illumos" || os == "solaris") EXPECT_EQ(f->obj->linkage.libc, "");
    EXPECT_EQ(f->obj->arch, arch);
  }
}

// Every ELF file of the corpus (npm and Debian packages built by others).
TEST(ElfCorpus, EveryElfMatchesReadelf) {
  std::string dir = CorpusDir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no corpus in " << dir << " (corpus/fetch)";
  int seen = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file() || it->is_symlink() || it->file_size() < 64) continue;
    std::string path = it->path().string();
    char magic[4] = {};
    std::ifstream(path, std::ios::binary).read(magic, 4);
    if (std::memcmp(magic,
                    "\x7f"
                    "ELF",
                    4) != 0)
      continue;
    auto f = Open(path);
    ASSERT_TRUE(f->obj.ok()) << path << ": " << f->obj.status().message();
    ExpectMatchesOracles(path, *f->obj);
    ++seen;
  }
  if (seen == 0) GTEST_SKIP() << "no ELF files in " << dir;
  std::printf("checked %d corpus ELF files\n", seen);
}

}  // namespace
}  // namespace barekit::exe
