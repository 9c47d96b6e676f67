// Bad input: truncated, bit-flipped and absurd ELF files must give a clean Corrupt (or NotMine)
// status whose message names a byte offset, or a report whose every range lies in the file;
// never a crash, a hang or an unbounded allocation. Run under -DBAREKIT_SANITIZE=ON too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "base/checked_math.h"
#include "base/mapped_file.h"
#include "exe/elf.h"
#include "exe/elf_test_util.h"

namespace barekit::exe {
namespace {

using testing_util::MiniElf;
namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Opens `b` and, when it opens, touches every fact and checks that every range lies in it.
void OpenAndTouchEverything(Bytes b) {
  auto r = OpenObject(b);
  if (!r.ok()) {
    if (b.size() >= 4 && std::memcmp(b.data(),
                                     "\x7f"
                                     "ELF",
                                     4) == 0) {
      ASSERT_EQ(r.status().code(), ErrorCode::kCorrupt) << r.status().message();
      ASSERT_THAT(r.status().message(), ::testing::HasSubstr("0x"));
    }
    return;
  }
  for (const ObjectFile& o : *r) {
    for (const Section& s : o.sections) {
      if (s.file_size > 0) {
        ASSERT_TRUE(RangeFits(s.offset, s.file_size, b.size())) << s.name;
        ASSERT_TRUE(o.SectionData(s).has_value());
      }
      if (s.alloc) (void)o.AddrToOffset(s.addr);
    }
    for (const Segment& g : o.segments) {
      if (g.filesz > 0) {
        ASSERT_TRUE(RangeFits(g.offset, g.filesz, b.size()));
      }
      (void)o.ReadFrom(g.vaddr);
    }
    // Names and notes are views into the input.
    auto inside = [&](std::string_view v) {
      if (v.empty()) return true;
      auto* p = reinterpret_cast<const std::byte*>(v.data());
      return p >= b.data() && p + v.size() <= b.data() + b.size();
    };
    for (const Section& s : o.sections) ASSERT_TRUE(inside(s.name));
    ASSERT_TRUE(inside(o.go_build_id_note));
    size_t total = o.linkage.interpreter.size();
    for (const auto& n : o.linkage.needed) total += n.size();
    for (const auto& v : o.linkage.version_needs) total += v.versions.size();
    ASSERT_LE(total, b.size());
    auto syms = ReadSymbols(o);
    if (syms.ok()) {
      for (const Symbol& s : *syms) ASSERT_TRUE(inside(s.name));
    } else if (!syms.status().IsNotFound()) {
      ASSERT_THAT(syms.status().message(), ::testing::HasSubstr("0x"));
    }
  }
}

// Truncates at every offset in the first 2 KiB and the last 512 bytes, and at ~300 points between.
void TruncateEverywhere(const std::string& bytes) {
  std::vector<size_t> cuts;
  for (size_t i = 0; i < std::min<size_t>(bytes.size(), 2048); ++i) cuts.push_back(i);
  for (size_t i = 0; i < 300; ++i) cuts.push_back(bytes.size() * i / 300);
  for (size_t i = bytes.size() > 512 ? bytes.size() - 512 : 0; i < bytes.size(); ++i)
    cuts.push_back(i);
  for (size_t n : cuts) {
    SCOPED_TRACE("truncated to " + std::to_string(n));
    OpenAndTouchEverything(AsBytes(std::string_view(bytes).substr(0, n)));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// Flips `rounds` random bytes (1 to 4 at a time) inside the headers and tables the reader
// follows, restoring them after each attempt so no copy of the file is needed.
void FlipBytes(std::string bytes, int rounds, uint32_t seed) {
  std::mt19937 rng(seed);
  // Interesting regions: the first 4 KiB (headers, program headers, notes, dynamic data of small
  // files) and the last 4 KiB (section headers at the end of most files).
  const size_t n = bytes.size();
  for (int round = 0; round < rounds; ++round) {
    int count = 1 + static_cast<int>(rng() % 4);
    std::vector<std::pair<size_t, char>> saved;
    for (int i = 0; i < count; ++i) {
      size_t pos =
          rng() % 2 ? rng() % std::min<size_t>(n, 4096) : n - 1 - rng() % std::min<size_t>(n, 4096);
      saved.emplace_back(pos, bytes[pos]);
      switch (rng() % 3) {
        case 0:
          bytes[pos] = static_cast<char>(rng());
          break;
        case 1:
          bytes[pos] = '\xff';
          break;
        default:
          bytes[pos] ^= static_cast<char>(1u << (rng() % 8));
          break;
      }
    }
    SCOPED_TRACE("round " + std::to_string(round));
    OpenAndTouchEverything(AsBytes(bytes));
    if (::testing::Test::HasFatalFailure()) return;
    for (auto it = saved.rbegin(); it != saved.rend(); ++it) bytes[it->first] = it->second;
  }
}

std::string SampleSynthetic() {
  MiniElf e;
  e.type = 3;
  e.secs.push_back(
      {.name = ".text", .type = 1, .flags = 6, .addr = 0x401000, .data = std::string(32, 'x')});
  e.secs.push_back({.name = ".note.go.buildid",
                    .type = 7,
                    .flags = 2,
                    .addr = 0x400f00,
                    .data = e.Note("Go", 4, "id/id")});
  e.segs.push_back({.type = 1, .flags = 5, .vaddr = 0x401000, .section = 0});
  e.segs.push_back({.type = 4, .flags = 4, .vaddr = 0x400f00, .section = 1});
  std::string strtab = std::string(1, '\0') + "libc.so.6" + std::string(1, '\0') + "GLIBC_2.34" +
                       std::string(1, '\0');
  std::string vn;
  auto p16 = [&](uint64_t v) {
    std::string s;
    e.Put(s, 0, v, 2);
    return s;
  };
  vn += p16(1) + p16(1) + e.U32(1) + e.U32(16) + e.U32(0);
  vn += e.U32(0) + p16(0) + p16(2) + e.U32(11) + e.U32(0);
  std::string data = strtab;
  data.resize(0x40, '\0');
  data += vn;
  e.segs.push_back({.type = 1, .flags = 4, .vaddr = 0x500000, .data = data});
  std::string dyn = e.Word(1) + e.Word(1) + e.Word(5) + e.Word(0x500000) + e.Word(0x6ffffffe) +
                    e.Word(0x500040) + e.Word(0x6fffffff) + e.Word(1) + e.Word(0) + e.Word(0);
  e.segs.push_back({.type = 2, .flags = 6, .vaddr = 0x600000, .data = dyn});
  e.segs.push_back({.type = 3,
                    .flags = 4,
                    .vaddr = 0x400200,
                    .data = std::string("/lib/ld.so") + std::string(1, '\0')});
  return e.Build();
}

TEST(ElfBadInput, SyntheticTruncatedAndFlipped) {
  std::string b = SampleSynthetic();
  ASSERT_TRUE(TryOpenElf(AsBytes(b)).ok());
  TruncateEverywhere(b);
  FlipBytes(b, 20000, 1);
}

TEST(ElfBadInput, RealBinariesTruncatedAndFlipped) {
  std::vector<std::string> paths = {"/bin/ls"};
  const char* fx = std::getenv("BAREKIT_FIXTURES");
  std::string fixtures = fx && *fx ? fx : std::string(BAREKIT_SOURCE_DIR) + "/build/fixtures";
  for (const char* name : {"go-linux-amd64", "go-linux-mips", "c-gcc-dynamic", "c-musl-static"}) {
    if (fs::exists(fixtures + "/" + name)) paths.push_back(fixtures + "/" + name);
  }
  for (const std::string& p : paths) {
    SCOPED_TRACE(p);
    std::string b = ReadFile(p);
    ASSERT_TRUE(TryOpenElf(AsBytes(b)).ok());
    TruncateEverywhere(b);
    FlipBytes(b, 1500, 7);
  }
}

TEST(ElfBadInput, CorpusTruncatedAndFlipped) {
  const char* env = std::getenv("BAREKIT_CORPUS");
  std::string dir = env && *env ? env
                                : std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") +
                                      "/.cache/barekit-corpus";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no corpus in " << dir;
  int seen = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file() || it->is_symlink() || it->file_size() < 64) continue;
    auto m = MappedFile::Open(it->path().string());
    if (!m.ok() || std::memcmp(m->bytes().data(),
                               "\x7f"
                               "ELF",
                               4) != 0)
      continue;
    SCOPED_TRACE(it->path().string());
    Bytes b = m->bytes();
    // Truncations straight from the mapping (prefix spans: no copies).
    for (size_t i = 0; i <= 64; ++i) OpenAndTouchEverything(b.first(b.size() * i / 64));
    for (size_t i = 1; i <= 64; ++i) OpenAndTouchEverything(b.first(b.size() - i));
    if (HasFatalFailure()) return;
    std::string copy(reinterpret_cast<const char*>(b.data()), b.size());
    FlipBytes(std::move(copy), 200, static_cast<uint32_t>(seen));
    if (HasFatalFailure()) return;
    ++seen;
  }
  if (seen == 0) GTEST_SKIP() << "no ELF files in " << dir;
}

// The messages for the classic attacks name the table and its offset.
TEST(ElfBadInput, HugeCountsAndOffsetsNameTheOffset) {
  std::string good = SampleSynthetic();
  MiniElf e;  // for Put (little-endian 64-bit)
  auto open = [](const std::string& b) { return TryOpenElf(AsBytes(b)); };
  const uint64_t shoff = LoadUint(AsBytes(good).data() + 40, 8, Endian::kLittle);
  {
    std::string b = good;
    e.Put(b, 60, 0xfeff, 2);  // e_shnum
    auto r = open(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
    EXPECT_THAT(r.status().message(),
                ::testing::MatchesRegex(
                    "section header table at 0x[0-9a-f]+ \\(65279 entries of 0x40 bytes\\) "
                    "runs past end of file \\(size 0x[0-9a-f]+\\)"));
  }
  {
    std::string b = good;
    e.Put(b, 60, 0, 2);                   // e_shnum = 0: real count in section 0's sh_size
    e.Put(b, shoff + 32, 1ull << 60, 8);  // absurd: overflows count * entry size
    auto r = open(b);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("section header table at 0x"));
  }
  {
    std::string b = good;
    e.Put(b, 32, 0xfffffffffffffff0ull, 8);  // e_phoff near 2^64
    auto r = open(b);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(),
                ::testing::HasSubstr("program header table at 0xfffffffffffffff0"));
  }
  {
    std::string b = good;
    e.Put(b, 40, b.size() - 10, 8);  // e_shoff: table starts 10 bytes before the end
    auto r = open(b);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(),
                ::testing::HasSubstr("section header table at " + std::string("0x")));
  }
  {
    std::string b = good;
    e.Put(b, 58, 8, 2);  // e_shentsize smaller than a header
    auto r = open(b);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("section header entry size 0x8"));
  }
  {
    std::string b = good;
    e.Put(b, 62, 200, 2);  // e_shstrndx out of range
    auto r = open(b);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("section name table index 200"));
  }
  {
    std::string b = good;
    b[4] = 7;  // EI_CLASS
    auto r = open(b);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "unknown ELF class 7 at 0x4");
  }
  {
    auto r = open(good.substr(0, 10));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
    EXPECT_THAT(r.status().message(), ::testing::HasSubstr("truncated"));
  }
  {
    auto r = open(good.substr(0, 40));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(),
              "ELF header runs past end of file (size 0x28, header needs 0x40)");
  }
}

TEST(ElfBadInput, SegmentPastEndNamesItsHeader) {
  std::string good = SampleSynthetic();
  MiniElf e;
  std::string b = good;
  // Program header 0 (PT_LOAD at 0x40): p_filesz = 1 MiB.
  e.Put(b, 64 + 32, 1 << 20, 8);
  auto r = TryOpenElf(AsBytes(b));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              ::testing::MatchesRegex(
                  "program header 0 at 0x40 \\(PT_LOAD\\): file bytes 0x[0-9a-f]+\\+0x100000 "
                  "run past end of file \\(size 0x[0-9a-f]+\\)"));
}

TEST(ElfBadInput, DynamicNameOutsideStringTable) {
  std::string good = SampleSynthetic();
  // DT_NEEDED's value (the first dynamic entry's d_val) points far outside DT_STRSZ.
  size_t at = good.find(std::string("\x01\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0", 16));
  ASSERT_NE(at, std::string::npos);
  std::string b = good;
  MiniElf e;
  e.Put(b, at + 8, 0x7fff0000, 8);
  auto r = TryOpenElf(AsBytes(b));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(
      r.status().message(),
      ::testing::MatchesRegex("dynamic table at 0x[0-9a-f]+: DT_NEEDED name offset 0x7fff0000 is "
                              "outside the string table \\(size 0x[0-9a-f]+\\)"));
}

TEST(ElfBadInput, VersionNeedsCountBeyondTable) {
  std::string good = SampleSynthetic();
  size_t at = good.find(std::string("\xff\xff\xff\x6f\0\0\0\0\x01\0\0\0\0\0\0\0", 16));
  ASSERT_NE(at, std::string::npos);
  std::string b = good;
  MiniElf e;
  e.Put(b, at + 8, 0xffffffff, 8);  // DT_VERNEEDNUM
  // The one record's vn_next is 0, so a huge count stops there; make vn_next point onwards.
  auto r0 = TryOpenElf(AsBytes(b));
  ASSERT_TRUE(r0.ok()) << r0.status().message();
  size_t vn = good.find(std::string("\x01\0\x01\0\x01\0\0\0\x10\0\0\0\0\0\0\0", 16));
  ASSERT_NE(vn, std::string::npos);
  e.Put(b, vn + 12, 0x20, 4);
  auto r = TryOpenElf(AsBytes(b));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("version needs at 0x"));
}

}  // namespace
}  // namespace barekit::exe
