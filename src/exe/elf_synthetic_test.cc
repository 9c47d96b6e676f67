// The ELF reader on small files built in the test: machines, byte orders and OS marks that no
// compiler here produces, extended section numbering, and tables reachable only through the
// program headers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "exe/elf.h"
#include "exe/elf_test_util.h"

namespace barekit::exe {
namespace {

using testing_util::MiniElf;

// A static executable with one PT_LOAD of code and one .text section.
MiniElf Basic() {
  MiniElf e;
  e.secs.push_back({.name = ".text",
                    .type = 1,
                    .flags = 0x6,
                    .addr = 0x401000,
                    .data = std::string(64, '\xcc')});
  e.segs.push_back({.type = 1, .flags = 5, .vaddr = 0x401000, .section = 0, .align = 0x1000});
  return e;
}

Result<ObjectFile> OpenBytes(const std::string& b) { return TryOpenElf(AsBytes(b)); }

TEST(ElfSynthetic, BasicStaticExecutable) {
  MiniElf e = Basic();
  std::string b = e.Build();
  auto r = OpenBytes(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->arch, "amd64");
  EXPECT_EQ(r->os, "linux");
  EXPECT_EQ(r->linkage.kind, LinkKind::kStatic);
  EXPECT_EQ(r->image_base, 0x401000u);
  ASSERT_EQ(r->sections.size(), 3u);
  EXPECT_EQ(r->sections[1].name, ".text");
  EXPECT_TRUE(r->sections[1].executable);
  EXPECT_EQ(r->sections[2].name, ".shstrtab");
  auto text = r->ReadAt(0x401010, 8);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(static_cast<uint8_t>((*text)[0]), 0xcc);
  // Without PT_GNU_STACK, amd64 Linux maps a non-executable stack.
  EXPECT_TRUE(r->linkage.nx_stack);
}

struct ArchCase {
  uint16_t machine;
  bool is64, big;
  uint32_t flags;
  const char* arch;
  const char* machine_name;
};

TEST(ElfSynthetic, GoArchFromMachineClassAndByteOrder) {
  const ArchCase cases[] = {
      {3, false, false, 0, "386", "EM_386"},
      {62, true, false, 0, "amd64", "EM_X86_64"},
      {40, false, false, 0, "arm", "EM_ARM"},
      {183, true, false, 0, "arm64", "EM_AARCH64"},
      {243, true, false, 0, "riscv64", "EM_RISCV"},
      {21, true, true, 0, "ppc64", "EM_PPC64"},
      {21, true, false, 0, "ppc64le", "EM_PPC64"},
      {22, true, true, 0, "s390x", "EM_S390"},
      {8, false, true, 0, "mips", "EM_MIPS"},
      {8, false, false, 0, "mipsle", "EM_MIPS"},
      {8, true, true, 0, "mips64", "EM_MIPS"},
      {8, true, false, 0, "mips64le", "EM_MIPS"},
      {8, false, true, 0x20, "mips64p32", "EM_MIPS"},  // n32 ABI
      {258, true, false, 0, "loong64", "EM_LOONGARCH"},
      {43, true, true, 0, "sparc64", "EM_SPARCV9"},
      {20, false, true, 0, "ppc", "EM_PPC"},
      {0x1234, true, false, 0, "", "EM_0x1234"},
  };
  for (const ArchCase& c : cases) {
    SCOPED_TRACE(c.machine_name + std::string(" ") + c.arch);
    MiniElf e = Basic();
    e.machine = c.machine;
    e.is64 = c.is64;
    e.big = c.big;
    e.flags = c.flags;
    std::string b = e.Build();
    auto r = OpenBytes(b);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->arch, c.arch);
    EXPECT_EQ(r->machine, c.machine_name);
    EXPECT_EQ(r->ptr_size, c.is64 ? 8 : 4);
    EXPECT_EQ(r->endian, c.big ? Endian::kBig : Endian::kLittle);
    EXPECT_EQ(r->sections[1].name, ".text");
    EXPECT_EQ(r->sections[1].addr, 0x401000u);
  }
}

TEST(ElfSynthetic, StackExecutableWithoutGnuStackOn32BitAndMips) {
  for (auto [machine, is64, nx] :
       {std::tuple{3, false, false}, std::tuple{40, false, false}, std::tuple{8, true, false},
        std::tuple{183, true, true}, std::tuple{62, true, true}}) {
    MiniElf e = Basic();
    e.machine = static_cast<uint16_t>(machine);
    e.is64 = is64;
    std::string b = e.Build();
    auto r = OpenBytes(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->linkage.nx_stack, nx) << machine;
  }
}

struct OsCase {
  const char* what;
  uint8_t osabi;
  const char* note_owner;  // "" = none
  uint32_t note_type;
  const char* section;  // extra section name, "" = none
  const char* interp;   // "" = none
  const char* os;
};

TEST(ElfSynthetic, OperatingSystemFromOsabiNotesSectionsAndInterpreter) {
  const OsCase cases[] = {
      {"FreeBSD OSABI", 9, "", 0, "", "", "freebsd"},
      {"NetBSD OSABI", 2, "", 0, "", "", "netbsd"},
      {"OpenBSD OSABI", 12, "", 0, "", "", "openbsd"},
      {"Solaris OSABI", 6, "", 0, "", "", "solaris"},
      {"FreeBSD .note.tag", 0, "FreeBSD", 1, "", "", "freebsd"},
      {"NetBSD ident", 0, "NetBSD", 1, "", "", "netbsd"},
      {"OpenBSD ident", 0, "OpenBSD", 1, "", "", "openbsd"},
      {"DragonFly note", 0, "DragonFly", 1, "", "", "dragonfly"},
      {"Android note", 0, "Android", 1, "", "", "android"},
      {"SUNW section", 0, "", 0, ".SUNW_version", "", "solaris"},
      {"Android linker", 0, "", 0, "", "/system/bin/linker64", "android"},
      {"OpenBSD ld.so", 0, "", 0, "", "/usr/libexec/ld.so", "openbsd"},
      {"glibc mips loader", 0, "", 0, "", "/lib/ld.so.1", "linux"},
      {"nothing", 0, "", 0, "", "", "linux"},
  };
  for (const OsCase& c : cases) {
    SCOPED_TRACE(c.what);
    MiniElf e = Basic();
    e.osabi = c.osabi;
    if (*c.note_owner) {
      e.secs.push_back({.name = ".note.tag",
                        .type = 7,
                        .flags = 2,
                        .addr = 0x400200,
                        .data = e.Note(c.note_owner, c.note_type, e.U32(1300000))});
    }
    if (*c.section) e.secs.push_back({.name = c.section, .type = 1, .data = "x"});
    if (*c.interp) {
      e.segs.push_back({.type = 3,
                        .flags = 4,
                        .vaddr = 0x400300,
                        .data = std::string(c.interp) + std::string(1, '\0')});
    }
    std::string b = e.Build();
    auto r = OpenBytes(b);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->os, c.os);
  }
}

TEST(ElfSynthetic, GoBuildIdFromNoteSegmentWithoutSections) {
  MiniElf e = Basic();
  e.with_sections = false;
  e.segs.push_back(
      {.type = 4, .flags = 4, .vaddr = 0x400f9c, .data = e.Note("Go\0", 4, "abc/def/ghi/jkl")});
  std::string b = e.Build();
  auto r = OpenBytes(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->sections.empty());
  EXPECT_EQ(r->go_build_id_note, "abc/def/ghi/jkl");
}

TEST(ElfSynthetic, BigEndian32GoBuildIdNote) {
  MiniElf e = Basic();
  e.machine = 8;
  e.is64 = false;
  e.big = true;
  e.secs.push_back({.name = ".note.go.buildid",
                    .type = 7,
                    .flags = 2,
                    .addr = 0x400f9c,
                    .data = e.Note("Go", 4, "big/endian")});
  std::string b = e.Build();
  auto r = OpenBytes(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->arch, "mips");
  EXPECT_EQ(r->go_build_id_note, "big/endian");
}

// A dynamic table, string table and version-needs table reachable only through PT_LOAD and
// PT_DYNAMIC (no section headers), as in a packed or sstrip'ed file.
TEST(ElfSynthetic, DynamicAndVersionNeedsThroughSegmentsOnly) {
  for (bool is64 : {true, false}) {
    for (bool big : {false, true}) {
      SCOPED_TRACE(std::string(is64 ? "64" : "32") + (big ? " BE" : " LE"));
      MiniElf e = Basic();
      e.is64 = is64;
      e.big = big;
      e.type = 3;  // ET_DYN
      e.with_sections = false;
      // String table at vaddr 0x500000.
      std::string strtab = std::string(1, '\0') + "libc.so.6" + std::string(1, '\0') +
                           "GLIBC_2.2.5" + std::string(1, '\0') + "GLIBC_2.34" +
                           std::string(1, '\0') + "GLIBC_2.17" + std::string(1, '\0') + "/a:/b" +
                           std::string(1, '\0') + "GLIBC_PRIVATE" + std::string(1, '\0');
      const uint64_t kLibc = 1, k225 = 11, k234 = 23, k217 = 34, kPath = 45, kPriv = 51;
      // Verneed at 0x500100: one file, four aux entries.
      std::string vn;
      auto p16 = [&](uint64_t v) {
        std::string s;
        e.Put(s, 0, v, 2);
        return s;
      };
      vn += p16(1) + p16(4) + e.U32(kLibc) + e.U32(16) + e.U32(0);
      const uint64_t names[] = {k225, k234, kPriv, k217};
      for (int i = 0; i < 4; ++i) {
        vn += e.U32(0) + p16(0) + p16(2 + i) + e.U32(names[i]) + e.U32(i == 3 ? 0 : 16);
      }
      std::string data = strtab;
      data.resize(0x100, '\0');
      data += vn;
      e.segs.push_back({.type = 1, .flags = 4, .vaddr = 0x500000, .data = data});
      std::string dyn;
      auto entry = [&](uint64_t tag, uint64_t val) { dyn += e.Word(tag) + e.Word(val); };
      entry(1, kLibc);     // DT_NEEDED
      entry(15, kPath);    // DT_RPATH
      entry(5, 0x500000);  // DT_STRTAB
      entry(10, strtab.size());
      entry(0x6ffffffe, 0x500100);  // DT_VERNEED
      entry(0x6fffffff, 1);
      entry(0x6ffffffb, 0x08000001);  // DF_1_PIE | DF_1_NOW
      entry(0, 0);
      e.segs.push_back({.type = 2, .flags = 6, .vaddr = 0x600000, .data = dyn});
      e.segs.push_back({.type = 0x6474e552, .flags = 4, .vaddr = 0x600000, .data = ""});
      std::string b = e.Build();
      auto r = OpenBytes(b);
      ASSERT_TRUE(r.ok()) << r.status().message();
      const Linkage& l = r->linkage;
      EXPECT_THAT(l.needed, ::testing::ElementsAre("libc.so.6"));
      EXPECT_THAT(l.rpath, ::testing::ElementsAre("/a", "/b"));
      ASSERT_EQ(l.version_needs.size(), 1u);
      EXPECT_EQ(l.version_needs[0].library, "libc.so.6");
      EXPECT_THAT(
          l.version_needs[0].versions,
          ::testing::ElementsAre("GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_PRIVATE", "GLIBC_2.17"));
      EXPECT_EQ(l.version_needs[0].highest, "GLIBC_2.34");
      EXPECT_EQ(l.libc, "glibc");
      EXPECT_EQ(l.kind, LinkKind::kDynamic);
      EXPECT_TRUE(l.pie);
      EXPECT_TRUE(l.bind_now);
      EXPECT_EQ(l.relro, Relro::kFull);
    }
  }
}

TEST(ElfSynthetic, StaticPieFromDynamicSegmentWithoutInterpreter) {
  MiniElf e = Basic();
  e.type = 3;
  std::string dyn = e.Word(0x6ffffffb) + e.Word(0x08000000) + e.Word(0) + e.Word(0);
  e.segs.push_back({.type = 2, .flags = 6, .vaddr = 0x600000, .data = dyn});
  std::string b = e.Build();
  auto r = OpenBytes(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->linkage.kind, LinkKind::kStaticPie);
  EXPECT_TRUE(r->linkage.pie);
}

TEST(ElfSynthetic, MuslRecognisedFromNeededLibrary) {
  MiniElf e = Basic();
  std::string strtab = std::string(1, '\0') + "libc.musl-x86_64.so.1" + std::string(1, '\0');
  e.segs.push_back({.type = 1, .flags = 4, .vaddr = 0x500000, .data = strtab});
  std::string dyn = e.Word(1) + e.Word(1) + e.Word(5) + e.Word(0x500000) + e.Word(0) + e.Word(0);
  e.segs.push_back({.type = 2, .flags = 6, .vaddr = 0x600000, .data = dyn});
  std::string b = e.Build();
  auto r = OpenBytes(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->linkage.libc, "musl");
}

// gABI extended numbering: e_shnum = 0 and e_shstrndx = SHN_XINDEX, with the real values in
// section header 0's sh_size and sh_link; e_phnum = PN_XNUM with the count in sh_info.
TEST(ElfSynthetic, ExtendedSectionAndProgramHeaderNumbering) {
  MiniElf e = Basic();
  std::string b = e.Build();
  const uint64_t shoff = LoadUint(AsBytes(b).data() + 40, 8, Endian::kLittle);
  const uint64_t shnum = LoadUint(AsBytes(b).data() + 60, 2, Endian::kLittle);
  const uint64_t shstrndx = LoadUint(AsBytes(b).data() + 62, 2, Endian::kLittle);
  const uint64_t phnum = LoadUint(AsBytes(b).data() + 56, 2, Endian::kLittle);
  e.Put(b, shoff + 32, shnum, 8);     // sh_size
  e.Put(b, shoff + 40, shstrndx, 4);  // sh_link
  e.Put(b, shoff + 44, phnum, 4);     // sh_info
  e.Put(b, 60, 0, 2);
  e.Put(b, 62, 0xffff, 2);
  e.Put(b, 56, 0xffff, 2);
  auto r = OpenBytes(b);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->sections.size(), shnum);
  EXPECT_EQ(r->segments.size(), phnum);
  EXPECT_EQ(r->sections[1].name, ".text");
}

}  // namespace
}  // namespace barekit::exe
