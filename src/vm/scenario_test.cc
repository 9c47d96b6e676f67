#include "vm/scenario.h"

#include <gtest/gtest.h>

namespace barekit::vm {
namespace {

TEST(FaultSpec, EachKind) {
  EXPECT_EQ(ParseFaultSpec("reset").value().fault, Fault::kReset);
  EXPECT_EQ(ParseFaultSpec("powerdown").value().expect, Expect::kOff);
  EXPECT_EQ(ParseFaultSpec("ctrl-alt-del").value().expect, Expect::kReady);
  EXPECT_EQ(ParseFaultSpec("power-cut").value().fault, Fault::kPowerCut);
  Step p = ParseFaultSpec("pause:1.5s").value();
  EXPECT_EQ(p.fault, Fault::kPause);
  EXPECT_EQ(p.pause, 1500);
  EXPECT_EQ(p.expect, Expect::kResponsive);
  Step k = ParseFaultSpec("kill:web").value();
  EXPECT_EQ(k.service, "web");
  EXPECT_EQ(k.signal, 9);
  EXPECT_EQ(ParseFaultSpec("kill:web:TERM").value().signal, 15);
  EXPECT_EQ(ParseFaultSpec("kill:db.main:SIGUSR1").value().signal, 10);
}

TEST(FaultSpec, Errors) {
  for (const char* bad : {"", "boom", "reset:now", "pause", "pause:", "pause:forever", "kill",
                          "kill:", "kill:a b", "kill:web:NOPE", "kill:web:99", "power-cut:1"}) {
    Result<Step> s = ParseFaultSpec(bad);
    EXPECT_FALSE(s.ok()) << bad;
  }
  EXPECT_NE(ParseFaultSpec("boom").status().message().find("unknown fault 'boom'"),
            std::string::npos);
}

TEST(Scenario, Full) {
  const char* text = R"(
[boot]
arch = "arm64"
disk = { size = "8M" }
forward = ["127.0.0.1:18080:8080"]
probe = "http://127.0.0.1:18080/"
timeout = "90s"
uboot = true

[[step]]
fault = "power-cut"
after_line = "ACK"
repeat = 3
check = ["journal", "verify", "{disk}", "{console}"]

[[step]]
fault = "pause:2s"
deadline = "10s"

[[step]]
fault = "none"
after = "1s"
expect = "ready"
)";
  Result<Scenario> r = ParseScenario(text, "s.toml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Scenario& s = r.value();
  EXPECT_EQ(*s.boot.arch, "arm64");
  EXPECT_EQ(*s.boot.disk_size, 8u << 20);
  EXPECT_EQ(s.boot.forwards.size(), 1u);
  EXPECT_EQ(*s.boot.timeout, 90000);
  EXPECT_TRUE(*s.boot.uboot);
  ASSERT_EQ(s.steps.size(), 5u);
  EXPECT_EQ(s.steps[0].fault, Fault::kPowerCut);
  EXPECT_EQ(s.steps[2].after_line, "ACK");
  EXPECT_EQ(s.steps[2].check.size(), 4u);
  EXPECT_EQ(s.steps[3].deadline, 10000);
  EXPECT_EQ(s.steps[4].fault, Fault::kNone);
  EXPECT_EQ(s.steps[4].delay, 1000);
  EXPECT_EQ(s.steps[4].expect, Expect::kReady);
}

TEST(Scenario, ErrorsHaveLineAndColumn) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"[boot]\nimage = 3\n", "s.toml:2:9: image: expected a string"},
      {"[boot]\nfoo = 1\n", "s.toml:2:7: unknown key 'boot.foo'"},
      {"[[step]]\nexpect = \"ready\"\n", "s.toml:1:1: step: missing 'fault'"},
      {"[[step]]\nfault = \"zap\"\n", "s.toml:2:9: unknown fault 'zap'"},
      {"[[step]]\nfault = \"reset\"\nexpect = \"happy\"\n",
       "s.toml:3:10: expect: expected ready, off or responsive"},
      {"[[step]]\nfault = \"reset\"\nrepeat = 0\n", "s.toml:3:10: repeat:"},
      {"[boot]\ndisk = { size = \"7\" }\n", "s.toml:2:17: disk.size"},
      {"[boot\n", "s.toml:1:"},
      {"x = \"\xc3\xa9\"\n", "s.toml:1:6: only ASCII"},
      {"[other]\n", "s.toml:1:1: unknown table 'other'"},
  };
  for (const Case& c : cases) {
    Result<Scenario> r = ParseScenario(c.text, "s.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().message().rfind(c.want, 0), 0u) << r.status().message();
  }
}

TEST(Scenario, RepeatIsBounded) {
  std::string text;
  for (int i = 0; i < 3; ++i) text += "[[step]]\nfault = \"reset\"\nrepeat = 400\n";
  EXPECT_FALSE(ParseScenario(text, "s.toml").ok());
}

TEST(Size, Units) {
  EXPECT_EQ(*ParseSize("512"), 512u);
  EXPECT_EQ(*ParseSize("4K"), 4096u);
  EXPECT_EQ(*ParseSize("16M"), 16u << 20);
  EXPECT_EQ(*ParseSize("1GiB"), 1u << 30);
  EXPECT_FALSE(ParseSize("").has_value());
  EXPECT_FALSE(ParseSize("M").has_value());
  EXPECT_FALSE(ParseSize("99999999999999999999").has_value());
  EXPECT_FALSE(ParseSize("1T").has_value());
}

}  // namespace
}  // namespace barekit::vm
