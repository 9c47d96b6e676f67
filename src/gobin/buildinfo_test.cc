#include "gobin/buildinfo.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "exe/object_file.h"
#include "gobin/corpus_testing.h"
#include "gobin/modinfo.h"

namespace barekit::gobin {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Module text

// What Go 1.19 stores for a module build with a replaced dependency (note the empty line that
// BuildInfo.String writes after every `=>` line).
constexpr std::string_view kGo119Text =
    "path\texample.com/app\n"
    "mod\texample.com/app\t(devel)\t\n"
    "dep\texample.com/greet\tv1.2.3\n"
    "=>\t../greet\t(devel)\t\n"
    "\n"
    "dep\tgolang.org/x/sys\tv0.1.0\th1:abc=\n"
    "build\t-compiler=gc\n"
    "build\t-ldflags=\"-s -w\"\n"
    "build\tCGO_ENABLED=0\n"
    "build\tvcs.modified=false\n";

TEST(ModInfo, ParsesEveryLineKind) {
  BuildInfo bi;
  ASSERT_TRUE(ParseModInfo(kGo119Text, &bi).ok());
  EXPECT_EQ(bi.path, "example.com/app");
  ASSERT_TRUE(bi.main);
  EXPECT_EQ(bi.main->path, "example.com/app");
  EXPECT_EQ(bi.main->version, "(devel)");
  EXPECT_EQ(bi.main->sum, "");
  EXPECT_FALSE(bi.main->replace);
  ASSERT_EQ(bi.deps.size(), 2u);
  EXPECT_EQ(bi.deps[0].path, "example.com/greet");
  EXPECT_EQ(bi.deps[0].version, "v1.2.3");
  EXPECT_EQ(bi.deps[0].sum, "");  // a replaced module has no sum column
  ASSERT_TRUE(bi.deps[0].replace);
  EXPECT_EQ(bi.deps[0].replace->path, "../greet");
  EXPECT_EQ(bi.deps[0].replace->version, "(devel)");
  EXPECT_EQ(bi.deps[1].sum, "h1:abc=");
  EXPECT_FALSE(bi.deps[1].replace);
  ASSERT_EQ(bi.settings.size(), 4u);
  EXPECT_EQ(bi.settings[1].key, "-ldflags");
  EXPECT_EQ(bi.settings[1].value, "-s -w");
  ASSERT_NE(bi.Setting("CGO_ENABLED"), nullptr);
  EXPECT_EQ(*bi.Setting("CGO_ENABLED"), "0");
  EXPECT_EQ(bi.Setting("GOOS"), nullptr);
}

TEST(ModInfo, FormatReproducesGoText) {
  BuildInfo bi;
  ASSERT_TRUE(ParseModInfo(kGo119Text, &bi).ok());
  EXPECT_EQ(FormatModInfo(bi), kGo119Text);
}

TEST(ModInfo, QuotedKeysAndValues) {
  BuildInfo bi;
  ASSERT_TRUE(ParseModInfo("build\t\"a key\"=`raw \\n value`\n"
                           "build\t-gcflags=\"all=-N -l\\t\\x41\\u00e9\\U0001F600\\101\"\n"
                           "build\tempty=\n"
                           "build\t`k`=v\n",
                           &bi)
                  .ok());
  ASSERT_EQ(bi.settings.size(), 4u);
  EXPECT_EQ(bi.settings[0].key, "a key");
  EXPECT_EQ(bi.settings[0].value, "raw \\n value");
  EXPECT_EQ(bi.settings[1].value,
            "all=-N -l\tA\xc3\xa9\xf0\x9f\x98\x80"
            "A");
  EXPECT_EQ(bi.settings[2].value, "");
  EXPECT_EQ(bi.settings[3].key, "k");
  // Formatting quotes with strconv.Quote: raw strings come back double-quoted.
  EXPECT_EQ(FormatModInfo(bi),
            "build\t\"a key\"=\"raw \\\\n value\"\n"
            "build\t-gcflags=\"all=-N -l\\tAé😀A\"\n"
            "build\tempty=\n"
            "build\tk=v\n");
}

TEST(ModInfo, GopathBuildHasNoModuleText) {
  BuildInfo bi;
  bi.go_version = "go1.16.15";
  ASSERT_TRUE(ParseModInfo("", &bi).ok());
  EXPECT_FALSE(bi.main);
  EXPECT_EQ(FormatGoVersionM("bin/x", bi), "bin/x: go1.16.15\n");
}

TEST(ModInfo, PathOnlyAndUnterminatedLastLine) {
  BuildInfo bi;
  bi.go_version = "go1.19.8";
  // Go ignores text after the last newline and lines it does not know.
  ASSERT_TRUE(
      ParseModInfo("path\tcommand-line-arguments\nweird\tline\nbuild\tGOOS=linux", &bi).ok());
  EXPECT_EQ(bi.path, "command-line-arguments");
  EXPECT_TRUE(bi.settings.empty());
  EXPECT_EQ(FormatGoVersionM("a b", bi), "a b: go1.19.8\n\tpath\tcommand-line-arguments\n");
}

TEST(ModInfo, ReplacedMainModule) {
  BuildInfo bi;
  ASSERT_TRUE(ParseModInfo("mod\tm\tv1\n=>\t/x\t\t\n", &bi).ok());
  ASSERT_TRUE(bi.main && bi.main->replace);
  EXPECT_EQ(bi.main->replace->path, "/x");
  EXPECT_EQ(FormatModInfo(bi), "mod\tm\tv1\n=>\t/x\t\t\n\n");
}

TEST(ModInfo, ErrorsNameTheLine) {
  struct Case {
    std::string_view text, message;
  } cases[] = {
      {"path\tp\n=>\ta\tb\tc\n", "line 2: replacement with no module on previous line"},
      {"dep\ta\tb\n=>\ta\tb\tc\n=>\ta\tb\tc\n", "line 3: replacement with no module"},
      {"dep\ta\n", "line 1: expected 2 or 3 columns; got 1"},
      {"mod\ta\tb\tc\td\n", "line 1: expected 2 or 3 columns; got 4"},
      {"dep\ta\tb\n=>\ta\tb\n", "line 2: expected 3 columns for replacement; got 2"},
      {"build\t\n", "line 1: build line missing '='"},
      {"build\t=x\n", "line 1: build line with missing key"},
      {"build\tkey\n", "line 1: build line missing '=' after key"},
      {"build\tk=a b\n", "line 1: unquoted value \"a b\" must be quoted"},
      {"build\t\"k\"\n", "line 1: build line missing '=' after quoted key"},
      {"build\t\"k\"x\n", "line 1: unexpected character after quoted key: 'x'"},
      {"build\t\"k\n", "line 1: invalid quoted key in build line"},
      {"build\tk=\"a\\q\"\n", "line 1: invalid quoted value in build line"},
      {"build\tk=\"a\"b\n", "line 1: invalid quoted value in build line"},
  };
  for (const Case& c : cases) {
    BuildInfo bi;
    Status st = ParseModInfo(c.text, &bi);
    ASSERT_FALSE(st.ok()) << c.text;
    EXPECT_EQ(st.code(), ErrorCode::kCorrupt);
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st.message();
    EXPECT_EQ(st.message().rfind("could not parse Go build info: ", 0), 0u) << st.message();
  }
}

TEST(GoQuoting, UnquoteFollowsStrconv) {
  EXPECT_EQ(GoUnquote("\"a\\\"b\\\\c\\n\\t\\x7f\\u263a\""), "a\"b\\c\n\t\x7f\xe2\x98\xba");
  EXPECT_EQ(GoUnquote("`a\r\\n`"), "a\\n");  // raw strings drop CR, keep backslashes
  EXPECT_EQ(GoUnquote("'x'"), "x");
  EXPECT_EQ(GoUnquote("\"\\377\""), "\xff");
  EXPECT_EQ(GoUnquote("\"\\xff\xff\""), "\xff\xef\xbf\xbd");  // a raw invalid byte becomes U+FFFD
  EXPECT_FALSE(GoUnquote("\"abc"));
  EXPECT_FALSE(GoUnquote("\"a\nb\""));
  EXPECT_FALSE(GoUnquote("\"\\400\""));
  EXPECT_FALSE(GoUnquote("\"\\ud800\""));
  EXPECT_FALSE(GoUnquote("\"\\'\""));
  EXPECT_FALSE(GoUnquote("\"a\"b"));
  EXPECT_FALSE(GoUnquote("x"));
  EXPECT_FALSE(GoUnquote("'ab'"));
  EXPECT_EQ(GoQuotedPrefix("\"a\\\"b\"=c"), "\"a\\\"b\"");
  EXPECT_EQ(GoQuotedPrefix("`a`b"), "`a`");
  EXPECT_FALSE(GoQuotedPrefix("\"a"));
}

TEST(GoQuoting, QuoteFollowsStrconv) {
  EXPECT_EQ(GoQuote("-s -w"), "\"-s -w\"");
  EXPECT_EQ(GoQuote("a\"b\\c\td\n\r\a\b\f\v\x01\x7f"),
            "\"a\\\"b\\\\c\\td\\n\\r\\a\\b\\f\\v\\x01\\x7f\"");
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");
  EXPECT_EQ(GoQuote("é 😀"), "\"é 😀\"");
  EXPECT_EQ(GoQuote("\xc2\x85\xc2\xa0\xe2\x80\x8b\xef\xbb\xbf"),
            "\"\\u0085\\u00a0\\u200b\\ufeff\"");
  EXPECT_EQ(GoQuote("\xf3\xb0\x80\x80"), "\"\\U000f0000\"");
  EXPECT_EQ(GoQuote("`"), "\"`\"");
}

// ---------------------------------------------------------------------------------------------
// Locating and decoding the blob in hand-built objects

class Image {
 public:
  void Put(uint64_t v, int n, Endian e) {
    for (int i = 0; i < n; ++i) {
      int shift = e == Endian::kLittle ? 8 * i : 8 * (n - 1 - i);
      bytes.push_back(static_cast<std::byte>((v >> shift) & 0xff));
    }
  }
  void PutString(std::string_view s) {
    for (char c : s) bytes.push_back(static_cast<std::byte>(c));
  }
  void PutUvarint(uint64_t v) {
    while (v >= 0x80) {
      bytes.push_back(static_cast<std::byte>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    bytes.push_back(static_cast<std::byte>(v));
  }
  void PadTo(size_t n) {
    while (bytes.size() < n) bytes.push_back(std::byte{0});
  }
  std::vector<std::byte> bytes;
};

std::string Framed(std::string_view text) {
  std::string s(16, '\x30');  // the sentinels' contents do not matter to the reader
  s += text;
  s += std::string(16, '\x31');
  return s;
}

// An ELF-like object whose whole file is one loaded region at `base`.
exe::ObjectFile ObjectOver(const std::vector<std::byte>& bytes, uint64_t base,
                           std::string_view section = ".go.buildinfo") {
  exe::ObjectFile obj;
  obj.format = exe::Format::kElf;
  obj.data = Bytes(bytes.data(), bytes.size());
  exe::Segment seg;
  seg.type = 1;
  seg.vaddr = base;
  seg.memsz = seg.filesz = bytes.size();
  seg.readable = seg.writable = true;
  obj.segments.push_back(seg);
  if (!section.empty()) {
    exe::Section s;
    s.name = section;
    s.addr = base;
    s.size = s.file_size = bytes.size();
    s.alloc = s.writable = true;
    obj.sections.push_back(s);
  }
  return obj;
}

std::vector<std::byte> InlineBlob(std::string_view version, std::string_view mod) {
  Image img;
  img.PutString("\xff Go buildinf:");
  img.Put(8, 1, Endian::kLittle);
  img.Put(2, 1, Endian::kLittle);
  img.PadTo(32);
  img.PutUvarint(version.size());
  img.PutString(version);
  img.PutUvarint(mod.size());
  img.PutString(mod);
  img.PadTo((img.bytes.size() + 15) / 16 * 16);
  return img.bytes;
}

TEST(ReadBuildInfo, InlineLayout) {
  std::vector<std::byte> blob = InlineBlob("go1.21.5", Framed("path\tp\nmod\tp\t(devel)\t\n"));
  exe::ObjectFile obj = ObjectOver(blob, 0x500000);
  auto bi = ReadBuildInfo(obj);
  ASSERT_TRUE(bi.ok()) << bi.status().message();
  EXPECT_TRUE(bi->inline_layout);
  EXPECT_EQ(bi->go_version, "go1.21.5");
  EXPECT_EQ(bi->modinfo, "path\tp\nmod\tp\t(devel)\t\n");
  EXPECT_EQ(bi->path, "p");
  EXPECT_EQ(bi->blob_offset, 0u);
  EXPECT_EQ(FormatGoVersionM("f", *bi), "f: go1.21.5\n\tpath\tp\n\tmod\tp\t(devel)\t\n");
}

TEST(ReadBuildInfo, ModuleTextWithoutFramingIsDropped) {
  // Go keeps the module text only when the 16-byte sentinels are recognisable.
  exe::ObjectFile obj;
  std::vector<std::byte> blob = InlineBlob("go1.20", "path\tp\n");
  obj = ObjectOver(blob, 0x1000);
  auto bi = ReadBuildInfo(obj);
  ASSERT_TRUE(bi.ok());
  EXPECT_EQ(bi->modinfo, "");
  EXPECT_EQ(bi->path, "");
}

TEST(ReadBuildInfo, MagicMustBeSixteenByteAligned) {
  Image img;
  img.PadTo(8);
  for (std::byte b : InlineBlob("go1.20", "")) img.bytes.push_back(b);
  img.PadTo(128);
  exe::ObjectFile obj = ObjectOver(img.bytes, 0x1000);
  auto bi = ReadBuildInfo(obj);
  EXPECT_TRUE(bi.status().IsNotFound()) << bi.status().message();

  // A misaligned copy before an aligned one does not hide the aligned one.
  Image img2;
  img2.PadTo(8);
  for (std::byte b : InlineBlob("go1.20", "")) img2.bytes.push_back(b);
  img2.PadTo(64);
  for (std::byte b : InlineBlob("go1.22.1", "")) img2.bytes.push_back(b);
  exe::ObjectFile obj2 = ObjectOver(img2.bytes, 0x1000);
  auto bi2 = ReadBuildInfo(obj2);
  ASSERT_TRUE(bi2.ok()) << bi2.status().message();
  EXPECT_EQ(bi2->go_version, "go1.22.1");
  EXPECT_EQ(bi2->blob_offset, 64u);
}

TEST(ReadBuildInfo, FallsBackToFirstWritableSegment) {
  std::vector<std::byte> blob = InlineBlob("go1.19.8", "");
  exe::ObjectFile obj = ObjectOver(blob, 0x2000, /*section=*/"");
  exe::Segment text;
  text.type = 1;
  text.vaddr = 0x1000;
  text.readable = text.executable = true;
  obj.segments.insert(obj.segments.begin(), text);
  auto bi = ReadBuildInfo(obj);
  ASSERT_TRUE(bi.ok()) << bi.status().message();
  EXPECT_EQ(bi->go_version, "go1.19.8");

  obj.segments.back().writable = false;  // no writable data segment: nothing to search
  EXPECT_TRUE(ReadBuildInfo(obj).status().IsNotFound());
}

TEST(ReadBuildInfo, NotFoundInOtherBytes) {
  std::vector<std::byte> junk(4096, std::byte{0x5a});
  exe::ObjectFile obj = ObjectOver(junk, 0x1000);
  auto bi = ReadBuildInfo(obj);
  EXPECT_TRUE(bi.status().IsNotFound());
  EXPECT_EQ(bi.status().message(), "no Go build info");
}

TEST(ReadBuildInfo, InlineLengthsAreBounded) {
  Image img;
  img.PadTo(0x40);
  for (std::byte b : InlineBlob("go1.20", "")) img.bytes.push_back(b);
  // Corrupt the version length into a huge varint.
  img.bytes[0x40 + 32] = std::byte{0xff};
  img.bytes[0x40 + 33] = std::byte{0xff};
  img.bytes[0x40 + 34] = std::byte{0x7f};
  exe::ObjectFile obj = ObjectOver(img.bytes, 0x1000);
  auto bi = ReadBuildInfo(obj);
  ASSERT_FALSE(bi.ok());
  EXPECT_EQ(bi.status().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(bi.status().message().rfind("build info at 0x40: Go version length ", 0), 0u)
      << bi.status().message();

  // A varint that never ends.
  img.PadTo(0x40 + 32);
  img.bytes.resize(0x40 + 32);
  for (int i = 0; i < 16; ++i) img.bytes.push_back(std::byte{0x80});
  exe::ObjectFile obj2 = ObjectOver(img.bytes, 0x1000);
  auto bi2 = ReadBuildInfo(obj2);
  ASSERT_FALSE(bi2.ok());
  EXPECT_NE(bi2.status().message().find("bad Go version length"), std::string::npos);
}

TEST(ReadBuildInfo, BadModuleTextIsCorruptWithOffset) {
  std::vector<std::byte> blob = InlineBlob("go1.20", Framed("dep\tonly-one-column\n"));
  exe::ObjectFile obj = ObjectOver(blob, 0x1000);
  auto bi = ReadBuildInfo(obj);
  ASSERT_FALSE(bi.ok());
  EXPECT_EQ(bi.status().message(),
            "build info at 0x0: could not parse Go build info: line 1: expected 2 or 3 columns; "
            "got 1");
}

// Go 1.13-1.17: the header holds pointers to two Go string headers {ptr, len}.
std::vector<std::byte> PointerImage(uint64_t base, int ptr_size, Endian e, std::string_view version,
                                    std::string_view mod) {
  Image img;
  img.PutString("\xff Go buildinf:");
  img.Put(static_cast<uint64_t>(ptr_size), 1, e);
  img.Put(e == Endian::kBig ? 1 : 0, 1, e);
  const uint64_t hdrs = 0x40, strs = 0x80;
  img.Put(base + hdrs, ptr_size, e);
  img.Put(base + hdrs + 2 * ptr_size, ptr_size, e);
  img.PadTo(hdrs);
  img.Put(base + strs, ptr_size, e);
  img.Put(version.size(), ptr_size, e);
  img.Put(mod.empty() ? 0 : base + strs + version.size(), ptr_size, e);
  img.Put(mod.size(), ptr_size, e);
  img.PadTo(strs);
  img.PutString(version);
  img.PutString(mod);
  return img.bytes;
}

TEST(ReadBuildInfo, PointerLayoutBothWidthsAndByteOrders) {
  std::string mod = Framed("path\tx\nmod\tx\tv1.0.0\th1:s=\n");
  struct Case {
    int ptr_size;
    Endian e;
  } cases[] = {{8, Endian::kLittle}, {4, Endian::kLittle}, {8, Endian::kBig}, {4, Endian::kBig}};
  for (const Case& c : cases) {
    std::vector<std::byte> img = PointerImage(0x10000, c.ptr_size, c.e, "go1.16.15", mod);
    exe::ObjectFile obj = ObjectOver(img, 0x10000);
    auto bi = ReadBuildInfo(obj);
    ASSERT_TRUE(bi.ok()) << c.ptr_size << " " << bi.status().message();
    EXPECT_FALSE(bi->inline_layout);
    EXPECT_EQ(bi->go_version, "go1.16.15");
    ASSERT_TRUE(bi->main);
    EXPECT_EQ(bi->main->sum, "h1:s=");
  }
  // GOPATH build: runtime.modinfo is the empty string {0, 0}.
  std::vector<std::byte> img = PointerImage(0x10000, 8, Endian::kLittle, "go1.13", "");
  exe::ObjectFile obj = ObjectOver(img, 0x10000);
  auto bi = ReadBuildInfo(obj);
  ASSERT_TRUE(bi.ok()) << bi.status().message();
  EXPECT_EQ(FormatGoVersionM("old", *bi), "old: go1.13\n");
}

TEST(ReadBuildInfo, PointerLayoutDanglingPointers) {
  std::vector<std::byte> img = PointerImage(0x10000, 8, Endian::kLittle, "go1.16", "");
  // Version string header points far outside the image.
  for (int i = 0; i < 8; ++i) img[16 + i] = std::byte{0x7f};
  exe::ObjectFile obj = ObjectOver(img, 0x10000);
  auto bi = ReadBuildInfo(obj);
  ASSERT_FALSE(bi.ok());
  EXPECT_EQ(bi.status().message(),
            "build info at 0x0: the runtime.buildVersion string header at 0x7f7f7f7f7f7f7f7f is "
            "not in the file");

  // Huge string length.
  img = PointerImage(0x10000, 8, Endian::kLittle, "go1.16", "");
  for (int i = 0; i < 8; ++i) img[0x48 + i] = std::byte{0xff};
  obj = ObjectOver(img, 0x10000);
  bi = ReadBuildInfo(obj);
  ASSERT_FALSE(bi.ok());
  EXPECT_NE(bi.status().message().find("runtime.buildVersion string (0xffffffffffffffff bytes"),
            std::string::npos)
      << bi.status().message();

  // A pointer size that is neither 4 nor 8.
  img = PointerImage(0x10000, 8, Endian::kLittle, "go1.16", "");
  img[14] = std::byte{3};
  obj = ObjectOver(img, 0x10000);
  EXPECT_NE(ReadBuildInfo(obj).status().message().find("pointer size 3"), std::string::npos);
}

TEST(ReadBuildInfo, PeDataSectionByCharacteristics) {
  std::vector<std::byte> bytes(0x400, std::byte{0});
  std::vector<std::byte> blob = InlineBlob("go1.20.1", "");
  std::copy(blob.begin(), blob.end(), bytes.begin() + 0x200);
  exe::ObjectFile obj;
  obj.format = exe::Format::kPe;
  obj.image_base = 0x400000;
  obj.data = Bytes(bytes.data(), bytes.size());
  auto add = [&](std::string_view name, uint64_t rva, uint64_t off, uint64_t flags) {
    exe::Section s;
    s.name = name;
    s.addr = obj.image_base + rva;
    s.size = s.file_size = 0x100;
    s.offset = off;
    s.flags = flags;
    s.alloc = true;
    obj.sections.push_back(s);
  };
  add(".text", 0x1000, 0x0, 0x60000020);
  add(".rdata", 0x2000, 0x100, 0x40000040);
  add(".data", 0x3000, 0x200, 0xC0600040);  // 32-byte alignment bits are ignored
  auto bi = ReadBuildInfo(obj);
  ASSERT_TRUE(bi.ok()) << bi.status().message();
  EXPECT_EQ(bi->go_version, "go1.20.1");
  EXPECT_EQ(bi->blob_offset, 0x200u);
}

TEST(ReadGoBuildId, ElfNoteThenTextPrefix) {
  exe::ObjectFile obj;
  obj.go_build_id_note = "a/b/c/d";
  EXPECT_EQ(ReadGoBuildId(obj), "a/b/c/d");

  std::string text = "\xff Go build ID: \"xy\\\"z/1\"\n \xff" + std::string(64, '\xcc');
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()),
                               reinterpret_cast<const std::byte*>(text.data()) + text.size());
  exe::ObjectFile pe;
  pe.format = exe::Format::kPe;
  pe.data = Bytes(bytes.data(), bytes.size());
  exe::Section s;
  s.name = ".text";
  s.size = s.file_size = bytes.size();
  s.executable = s.alloc = true;
  pe.sections.push_back(s);
  EXPECT_EQ(ReadGoBuildId(pe), "xy\"z/1");

  // No end marker: no ID.
  bytes.resize(20);
  pe.data = Bytes(bytes.data(), bytes.size());
  pe.sections[0].size = pe.sections[0].file_size = bytes.size();
  EXPECT_FALSE(ReadGoBuildId(pe));
}

// ---------------------------------------------------------------------------------------------
// Real binaries: the corpus and the fixtures, against `go version -m`.

std::optional<BuildInfo> ReadFileBuildInfo(const std::string& path, std::string* error) {
  auto mapped = MappedFile::Open(path);
  if (!mapped.ok()) {
    *error = mapped.status().message();
    return std::nullopt;
  }
  auto objs = exe::OpenObject(mapped->bytes());
  if (!objs.ok()) {
    *error = objs.status().message();
    return std::nullopt;
  }
  // Go 1.19 reads thin files only; a fat Mach-O never reaches this comparison.
  auto bi = ReadBuildInfo(objs->front());
  if (!bi.ok()) {
    *error = bi.status().message();
    return std::nullopt;
  }
  return std::move(bi).value();
}

TEST(ReadBuildInfo, Esbuild0857IsGo116PointerLayout) {
  fs::path dir = fs::path(CorpusDir()) / "npm-esbuild-linux-64_0.8.57";
  fs::path bin = dir / "package/bin/esbuild";
  if (!fs::exists(bin)) GTEST_SKIP() << bin << " absent (run corpus/fetch)";
  std::string error;
  auto bi = ReadFileBuildInfo(bin.string(), &error);
  ASSERT_TRUE(bi) << error;
  EXPECT_FALSE(bi->inline_layout);
  EXPECT_EQ(bi->go_version.rfind("go1.16", 0), 0u) << bi->go_version;
  ASSERT_TRUE(bi->main);
  EXPECT_EQ(bi->path, "github.com/evanw/esbuild/cmd/esbuild");
}

// Runs `go version -m DIR` and splits its output into one chunk per file.
std::map<std::string, std::string> GoVersionM(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::string cmd = "go version -m '" + dir + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::string all;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) all.append(buf, n);
  pclose(p);
  std::string current;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t nl = all.find('\n', pos);
    if (nl == std::string::npos) nl = all.size() - 1;
    std::string line = all.substr(pos, nl + 1 - pos);
    pos = nl + 1;
    if (line[0] != '\t') {
      size_t colon = line.rfind(": go");
      if (colon == std::string::npos) colon = line.rfind(": ");
      current = line.substr(0, colon);
    }
    out[current] += line;
  }
  return out;
}

void CompareWithGo(const std::string& dir, size_t min_files) {
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " absent";
  if (std::system("go version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no go tool";
  std::map<std::string, std::string> want = GoVersionM(dir);
  size_t compared = 0;
  for (const auto& [file, text] : want) {
    std::string error;
    auto bi = ReadFileBuildInfo(file, &error);
    if (!bi) {
      ADD_FAILURE() << file << ": go reads it but barekit: " << error;
      continue;
    }
    EXPECT_EQ(FormatGoVersionM(file, *bi), text) << file;
    ++compared;
  }
  // Where Go finds nothing in a thin executable, barekit must not invent build info either
  // (esbuild 0.28 and C programs have none: NotFound, not Corrupt).
  size_t absent = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || want.count(entry.path().string())) continue;
    auto mapped = MappedFile::Open(entry.path().string());
    if (!mapped.ok()) continue;
    auto objs = exe::OpenObject(mapped->bytes());
    if (!objs.ok() || objs->size() != 1) continue;
    auto bi = ReadBuildInfo(objs->front());
    EXPECT_TRUE(bi.status().IsNotFound()) << entry.path() << ": go reads no build info but barekit "
                                          << (bi.ok() ? "found some" : bi.status().message());
    ++absent;
  }
  std::printf("compared %zu binaries under %s with go version -m; %zu more without build info\n",
              compared, dir.c_str(), absent);
  EXPECT_GE(compared, min_files);
}

std::string RunCommand(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// The Go build ID of every Go binary (ELF note, PE and Mach-O text prefix) equals what
// `go tool buildid` prints.
void CompareBuildIdsWithGo(const std::string& dir, size_t min_files) {
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " absent";
  if (std::system("go version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no go tool";
  size_t compared = 0;
  for (const auto& [file, text] : GoVersionM(dir)) {
    std::string want = RunCommand("go tool buildid '" + file + "' 2>/dev/null");
    if (want.empty() || want.back() != '\n') continue;
    want.pop_back();
    auto mapped = MappedFile::Open(file);
    ASSERT_TRUE(mapped.ok()) << file;
    auto objs = exe::OpenObject(mapped->bytes());
    ASSERT_TRUE(objs.ok()) << file;
    EXPECT_EQ(ReadGoBuildId(objs->front()).value_or("<none>"), want) << file;
    ++compared;
  }
  std::printf("compared %zu build IDs under %s with go tool buildid\n", compared, dir.c_str());
  EXPECT_GE(compared, min_files);
}

TEST(GoBuildIdOracle, Fixtures) { CompareBuildIdsWithGo(FixturesDir(), 30); }
TEST(GoBuildIdOracle, Corpus) { CompareBuildIdsWithGo(CorpusDir(), 10); }

TEST(GoVersionOracle, Fixtures) { CompareWithGo(FixturesDir(), 30); }

// The hand-laid ELF seeds of the fuzz target (inline layout, GOPATH build, 32-bit big-endian
// pointer layout) are read by Go's own reader too; go version needs the executable bit.
TEST(GoVersionOracle, HandLaidSeeds) {
  fs::path seeds = fs::path(BAREKIT_SOURCE_DIR) / "fuzz/seeds/gobin_buildinfo_fuzz";
  if (!fs::is_directory(seeds)) GTEST_SKIP() << seeds << " absent";
  fs::path dir =
      fs::temp_directory_path() / ("barekit-buildinfo-seeds-" + std::to_string(getpid()));
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(seeds)) {
    if (e.path().extension() != ".elf") continue;
    fs::path to = dir / e.path().filename();
    fs::copy_file(e.path(), to, fs::copy_options::overwrite_existing);
    fs::permissions(to, fs::perms::owner_all);
  }
  CompareWithGo(dir.string(), 3);
  fs::remove_all(dir);
}
TEST(GoVersionOracle, Corpus) { CompareWithGo(CorpusDir(), 10); }

}  // namespace
}  // namespace barekit::gobin
