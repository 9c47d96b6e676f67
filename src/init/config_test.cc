#include "init/config.h"

#include <gtest/gtest.h>

namespace barekit::init {
namespace {

TEST(ParseConfig, FullServiceAndInitTables) {
  Result<Config> c = ParseConfig(R"(
[init]
hostname = "box"
grace = "3s"
modules = ["/lib/modules/virtio_net.ko"]
network = { interface = "eth0", address = "10.0.2.15/24", gateway = "10.0.2.2" }

[service.db]
argv = ["/bin/db", "--fast"]
env = { A = "1", B = "two" }
cwd = "/var/db"
user = 1000
group = 1001
restart = "always"
restart_delay = "250ms"
restart_delay_max = "8s"
start_limit_burst = 7
start_limit_interval = 30
stable_after = "1m"
stop_signal = "INT"
stop_timeout = 2.5
ready = { kind = "tcp", address = "127.0.0.1:5432", period = "200ms", timeout = "1s", tries = 9 }

[service.app]
argv = ["/bin/app"]
after = ["db"]
critical = true
ready = { kind = "notify" }

[service.migrate]
argv = ["/bin/migrate"]
oneshot = true
)",
                                 "init.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->hostname, "box");
  EXPECT_EQ(c->grace, 3000);
  EXPECT_EQ(c->network.gateway, "10.0.2.2");
  ASSERT_EQ(c->services.size(), 3u);
  const ServiceConfig& db = c->services[0];  // file order, not key order
  EXPECT_EQ(db.name, "db");
  EXPECT_EQ(db.argv, (std::vector<std::string>{"/bin/db", "--fast"}));
  EXPECT_EQ(db.env, (std::vector<std::string>{"A=1", "B=two"}));
  EXPECT_EQ(db.uid, 1000u);
  EXPECT_EQ(db.gid, 1001u);
  EXPECT_EQ(db.restart, RestartPolicy::kAlways);
  EXPECT_EQ(db.restart_delay, 250);
  EXPECT_EQ(db.restart_delay_max, 8000);
  EXPECT_EQ(db.start_limit_burst, 7);
  EXPECT_EQ(db.start_limit_interval, 30000);
  EXPECT_EQ(db.stable_after, 60000);
  EXPECT_EQ(db.stop_signal, 2);
  EXPECT_EQ(db.stop_timeout, 2500);
  EXPECT_EQ(db.ready.kind, ReadyKind::kTcp);
  EXPECT_EQ(db.ready.tries, 9);
  EXPECT_EQ(db.ready.period, 200);
  EXPECT_EQ(c->services[1].name, "app");
  EXPECT_TRUE(c->services[1].critical);
  EXPECT_EQ(c->services[1].ready.kind, ReadyKind::kNotify);
  EXPECT_TRUE(c->services[2].oneshot);
  EXPECT_EQ(c->services[2].restart, RestartPolicy::kOnFailure);
}

std::string ErrorOf(std::string_view text) {
  Result<Config> c = ParseConfig(text, "f.toml");
  return c.ok() ? "ok" : c.status().message();
}

TEST(ParseConfig, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"\n"),
            "f.toml:2:13: Error while parsing array: encountered end-of-file");
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\nrestart = \"sometimes\"\n"),
            "f.toml:3:11: restart: expected always, on-failure or never, not 'sometimes'");
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\ncolour = 1\n"),
            "f.toml:3:1: service.a: unknown key 'colour'");
  EXPECT_EQ(ErrorOf("[service.a]\nargv = []\n"), "f.toml:2:8: argv: must not be empty");
  EXPECT_EQ(ErrorOf("[service.a]\ncwd = \"/\"\n"), "f.toml:1:1: service.a: missing 'argv'");
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\nstop_timeout = \"soon\"\n"),
            "f.toml:3:16: stop_timeout: expected a duration like \"500ms\", \"2s\" or 3");
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\nstop_signal = \"NOPE\"\n"),
            "f.toml:3:15: stop_signal: expected a signal name like \"TERM\"");
  EXPECT_EQ(ErrorOf("[services.a]\n"),
            "f.toml:1:2: unknown table 'services' (expected [init] or [service.NAME])");
}

TEST(ParseConfig, NonAsciiOnlyInStringsAndComments) {
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\nk\xC5\x96y = 1\n"),
            "f.toml:3:2: non-ASCII character outside a string or comment");
  EXPECT_EQ(ErrorOf("# caf\xE2\x82\xAC\n[service.a]\nargv = [\"caf\xE2\x82\xAC\", 'd\xE2\x82\xAC', "
                    "\"\"\"\n\xE4\xB8\xAD\"\"\"]\n"),
            "ok");
  // toml++ 3.3 cannot take U+00A1..U+0499 and two more ranges anywhere; \u escapes work.
  EXPECT_EQ(
      ErrorOf("[service.a]\nargv = [\"caf\xC3\xA9\"]\n"),
      "f.toml:2:13: character U+00E9 is not supported here; write it as \\u00E9 in a \"string\"");
  EXPECT_EQ(
      ErrorOf("x = \"\"\"\\\\\\\xEF\xB9\xBF\\"),  // an escaped U+FE7F
      "f.toml:1:11: character U+FE7F is not supported here; write it as \\uFE7F in a \"string\"");
  Result<Config> c = ParseConfig("[service.a]\nargv = [\"caf\\u00E9\"]\n", "f.toml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->services[0].argv[0], "caf\xC3\xA9");
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"\\\"\"] \xC3\xA9\n"),
            "f.toml:2:15: non-ASCII character outside a string or comment");
}

TEST(ParseConfig, DependencyErrors) {
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\nafter = [\"zz\"]\n"),
            "f.toml:1:10: service.a: 'after' names unknown service 'zz'");
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\nafter = [\"b\"]\n[service.b]\nargv = "
                    "[\"x\"]\nafter = [\"a\"]\n"),
            "f.toml:1:10: service.a: dependency cycle through 'after'");
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\nafter = [\"a\"]\n"),
            "f.toml:1:10: service.a: depends on itself");
}

TEST(ParseConfig, ReadinessNeedsItsFields) {
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\nready = { kind = \"tcp\" }\n"),
            "f.toml:3:9: ready: kind 'tcp' needs 'address'");
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\nready = { kind = \"smoke\" }\n"),
            "f.toml:3:18: ready.kind: unknown kind 'smoke' (fd, notify, tcp, http or exec)");
  EXPECT_EQ(ErrorOf("[service.a]\nargv = [\"x\"]\nready = { kind = \"fd\", fd = 1 }\n"),
            "f.toml:3:29: ready.fd: must be between 3 and 1023");
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(ParseDuration("100ms"), 100);
  EXPECT_EQ(ParseDuration("1.5s"), 1500);
  EXPECT_EQ(ParseDuration("2m"), 120000);
  EXPECT_EQ(ParseDuration("3"), 3000);
  EXPECT_EQ(ParseDuration("1h"), 3600000);
  EXPECT_FALSE(ParseDuration("-1s"));
  EXPECT_FALSE(ParseDuration("5 parsecs"));
  EXPECT_FALSE(ParseDuration(""));
}

TEST(ParseSignal, NamesAndNumbers) {
  EXPECT_EQ(ParseSignal("TERM"), 15);
  EXPECT_EQ(ParseSignal("SIGKILL"), 9);
  EXPECT_EQ(ParseSignal("10"), 10);
  EXPECT_FALSE(ParseSignal("32"));
  EXPECT_FALSE(ParseSignal("SIG"));
  EXPECT_STREQ(SignalName(15), "TERM");
}

}  // namespace
}  // namespace barekit::init
