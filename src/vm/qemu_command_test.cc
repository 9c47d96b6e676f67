#include "vm/qemu_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace barekit::vm {
namespace {

using ::testing::HasSubstr;

MachineSpec Base(const char* arch) {
  MachineSpec s;
  s.arch = arch;
  s.kernel = "/k";
  s.initrd = "/i";
  s.qmp_socket = "/w/q.sock";
  s.control_socket = "/w/c.sock";
  return s;
}

std::string Joined(const QemuCommand& c) {
  std::string out;
  for (const auto& a : c.argv) out += a + " ";
  return out;
}

TEST(QemuCommand, X86Q35) {
  QemuCommand c = BuildQemuCommand(Base("amd64")).value();
  std::string j = Joined(c);
  EXPECT_EQ(c.argv[0], "qemu-system-x86_64");
  EXPECT_THAT(j, HasSubstr("-accel tcg -M q35"));
  EXPECT_THAT(
      j, HasSubstr("-chardev socket,id=ctl,path=/w/c.sock,server=on,wait=off -serial chardev:ctl"));
  EXPECT_THAT(j, HasSubstr("-qmp unix:/w/q.sock,server=on,wait=off"));
  EXPECT_THAT(j, Not(HasSubstr("-no-reboot")));  // it would turn system_reset into an exit
  EXPECT_EQ(c.control_device, "/dev/ttyS1");
  EXPECT_EQ(c.append, "console=ttyS0 quiet panic=-1 barekit_control=/dev/ttyS1");
}

TEST(QemuCommand, Arm64VirtWithDiskNetAndUboot) {
  MachineSpec s = Base("arm64");
  s.disk = "/w/d.raw";
  s.bios = "/u-boot.bin";
  s.forwards.push_back(ParseForward("18080:8080").value());
  QemuCommand c = BuildQemuCommand(s).value();
  std::string j = Joined(c);
  EXPECT_EQ(c.argv[0], "qemu-system-aarch64");
  EXPECT_THAT(j, HasSubstr("-M virt,acpi=off -cpu cortex-a57"));  // U-Boot: keep gpio-keys
  EXPECT_THAT(j, HasSubstr("virtserialport,chardev=ctl,name=barekit-ctl"));
  EXPECT_THAT(j, HasSubstr("-device virtio-blk-device,drive=disk0"));
  EXPECT_THAT(j,
              HasSubstr("hostfwd=tcp:127.0.0.1:18080-:8080 -device virtio-net-device,netdev=net0"));
  EXPECT_THAT(j, HasSubstr("-bios /u-boot.bin"));
  EXPECT_THAT(c.append, HasSubstr("console=ttyAMA0"));
  EXPECT_THAT(c.append, HasSubstr("barekit_control=virtio:barekit-ctl"));
  EXPECT_THAT(c.append, HasSubstr("barekit_net=eth0:10.0.2.15/24:10.0.2.2"));
}

TEST(QemuCommand, MicrovmNeedsTsc) {
  MachineSpec s = Base("amd64");
  s.machine = "microvm";
  EXPECT_FALSE(BuildQemuCommand(s).ok());
  s.tsc_khz = 2300000;
  QemuCommand c = BuildQemuCommand(s).value();
  EXPECT_THAT(c.append, HasSubstr("tsc_early_khz=2300000"));
  EXPECT_THAT(Joined(c), HasSubstr("virtio-serial-device"));
}

TEST(QemuCommand, Rejects) {
  MachineSpec s = Base("riscv64");
  EXPECT_FALSE(BuildQemuCommand(s).ok());
  s = Base("amd64");
  s.machine = "virt";
  EXPECT_FALSE(BuildQemuCommand(s).ok());
  s = Base("amd64");
  s.bios = "/u-boot.bin";
  EXPECT_FALSE(BuildQemuCommand(s).ok());
  s = Base("amd64");
  s.kernel = "/a,b";
  EXPECT_FALSE(BuildQemuCommand(s).ok());
  s = Base("amd64");
  s.accel = "hvf";
  EXPECT_FALSE(BuildQemuCommand(s).ok());
}

TEST(Forward, LoopbackOnly) {
  Forward f = ParseForward("127.0.0.1:18080:80").value();
  EXPECT_EQ(f.host_port, 18080);
  EXPECT_EQ(f.guest_port, 80);
  EXPECT_TRUE(ParseForward("8080:80").ok());
  for (const char* bad : {"0.0.0.0:8080:80", "8080", "a:b", "70000:80", "8080:0", ":80"})
    EXPECT_FALSE(ParseForward(bad).ok()) << bad;
}

TEST(HostTsc, Plausible) {
  int64_t khz = HostTscKhz();
  if (khz == 0) GTEST_SKIP() << "no frequency in /proc/cpuinfo";
  EXPECT_GT(khz, 100000);
  EXPECT_LT(khz, 10000000);
}

}  // namespace
}  // namespace barekit::vm
