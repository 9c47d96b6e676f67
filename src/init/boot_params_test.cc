#include "init/boot_params.h"

#include <gtest/gtest.h>

namespace barekit::init {
namespace {

TEST(BootParams, NetSpecWithAndWithoutGateway) {
  Result<NetworkConfig> n = ParseNetSpec("eth0:10.0.2.15/24:10.0.2.2");
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->interface, "eth0");
  EXPECT_EQ(n->address, "10.0.2.15/24");
  EXPECT_EQ(n->gateway, "10.0.2.2");
  n = ParseNetSpec("lo:127.1.2.3/8");
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(n->interface, "lo");
  EXPECT_EQ(n->address, "127.1.2.3/8");
  EXPECT_EQ(n->gateway, "");
  EXPECT_TRUE(ParseNetSpec("e:0.0.0.0/0").ok());
  EXPECT_TRUE(ParseNetSpec("e:255.255.255.255/32").ok());
}

TEST(BootParams, NetSpecErrorsSayWhat) {
  struct Case {
    const char* spec;
    const char* why;
  } cases[] = {
      {"eth0", "no ':' after the interface"},
      {":10.0.2.15/24", "bad interface name"},
      {"averyveryverylongname:10.0.2.15/24", "bad interface name"},
      {"eth0:10.0.2.15", "no /PREFIX after the address"},
      {"eth0:10.0.2/24", "bad address"},
      {"eth0:10.0.2.256/24", "bad address"},
      {"eth0:10.0.2.15.1/24", "bad address"},
      {"eth0:010.0.2.1555/24", "bad address"},
      {"eth0:10.0.2.15/33", "bad prefix length"},
      {"eth0:10.0.2.15/", "bad prefix length"},
      {"eth0:10.0.2.15/2x", "bad prefix length"},
      {"eth0:10.0.2.15/24:", "bad gateway"},
      {"eth0:10.0.2.15/24:10.0.2", "bad gateway"},
      {"eth0:10.0.2.15/24:10.0.2.2:x", "bad gateway"},
  };
  for (const Case& c : cases) {
    Result<NetworkConfig> n = ParseNetSpec(c.spec);
    ASSERT_FALSE(n.ok()) << c.spec;
    EXPECT_EQ(n.status().message(), std::string("barekit_net: ") + c.why + " in '" + c.spec +
                                        "' (want IFACE:A.B.C.D/PREFIX[:GATEWAY])");
  }
  Result<NetworkConfig> n = ParseNetSpec(std::string(1000, 'x'));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(), "barekit_net: too long");
}

TEST(BootParams, Ipv4) {
  EXPECT_TRUE(IsIpv4("1.2.3.4"));
  EXPECT_TRUE(IsIpv4("001.002.003.004"));
  for (const char* bad : {"", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..3.4", "1.2.3.-4", "1.2.3.4 ",
                          "1.2.3.1000", "a.b.c.d", "256.0.0.0"})
    EXPECT_FALSE(IsIpv4(bad)) << bad;
}

TEST(BootParams, ControlSpec) {
  Result<ControlSpec> s = ParseControlSpec("/dev/ttyS1");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->path, "/dev/ttyS1");
  EXPECT_EQ(s->virtio_name, "");
  s = ParseControlSpec("virtio:barekit.ctl");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->path, "");
  EXPECT_EQ(s->virtio_name, "barekit.ctl");
  for (const char* bad : {"", "ttyS1", "virtio:", "virtio:a/b", "/dev/tty S1"})
    EXPECT_FALSE(ParseControlSpec(bad).ok()) << bad;
  EXPECT_EQ(ParseControlSpec("ttyS1").status().message(),
            "barekit_control: want an absolute device path or virtio:NAME");
}

TEST(BootParams, ModulesOrderSkipsCommentsAndReportsBadLines) {
  ModuleList m = ParseModulesOrder(
      "# boot modules\n/lib/modules/virtio.ko\n\n  /lib/modules/virtio_pci.ko  \r\n"
      "relative.ko\n/lib/modules/evdev.ko",
      "/etc/barekit/modules.order");
  EXPECT_EQ(m.paths,
            (std::vector<std::string>{"/lib/modules/virtio.ko", "/lib/modules/virtio_pci.ko",
                                      "/lib/modules/evdev.ko"}));
  EXPECT_EQ(m.problems,
            (std::vector<std::string>{"/etc/barekit/modules.order:5: not an absolute path"}));
  EXPECT_TRUE(ParseModulesOrder("", "x").paths.empty());
}

}  // namespace
}  // namespace barekit::init
