#include "init/control_channel.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

namespace barekit::init {
namespace {

class FakeHandler : public ControlHandler {
 public:
  FakeHandler() {
    Service web{ServiceConfig{}};
    web.config.name = "web";
    web.state = ServiceState::kRunning;
    web.pid = 42;
    web.restarts = 2;
    Service db{ServiceConfig{}};
    db.config.name = "db";
    db.state = ServiceState::kBackoff;
    services = {web, db};
  }
  const std::vector<Service>& ControlServices() const override { return services; }
  void ControlSignal(int pid, int sig) override { signals.push_back({pid, sig}); }
  void ControlShutdown(PowerAction a) override { shutdowns.push_back(a); }

  std::vector<Service> services;
  std::vector<std::pair<int, int>> signals;
  std::vector<PowerAction> shutdowns;
};

std::string Exec(FakeHandler* h, std::string_view line) {
  std::string reply;
  RunControlCommand(line, h, &reply);
  return reply;
}

// Feeds `bytes` in chunks of `chunk` and collects the lines (and "<too long>" events).
std::vector<std::string> Lines(std::string_view bytes, size_t chunk) {
  ControlLineReader r;
  std::vector<std::string> out;
  while (!bytes.empty()) {
    std::string_view in = bytes.substr(0, chunk);
    bytes.remove_prefix(in.size());
    std::string_view line;
    for (;;) {
      ControlLineReader::Event e = r.Next(&in, &line);
      if (e == ControlLineReader::Event::kNeedMore) break;
      out.push_back(e == ControlLineReader::Event::kLine ? std::string(line) : "<too long>");
    }
  }
  return out;
}

TEST(ControlLineReader, CutsLinesAcrossChunksAndLineEnds) {
  std::string_view bytes = "ping\nstatus\r\n\n\rkill web\rhalf";
  for (size_t chunk : {1, 2, 3, 7, 100}) {
    EXPECT_EQ(Lines(bytes, chunk), (std::vector<std::string>{"ping", "status", "kill web"}))
        << "chunk " << chunk;
  }
}

TEST(ControlLineReader, LongLineIsReportedOnceAtItsEndAndDropped) {
  std::string exact(ControlLineReader::kMaxLine, 'a');
  std::string over(ControlLineReader::kMaxLine + 1, 'b');
  std::string huge(100000, 'c');
  std::string bytes = exact + "\n" + over + "\nping\n" + huge + "\r\nstatus\n";
  for (size_t chunk : {1, 255, 4096}) {
    EXPECT_EQ(Lines(bytes, chunk),
              (std::vector<std::string>{exact, "<too long>", "ping", "<too long>", "status"}))
        << "chunk " << chunk;
  }
}

TEST(ControlCommand, Ping) {
  FakeHandler h;
  EXPECT_EQ(Exec(&h, "ping"), "ok pong\n");
  EXPECT_EQ(Exec(&h, "  ping\t"), "ok pong\n");
  EXPECT_EQ(Exec(&h, "ping now"), "err ping: unexpected argument 'now'\n");
}

TEST(ControlCommand, KillSignalsTheServiceGroup) {
  FakeHandler h;
  EXPECT_EQ(Exec(&h, "kill web"), "ok kill web pid=42\n");
  EXPECT_EQ(Exec(&h, "kill web TERM"), "ok kill web pid=42\n");
  EXPECT_EQ(Exec(&h, "kill web SIGUSR1"), "ok kill web pid=42\n");
  EXPECT_EQ(Exec(&h, "kill web 2"), "ok kill web pid=42\n");
  EXPECT_EQ(h.signals, (std::vector<std::pair<int, int>>{
                           {42, SIGKILL}, {42, SIGTERM}, {42, SIGUSR1}, {42, SIGINT}}));
}

TEST(ControlCommand, KillErrors) {
  FakeHandler h;
  EXPECT_EQ(Exec(&h, "kill"), "err kill: usage: kill SERVICE [SIGNAL]\n");
  EXPECT_EQ(Exec(&h, "kill nope"), "err kill nope: no such service\n");
  EXPECT_EQ(Exec(&h, "kill db"), "err kill db: not running (backoff)\n");
  EXPECT_EQ(Exec(&h, "kill web BOGUS"), "err kill web: unknown signal 'BOGUS'\n");
  EXPECT_EQ(Exec(&h, "kill web 0"), "err kill web: unknown signal '0'\n");
  EXPECT_EQ(Exec(&h, "kill web 99"), "err kill web: unknown signal '99'\n");
  EXPECT_EQ(Exec(&h, "kill web KILL extra"), "err kill web: too many arguments\n");
  EXPECT_TRUE(h.signals.empty());
}

TEST(ControlCommand, Status) {
  FakeHandler h;
  EXPECT_EQ(Exec(&h, "status"),
            "status web running pid=42 restarts=2\n"
            "status db backoff pid=0 restarts=0\n"
            "ok status\n");
  h.services.clear();
  EXPECT_EQ(Exec(&h, "status"), "ok status\n");
}

TEST(ControlCommand, PowerCommandsReplyThenShutDown) {
  FakeHandler h;
  EXPECT_EQ(Exec(&h, "poweroff"), "ok poweroff\n");
  EXPECT_EQ(Exec(&h, "reboot"), "ok reboot\n");
  EXPECT_EQ(Exec(&h, "halt"), "ok halt\n");
  EXPECT_EQ(Exec(&h, "halt now"), "err halt: unexpected argument 'now'\n");
  EXPECT_EQ(h.shutdowns, (std::vector<PowerAction>{PowerAction::kPowerOff, PowerAction::kReboot,
                                                   PowerAction::kHalt}));
}

TEST(ControlCommand, UnknownCommandsAreQuotedPrintableAndShort) {
  FakeHandler h;
  EXPECT_EQ(Exec(&h, "PING"), "err unknown command 'PING'\n");
  EXPECT_EQ(Exec(&h, std::string_view("b\x01\xff\0x", 5)), "err unknown command 'b???x'\n");
  std::string reply = Exec(&h, std::string(200, 'z'));
  EXPECT_EQ(reply, "err unknown command '" + std::string(64, 'z') + "...'\n");
  EXPECT_EQ(Exec(&h, "   "), "") << "a blank line asks nothing";
  EXPECT_TRUE(h.shutdowns.empty());
}

}  // namespace
}  // namespace barekit::init
