// UPX detection. Debian 12 ships no UPX (upx-ucl left bookworm), so the packed files here are
// laid out by hand after UPX's documented structures: l_info + p_info right after the ELF
// program headers, the "$Info"/"$Id" stub strings, and the PackHeader at the end of the file.
// When a `upx` binary is installed, the test also packs real programs with it.
#include "exe/upx.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/mapped_file.h"
#include "exe/elf.h"
#include "exe/elf_test_util.h"

namespace barekit::exe {
namespace {

using testing_util::MiniElf;

std::string Le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

// A PackHeader (version 13/14 layout): "UPX!", version, format, method, level, u_adler,
// c_adler, u_len, c_len, u_file_size, filter, filter_cto, n_mru, checksum.
std::string PackHeader(int version, int format, int method, uint32_t file_size) {
  std::string h = "UPX!";
  h += static_cast<char>(version);
  h += static_cast<char>(format);
  h += static_cast<char>(method);
  h += static_cast<char>(9);
  h += Le32(0x12345678) + Le32(0x9abcdef0) + Le32(4096) + Le32(2048) + Le32(file_size);
  h += std::string("\x26\x00\x00\x00", 4);
  return h;
}

// An ELF shaped like UPX's output for linux/amd64: no section headers, two PT_LOADs, l_info
// and p_info after the program headers, the stub strings, the PackHeader and overlay offset last.
std::string PackedElf(bool with_strings, bool with_pack_header, int method) {
  MiniElf e;
  e.with_sections = false;
  std::string body;
  body +=
      Le32(0) + "UPX!" + std::string("\xd4\x0c", 2) + static_cast<char>(13) + static_cast<char>(22);
  body += Le32(0) + Le32(1'500'000) + Le32(1'500'000);  // p_info
  body += Le32(1'500'000) + Le32(600'000) + static_cast<char>(method) + std::string(3, '\0');
  body += std::string(200, '\x5a');
  if (with_strings) {
    body += "$Info: This file is packed with the UPX executable packer http://upx.sf.net $\n";
    body += "$Id: UPX 3.96 Copyright (C) 1996-2020 the UPX Team. All Rights Reserved. $\n";
  }
  body += std::string(300, '\x33');
  e.segs.push_back({.type = 1, .flags = 5, .vaddr = 0x400000, .data = body, .align = 0x1000});
  e.segs.push_back({.type = 1, .flags = 6, .vaddr = 0x800000, .data = "", .extra_mem = 0x1000});
  std::string b = e.Build();
  if (with_pack_header) b += PackHeader(13, 22, method, 1'500'000) + Le32(0x100);
  return b;
}

TEST(Upx, PackedElfWithEveryMark) {
  std::string b = PackedElf(true, true, 14);
  auto u = DetectUpx(AsBytes(b));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->version, "3.96");
  EXPECT_EQ(u->method, 14);
  EXPECT_EQ(u->MethodName(), "LZMA");
  EXPECT_EQ(u->FormatName(), "linux/amd64");
  EXPECT_EQ(u->pack_version, 13);
  EXPECT_EQ(u->uncompressed_size, 1'500'000u);
  EXPECT_EQ(u->Describe(), "UPX 3.96, method LZMA");

  // The ELF reader reports it as packed, with what the outer header still says.
  auto r = TryOpenElf(AsBytes(b));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->packer, "upx");
  EXPECT_EQ(r->packer_detail, "UPX 3.96, method LZMA");
  EXPECT_EQ(r->arch, "amd64");
  EXPECT_EQ(r->os, "linux");
  EXPECT_EQ(r->linkage.kind, LinkKind::kStatic);
  EXPECT_TRUE(r->sections.empty());
}

TEST(Upx, PackHeaderAloneGivesMethodButNoRelease) {
  std::string b = PackedElf(false, true, 8);
  auto u = DetectUpx(AsBytes(b));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->version, "");
  EXPECT_EQ(u->Describe(), "UPX (version unknown), method NRV2E");
}

TEST(Upx, StringsAloneAreEnough) {
  std::string b = PackedElf(true, false, 2);
  auto u = DetectUpx(AsBytes(b));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->version, "3.96");
  EXPECT_EQ(u->Describe(), "UPX 3.96");
}

TEST(Upx, OrdinaryBinariesAreNotPacked) {
  for (const char* p : {"/bin/ls", "/bin/true"}) {
    auto m = MappedFile::Open(p);
    ASSERT_TRUE(m.ok());
    EXPECT_FALSE(DetectUpx(m->bytes()).has_value()) << p;
  }
  // The magic alone (e.g. a program that mentions UPX) is not a packed file.
  std::string b = std::string(100, 'a') + "UPX!" + std::string(100, 'b');
  EXPECT_FALSE(DetectUpx(AsBytes(b)).has_value());
  EXPECT_FALSE(DetectUpx({}).has_value());
}

TEST(Upx, PackHeaderWithInvalidFieldsIsIgnored) {
  // Unknown format 200 and method 99: not a PackHeader, and without the strings not UPX.
  std::string b =
      std::string(64, '\0') + "UPX!" + std::string("\x0d\xc8\x63\x09", 4) + std::string(64, '\0');
  EXPECT_FALSE(DetectUpx(AsBytes(b)).has_value());
}

// With a real UPX on the machine, pack a static C program and check the report.
TEST(Upx, RealUpxWhenInstalled) {
  std::string upx;
  for (const char* name : {"upx", "upx-ucl"}) {
    if (testing_util::HaveTool(name)) upx = name;
  }
  if (upx.empty()) GTEST_SKIP() << "no upx installed (Debian 12 has no upx-ucl package)";
  if (!testing_util::HaveTool("gcc")) GTEST_SKIP() << "no gcc";
  testing_util::TempDir dir;
  std::ofstream(dir / "h.c") << "#include <stdio.h>\nint main(){puts(\"hi\");return 0;}\n";
  int st = 0;
  std::string log =
      testing_util::Shell("gcc -O2 -static -o '" + (dir / "h") + "' '" + (dir / "h.c") +
                              "' 2>&1 && " + upx + " -q --lzma '" + (dir / "h") + "' 2>&1",
                          &st);
  ASSERT_EQ(st, 0) << log;
  auto m = MappedFile::Open(dir / "h");
  ASSERT_TRUE(m.ok());
  auto r = TryOpenElf(m->bytes());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->packer, "upx");
  EXPECT_THAT(r->packer_detail, ::testing::HasSubstr("LZMA"));
  EXPECT_EQ(r->arch, "amd64");
}

}  // namespace
}  // namespace barekit::exe
