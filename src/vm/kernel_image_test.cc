#include "vm/kernel_image.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "archive/test_util.h"
#include "vm/kernel_fetch.h"

namespace barekit::vm {
namespace {

std::string Put(std::string s, size_t off, std::string_view bytes) {
  if (s.size() < off + bytes.size()) s.resize(off + bytes.size(), '\0');
  s.replace(off, bytes.size(), bytes);
  return s;
}

Result<KernelImage> Identify(const std::string& s) { return IdentifyKernel(AsBytes(s)); }

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// x86 setup header: "HdrS" at 0x202, protocol at 0x206, xloadflags at 0x236.
std::string X86Header(uint16_t protocol, uint16_t xloadflags) {
  std::string s(0x400, '\0');
  s = Put(s, 0, "MZ");
  s = Put(s, 0x202, "HdrS");
  s[0x206] = static_cast<char>(protocol & 0xff);
  s[0x207] = static_cast<char>(protocol >> 8);
  s[0x236] = static_cast<char>(xloadflags & 0xff);
  return s;
}

std::string Arm64Header() {
  return Put(Put(std::string(64, '\0'), 0, "MZ\x40\xfa"), 0x38, "ARM\x64");
}

TEST(KernelImage, X86SixtyFourBitBzImage) {
  auto k = Identify(X86Header(0x20f, 0x1));
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->arch, "amd64");
  EXPECT_EQ(k->format, "bzImage");
}

TEST(KernelImage, X86ThirtyTwoBitAndOldProtocol) {
  EXPECT_EQ(Identify(X86Header(0x20f, 0x0))->arch, "i386");
  EXPECT_EQ(Identify(X86Header(0x20a, 0x1))->arch, "x86");
}

TEST(KernelImage, Arm64ImageEvenThoughItStartsLikePe) {
  auto k = Identify(Arm64Header());
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->arch, "arm64");
  EXPECT_EQ(k->format, "Image");
}

TEST(KernelImage, RiscvAndArmZImage) {
  EXPECT_EQ(Identify(Put(std::string(64, '\0'), 0x38, "RSC\x05"))->arch, "riscv64");
  EXPECT_EQ(Identify(Put(std::string(64, '\0'), 0x24, "\x18\x28\x6f\x01"))->arch, "arm");
}

TEST(KernelImage, ElfVmlinux) {
  std::string e = Put(std::string(64, '\0'), 0,
                      "\x7f"
                      "ELF\x02\x01");
  e[18] = 62;
  EXPECT_EQ(Identify(e)->arch, "amd64");
  e[18] = static_cast<char>(183);
  EXPECT_EQ(Identify(e)->arch, "arm64");
  EXPECT_EQ(Identify(e)->format, "ELF");
  e[18] = 99;  // an unknown machine is not a kernel we can tell
  EXPECT_TRUE(Identify(e).status().IsNotMine());
}

TEST(KernelImage, EfiZbootUsesPeMachine) {
  std::string s(0x100, '\0');
  s = Put(s, 0, "MZ");
  s = Put(s, 4, "zimg");
  s = Put(s, 0x3c, std::string("\x80\0\0\0", 4));
  s = Put(s, 0x80, std::string("PE\0\0\x64\xaa", 6));
  auto k = Identify(s);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->arch, "arm64");
  EXPECT_EQ(k->format, "EFI zboot");
}

TEST(KernelImage, GzippedArm64Image) {
  std::string img = Arm64Header() + std::string(1 << 16, 'x');
  auto k = Identify(Gzip(img));
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->arch, "arm64");
  EXPECT_EQ(k->format, "Image.gz");
}

TEST(KernelImage, GzipOfSomethingElseIsNotMine) {
  EXPECT_TRUE(Identify(Gzip("hello world")).status().IsNotMine());
  auto broken = Identify(std::string("\x1f\x8b\x08\x00garbage", 12));
  EXPECT_FALSE(broken.ok());
}

TEST(KernelImage, TruncatedAndEmptyInputsAreRefused) {
  EXPECT_TRUE(Identify("").status().IsNotMine());
  std::string x86 = X86Header(0x20f, 1).substr(0, 0x204);  // "HdrS" cut in half
  EXPECT_TRUE(Identify(x86).status().IsNotMine());
  EXPECT_TRUE(Identify(Arm64Header().substr(0, 0x3a)).status().IsNotMine());
  auto k = Identify(std::string(4096, 'A'));
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.status().message().find("0x202"), std::string::npos) << k.status().message();
}

TEST(KernelImage, KernelArchNamesTheFile) {
  auto r = KernelArch("/nonexistent/vmlinuz");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/vmlinuz"), std::string::npos);
  auto r2 = KernelArch(BAREKIT_SOURCE_DIR "/CMakeLists.txt");
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("CMakeLists.txt"), std::string::npos);
}

std::string FileOracle(const std::string& path) {
  return testing::RunCommand("file -b '" + path + "'").output;
}

// The kernels `barekit kernel fetch` put in the cache, checked against file(1). Skipped when
// nothing was fetched on this machine.
TEST(KernelImage, RealFetchedKernelsAgreeWithFile) {
  const char* env = std::getenv("BAREKIT_KERNEL_CACHE");
  std::string cache = env && *env ? env : DefaultKernelCache();
  std::error_code ec;
  int seen = 0;
  for (auto it = std::filesystem::directory_iterator(cache, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    auto boot = it->path() / "boot";
    if (!std::filesystem::is_directory(boot)) continue;
    for (const auto& f : std::filesystem::directory_iterator(boot)) {
      std::string path = f.path().string();
      auto arch = KernelArch(path);
      ASSERT_TRUE(arch.ok()) << arch.status().message();
      std::string oracle = FileOracle(path);
      if (oracle.find("x86 boot executable") != std::string::npos) {
        EXPECT_EQ(*arch, "amd64") << path;
      } else if (oracle.find("ARM64") != std::string::npos) {
        EXPECT_EQ(*arch, "arm64") << path;
      } else {
        ADD_FAILURE() << path << ": file(1) says " << oracle;
      }
      ++seen;
    }
  }
  if (seen == 0) GTEST_SKIP() << "no fetched kernels in " << cache;
}

}  // namespace
}  // namespace barekit::vm
