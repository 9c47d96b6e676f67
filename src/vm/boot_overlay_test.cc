#include "vm/boot_overlay.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "archive/test_util.h"
#include "vm/kernel_fetch.h"

namespace barekit::vm {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::ReadFileToString;
using testing::RunCommand;

class Overlay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/barekit-overlay-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    auto r = RunCommand("sh " BAREKIT_SOURCE_DIR "/src/vm/testdata/fake_modules.sh " + root_ +
                        "/modules");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static OverlayOptions Options(const std::string& arch) {
    OverlayOptions o;
    o.arch = arch;
    o.modules_dir = root_ + "/modules";
    return o;
  }
  static std::vector<std::string> Names(const OverlayInfo& info) {
    std::vector<std::string> v;
    for (const auto& m : info.modules) v.push_back(m.name);
    return v;
  }
  static std::string root_;
};
std::string Overlay::root_;

TEST_F(Overlay, Amd64ModulesInDependencyOrder) {
  archive::StringSink out;
  auto info = WriteBootOverlay(Options("amd64"), &out);
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_THAT(Names(*info),
              ElementsAre("button", "evdev", "virtio_ring", "virtio", "virtio_blk", "failover",
                          "net_failover", "virtio_net", "virtio_pci_legacy_dev",
                          "virtio_pci_modern_dev", "virtio_pci"));
  EXPECT_EQ(info->order.front(), "/etc/barekit/modules/button.ko");
  EXPECT_TRUE(info->notes.empty());
  EXPECT_EQ(info->overlay_bytes, out.str().size());
  EXPECT_EQ(out.str().substr(0, 6), "070701");
}

TEST_F(Overlay, Arm64SkipsGpioKeysTheKernelLacksWithANote) {
  archive::StringSink out;
  auto info = WriteBootOverlay(Options("arm64"), &out);
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_THAT(info->notes, ElementsAre("gpio_keys: not in this kernel, skipped"));
  EXPECT_THAT(Names(*info), ::testing::Contains("virtio_mmio"));
  EXPECT_THAT(Names(*info), ::testing::Contains("virtio_console"));
  EXPECT_THAT(Names(*info), ::testing::Not(::testing::Contains("virtio_pci")));
}

TEST_F(Overlay, ExplicitModulesMustExistAndBuiltinsAreNoted) {
  OverlayOptions o = Options("arm64");
  o.add = {"gpio-keys"};
  archive::StringSink out;
  auto r = WriteBootOverlay(o, &out);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("kernel module gpio_keys not found under " + root_));
  o.add = {"acpi_button"};
  o.no_defaults = true;
  archive::StringSink out2;
  auto b = WriteBootOverlay(o, &out2);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_THAT(b->notes, ElementsAre("acpi_button: built into the kernel"));
  EXPECT_TRUE(b->modules.empty());
}

TEST_F(Overlay, MicrovmUsesVirtioMmioAndAModuleListReplacesTheDefaults) {
  OverlayOptions o = Options("amd64");
  o.machine = "microvm";
  archive::StringSink out;
  auto info = WriteBootOverlay(o, &out);
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_THAT(Names(*info), ::testing::Contains("virtio_mmio"));
  EXPECT_THAT(Names(*info), ::testing::Contains("virtio_console"));
  EXPECT_THAT(Names(*info), ::testing::Not(::testing::Contains("virtio_pci")));
  o.modules = {"evdev", "gpio-keys"};  // a missing one in the list is skipped, as a default
  archive::StringSink out2;
  auto listed = WriteBootOverlay(o, &out2);
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  EXPECT_THAT(Names(*listed), ElementsAre("evdev"));
  EXPECT_THAT(listed->notes, ElementsAre("gpio_keys: not in this kernel, skipped"));
}

TEST_F(Overlay, RemoveAndAdd) {
  OverlayOptions o = Options("amd64");
  o.remove = {"virtio-net", "button", "evdev", "virtio_blk"};
  o.add = {"virtio_console"};
  archive::StringSink out;
  auto info = WriteBootOverlay(o, &out);
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_THAT(Names(*info),
              ElementsAre("virtio_ring", "virtio", "virtio_console", "virtio_pci_legacy_dev",
                          "virtio_pci_modern_dev", "virtio_pci"));
}

TEST_F(Overlay, UnknownArchAndMissingDirAreErrors) {
  archive::StringSink out;
  EXPECT_THAT(WriteBootOverlay(Options("riscv64"), &out).status().message(),
              HasSubstr("no module list for riscv64"));
  OverlayOptions pc = Options("amd64");
  pc.machine = "pc";
  EXPECT_THAT(WriteBootOverlay(pc, &out).status().message(),
              HasSubstr("no module list for amd64 machine pc"));
  OverlayOptions o = Options("amd64");
  o.modules_dir = "/nonexistent/modules";
  EXPECT_THAT(WriteBootOverlay(o, &out).status().message(),
              HasSubstr("modules directory /nonexistent/modules not found"));
}

TEST_F(Overlay, ReproducibleAndReadByCpioAndBsdtar) {
  std::string a = root_ + "/a.cpio", b = root_ + "/b.cpio";
  auto ia = WriteBootOverlayFile(Options("amd64"), a);
  ASSERT_TRUE(ia.ok()) << ia.status().message();
  ASSERT_TRUE(WriteBootOverlayFile(Options("amd64"), b).ok());
  EXPECT_EQ(ReadFileToString(a), ReadFileToString(b));

  auto cpio_run = RunCommand("cpio -itv --quiet < " + a);
  ASSERT_EQ(cpio_run.exit_code, 0) << cpio_run.output;
  const std::string& cpio = cpio_run.output;
  EXPECT_THAT(cpio, HasSubstr("etc/barekit/modules.order"));
  EXPECT_THAT(cpio, HasSubstr("etc/barekit/modules/virtio_pci.ko"));
  EXPECT_THAT(cpio, HasSubstr("Jan  1  1970"));  // mtime 0
  auto bsd_run = RunCommand("bsdtar -tf " + a);
  ASSERT_EQ(bsd_run.exit_code, 0) << bsd_run.output;
  const std::string& bsd = bsd_run.output;
  EXPECT_EQ(bsd,
            "etc\netc/barekit\netc/barekit/modules.order\netc/barekit/modules\n"
            "etc/barekit/modules/button.ko\netc/barekit/modules/evdev.ko\n"
            "etc/barekit/modules/failover.ko\netc/barekit/modules/net_failover.ko\n"
            "etc/barekit/modules/virtio.ko\netc/barekit/modules/virtio_blk.ko\n"
            "etc/barekit/modules/virtio_net.ko\netc/barekit/modules/virtio_pci.ko\n"
            "etc/barekit/modules/virtio_pci_legacy_dev.ko\n"
            "etc/barekit/modules/virtio_pci_modern_dev.ko\netc/barekit/modules/virtio_ring.ko\n")
      << "(bsdtar lists in archive order: paths sorted bytewise)";

  // Extracted, the order file lists the extracted modules, each identical to its source.
  std::string x = root_ + "/x";
  fs::create_directories(x);
  ASSERT_EQ(RunCommand("cd " + x + " && cpio -id --quiet < " + a).exit_code, 0);
  std::string order = ReadFileToString(x + "/etc/barekit/modules.order");
  ASSERT_EQ(order.substr(0, 2), "# ");
  std::string expected = order.substr(0, order.find('\n') + 1);
  for (const auto& p : ia->order) expected += p + "\n";
  EXPECT_EQ(order, expected);
  for (const auto& m : ia->modules) {
    EXPECT_EQ(ReadFileToString(x + "/etc/barekit/modules/" + m.name + ".ko"),
              ReadFileToString(m.path))
        << m.name;
  }
}

TEST_F(Overlay, BootInitrdPadsTheUserArchiveToFourBytes) {
  std::string user = root_ + "/user.cpio.gz", both = root_ + "/both";
  std::ofstream(user) << "12345";  // any bytes: the user's archive is copied as it is
  auto info = WriteBootInitrd(user, Options("amd64"), both);
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->overlay_offset, 8u);
  std::string s = ReadFileToString(both);
  EXPECT_EQ(s.substr(0, 8), std::string("12345\0\0\0", 8));
  EXPECT_EQ(s.substr(8, 6), "070701");
  EXPECT_EQ(s.size(), 8 + info->overlay_bytes);
  EXPECT_THAT(WriteBootInitrd(root_ + "/none", Options("amd64"), both).status().message(),
              HasSubstr("initramfs"));
}

// The real Debian kernels in the cache, when `barekit kernel fetch` ran on this machine.
TEST(OverlayReal, FetchedKernelsHaveTheModulesTheVmNeeds) {
  int seen = 0;
  for (std::string arch : {"amd64", "arm64"}) {
    for (std::string flavor : {"cloud", "generic"}) {
      FetchOptions f;
      f.arch = arch;
      f.flavor = flavor;
      f.offline = true;
      auto k = FetchKernel(f);
      if (!k.ok()) continue;
      ++seen;
      OverlayOptions o;
      o.arch = arch;
      o.modules_dir = k->modules_dir;
      archive::CountingSink out;
      auto info = WriteBootOverlay(o, &out);
      ASSERT_TRUE(info.ok()) << k->release << ": " << info.status().message();
      std::vector<std::string> names;
      for (const auto& m : info->modules) names.push_back(m.name);
      EXPECT_THAT(names, ::testing::Contains("virtio_net")) << k->release;
      EXPECT_THAT(names, ::testing::Contains("evdev")) << k->release;
      if (arch == "arm64" && flavor == "cloud") {
        EXPECT_THAT(info->notes, ElementsAre("gpio_keys: not in this kernel, skipped"));
      } else {
        EXPECT_TRUE(info->notes.empty()) << k->release << ": " << info->notes.front();
      }
      if (arch == "arm64" && flavor == "generic") {
        // virtio and virtio_ring are built into the generic arm64 kernel.
        EXPECT_THAT(names, ::testing::Not(::testing::Contains("virtio_ring")));
        EXPECT_THAT(names, ::testing::Contains("gpio_keys"));
      }
    }
  }
  if (seen == 0) GTEST_SKIP() << "no fetched kernels";
}

}  // namespace
}  // namespace barekit::vm
