#include "vm/kernel_fetch.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace barekit::vm {
namespace {

namespace fs = std::filesystem;

TEST(KernelFetch, DefaultFlavorPerArch) {
  EXPECT_EQ(DefaultFlavor("amd64"), "cloud");
  EXPECT_EQ(DefaultFlavor("arm64"), "generic");  // gpio_keys, for the power key on virt
}

TEST(KernelFetch, MetaPackageNames) {
  EXPECT_EQ(*MetaPackage("amd64", "cloud"), "linux-image-cloud-amd64");
  EXPECT_EQ(*MetaPackage("arm64", "generic"), "linux-image-arm64");
  EXPECT_EQ(*MetaPackage("arm64", "cloud"), "linux-image-cloud-arm64");
  auto bad = MetaPackage("riscv64", "cloud");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "--arch riscv64: expected amd64 or arm64");
  EXPECT_FALSE(MetaPackage("amd64", "rt").ok());
}

TEST(KernelFetch, DefaultCacheFollowsXdg) {
  const char* old = getenv("XDG_CACHE_HOME");
  std::string saved = old ? old : "";
  setenv("XDG_CACHE_HOME", "/x/cache", 1);
  EXPECT_EQ(DefaultKernelCache(), "/x/cache/barekit/kernels");
  setenv("XDG_CACHE_HOME", "relative", 1);  // the spec ignores relative paths
  EXPECT_NE(DefaultKernelCache().find("/.cache/barekit/kernels"), std::string::npos);
  if (old)
    setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  else
    unsetenv("XDG_CACHE_HOME");
}

// dpkg --compare-versions is the oracle.
bool DpkgLess(const std::string& a, const std::string& b) {
  std::string cmd = "dpkg --compare-versions '" + a + "' lt '" + b + "'";
  int rc = system(cmd.c_str());
  return WIFEXITED(rc) && WEXITSTATUS(rc) == 0;
}

TEST(KernelFetch, DebianVersionOrderMatchesDpkg) {
  const char* versions[] = {"6.1.192-2",        "6.1.192-10", "6.1.76-1", "6.1.76-1~bpo11+1",
                            "6.1.76-1+deb12u1", "1:6.0-1",    "6.1.192",  "6.1.192-2a",
                            "6.1.192-2.1",      "6.10~rc1-1", "6.10-1",   "6.1.0-0",
                            "0:6.1.192-2"};
  if (system("dpkg --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no dpkg";
  for (const char* a : versions) {
    for (const char* b : versions) {
      bool lt = CompareDebianVersions(a, b) < 0;
      EXPECT_EQ(lt, DpkgLess(a, b)) << a << " < " << b;
    }
  }
}

class CacheDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/barekit-kcache-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void AddEntry(const std::string& package, const std::string& version, const std::string& release,
                const std::string& arch, const std::string& flavor) {
    fs::path d = fs::path(dir_) / (package + "_" + version);
    fs::create_directories(d / "boot");
    fs::create_directories(d / "lib/modules" / release);
    std::ofstream(d / "boot" / ("vmlinuz-" + release)) << "kernel";
    std::ofstream(d / "barekit-kernel.json")
        << "{\"package\":\"" << package << "\",\"version\":\"" << version << "\",\"release\":\""
        << release << "\",\"arch\":\"" << arch << "\",\"flavor\":\"" << flavor << "\"}";
  }
  std::string dir_;
};

TEST_F(CacheDir, OfflinePicksTheNewestVersionOfThatArchAndFlavor) {
  AddEntry("linux-image-6.1.0-9-cloud-amd64", "6.1.27-1", "6.1.0-9-cloud-amd64", "amd64", "cloud");
  AddEntry("linux-image-6.1.0-56-cloud-amd64", "6.1.192-2", "6.1.0-56-cloud-amd64", "amd64",
           "cloud");
  AddEntry("linux-image-6.1.0-60-arm64", "6.1.200-1", "6.1.0-60-arm64", "arm64", "generic");
  AddEntry("linux-image-6.1.0-61-amd64", "6.1.201-1", "6.1.0-61-amd64", "amd64", "generic");
  fs::create_directories(fs::path(dir_) / ".fetch-half-done");  // an interrupted fetch: ignored
  FetchOptions o;
  o.arch = "amd64";
  o.cache_dir = dir_;
  o.offline = true;
  auto k = FetchKernel(o);
  ASSERT_TRUE(k.ok()) << k.status().message();
  EXPECT_EQ(k->release, "6.1.0-56-cloud-amd64");
  EXPECT_EQ(k->version, "6.1.192-2");
  EXPECT_EQ(k->kernel,
            dir_ + "/linux-image-6.1.0-56-cloud-amd64_6.1.192-2/boot/vmlinuz-6.1.0-56-cloud-amd64");
  EXPECT_EQ(k->modules_dir,
            dir_ + "/linux-image-6.1.0-56-cloud-amd64_6.1.192-2/lib/modules/6.1.0-56-cloud-amd64");
  EXPECT_TRUE(k->from_cache);
}

TEST_F(CacheDir, OfflineWithNothingCachedSaysHowToFetch) {
  AddEntry("linux-image-6.1.0-56-cloud-amd64", "6.1.192-2", "6.1.0-56-cloud-amd64", "amd64",
           "cloud");
  FetchOptions o;
  o.arch = "arm64";
  o.cache_dir = dir_;
  o.offline = true;
  auto k = FetchKernel(o);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().message(), "no cached generic arm64 kernel in " + dir_ +
                                      " (run barekit kernel fetch --arch arm64 without --offline)");
}

TEST_F(CacheDir, EntryMissingItsKernelIsNotUsed) {
  AddEntry("linux-image-6.1.0-56-cloud-amd64", "6.1.192-2", "6.1.0-56-cloud-amd64", "amd64",
           "cloud");
  fs::remove(fs::path(dir_) /
             "linux-image-6.1.0-56-cloud-amd64_6.1.192-2/boot/vmlinuz-6.1.0-56-cloud-amd64");
  FetchOptions o;
  o.arch = "amd64";
  o.cache_dir = dir_;
  o.offline = true;
  EXPECT_TRUE(FetchKernel(o).status().IsNotFound());
}

}  // namespace
}  // namespace barekit::vm
