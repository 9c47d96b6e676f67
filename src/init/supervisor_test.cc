#include "init/supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <map>

namespace barekit::init {
namespace {

int Exited(int code) { return code << 8; }
int Killed(int sig) { return sig; }

// Records what the supervisor asks for; pids are handed out from 100.
class FakeOps : public ProcessOps {
 public:
  Result<int> Spawn(size_t index, const ServiceConfig& s) override {
    spawns.push_back(s.name);
    pid_of[s.name] = next_pid;
    (void)index;
    return next_pid++;
  }
  Result<int> SpawnProbe(size_t, const ServiceConfig& s) override {
    probes.push_back(s.name);
    return next_pid++;
  }
  void Signal(int pid, int sig, bool group) override {
    if (sig != SIGCONT) signals.push_back({pid, sig});
    (void)group;
  }
  void Log(std::string_view line) override { log.emplace_back(line); }

  int next_pid = 100;
  std::vector<std::string> spawns, probes, log;
  std::map<std::string, int> pid_of;
  std::vector<std::pair<int, int>> signals;
};

ServiceConfig Svc(const std::string& name) {
  ServiceConfig s;
  s.name = name;
  s.argv = {"/bin/" + name};
  return s;
}

TEST(Supervisor, BackoffDoublesUpToTheCap) {
  ServiceConfig s = Svc("a");
  s.restart = RestartPolicy::kAlways;
  s.restart_delay = 100;
  s.restart_delay_max = 400;
  s.start_limit_burst = 0;
  FakeOps ops;
  Supervisor sup({s}, &ops, false);
  Millis t = 0;
  sup.Start(t);
  std::vector<Millis> delays;
  for (int i = 0; i < 5; ++i) {
    t += 10;
    ASSERT_TRUE(sup.OnExit(sup.services()[0].pid, Exited(1), t));
    ASSERT_EQ(sup.services()[0].state, ServiceState::kBackoff);
    delays.push_back(*sup.NextDeadline() - t);
    t = *sup.NextDeadline();
    sup.OnTimer(t - 1);
    EXPECT_EQ(sup.services()[0].state, ServiceState::kBackoff) << "restarted early";
    sup.OnTimer(t);
    EXPECT_EQ(sup.services()[0].state, ServiceState::kRunning);
  }
  EXPECT_EQ(delays, (std::vector<Millis>{100, 200, 400, 400, 400}));
  EXPECT_EQ(sup.services()[0].restarts, 5);
}

TEST(Supervisor, StableUptimeResetsTheBackoff) {
  ServiceConfig s = Svc("a");
  s.restart = RestartPolicy::kAlways;
  s.restart_delay = 100;
  s.stable_after = 5000;
  s.start_limit_burst = 0;
  FakeOps ops;
  Supervisor sup({s}, &ops, false);
  sup.Start(0);
  sup.OnExit(100, Exited(1), 10);
  sup.OnTimer(110);
  sup.OnExit(101, Exited(1), 120);
  EXPECT_EQ(*sup.NextDeadline(), 120 + 200);
  sup.OnTimer(320);
  sup.OnExit(102, Exited(1), 320 + 5000);  // ran 5 s: stable
  EXPECT_EQ(*sup.NextDeadline(), 5320 + 100);
}

TEST(Supervisor, StartLimitMarksFailed) {
  ServiceConfig s = Svc("a");
  s.restart = RestartPolicy::kAlways;
  s.restart_delay = 10;
  s.start_limit_burst = 3;
  s.start_limit_interval = 10000;
  FakeOps ops;
  Supervisor sup({s}, &ops, false);
  Millis t = 0;
  sup.Start(t);
  for (int i = 0; i < 2; ++i) {
    sup.OnExit(sup.services()[0].pid, Exited(2), t += 5);
    sup.OnTimer(t = *sup.NextDeadline());
  }
  EXPECT_EQ(ops.spawns.size(), 3u);
  sup.OnExit(sup.services()[0].pid, Exited(2), t += 5);
  EXPECT_EQ(sup.services()[0].state, ServiceState::kFailed);
  EXPECT_FALSE(sup.NextDeadline());
  EXPECT_EQ(ops.spawns.size(), 3u);
  EXPECT_FALSE(sup.shutting_down());
  EXPECT_NE(ops.log.back().find("failed: start limit reached"), std::string::npos)
      << ops.log.back();
}

TEST(Supervisor, StartsOutsideTheWindowDoNotCount) {
  ServiceConfig s = Svc("a");
  s.restart = RestartPolicy::kAlways;
  s.restart_delay = 1000;
  s.restart_delay_max = 1000;
  s.start_limit_burst = 2;
  s.start_limit_interval = 1500;
  FakeOps ops;
  Supervisor sup({s}, &ops, false);
  Millis t = 0;
  sup.Start(t);
  for (int i = 0; i < 5; ++i) {
    sup.OnExit(sup.services()[0].pid, Exited(1), t += 10);
    ASSERT_EQ(sup.services()[0].state, ServiceState::kBackoff) << i;
    sup.OnTimer(t = *sup.NextDeadline());
  }
}

TEST(Supervisor, RestartPolicies) {
  struct Case {
    RestartPolicy policy;
    int status;
    ServiceState want;
  } cases[] = {
      {RestartPolicy::kNever, Exited(1), ServiceState::kExited},
      {RestartPolicy::kNever, Exited(0), ServiceState::kExited},
      {RestartPolicy::kOnFailure, Exited(0), ServiceState::kExited},
      {RestartPolicy::kOnFailure, Exited(3), ServiceState::kBackoff},
      {RestartPolicy::kOnFailure, Killed(SIGSEGV), ServiceState::kBackoff},
      {RestartPolicy::kAlways, Exited(0), ServiceState::kBackoff},
  };
  for (const Case& c : cases) {
    ServiceConfig s = Svc("a");
    s.restart = c.policy;
    FakeOps ops;
    Supervisor sup({s}, &ops, false);
    sup.Start(0);
    sup.OnExit(100, c.status, 50);
    EXPECT_EQ(sup.services()[0].state, c.want) << static_cast<int>(c.policy) << " " << c.status;
  }
}

TEST(Supervisor, CriticalGivingUpShutsDownWithItsCode) {
  ServiceConfig crit = Svc("crit");
  crit.critical = true;
  crit.restart = RestartPolicy::kNever;
  ServiceConfig other = Svc("other");
  FakeOps ops;
  Supervisor sup({other, crit}, &ops, false);
  sup.Start(0);
  sup.OnExit(ops.pid_of["crit"], Exited(42), 10);
  EXPECT_TRUE(sup.shutting_down());
  EXPECT_EQ(sup.exit_code(), 42);
  ASSERT_EQ(ops.signals.size(), 1u);
  EXPECT_EQ(ops.signals[0], std::make_pair(ops.pid_of["other"], SIGTERM));
  EXPECT_FALSE(sup.Finished());
  sup.OnExit(ops.pid_of["other"], Killed(SIGTERM), 20);
  EXPECT_TRUE(sup.Finished());
}

TEST(Supervisor, CriticalAtStartLimitUsesLastCode) {
  ServiceConfig s = Svc("a");
  s.critical = true;
  s.restart = RestartPolicy::kOnFailure;
  s.start_limit_burst = 1;
  FakeOps ops;
  Supervisor sup({s}, &ops, false);
  sup.Start(0);
  sup.OnExit(100, Exited(7), 5);
  EXPECT_EQ(sup.services()[0].state, ServiceState::kFailed);
  EXPECT_TRUE(sup.shutting_down());
  EXPECT_EQ(sup.exit_code(), 7);
}

TEST(Supervisor, OrderedStartWaitsForReadiness) {
  ServiceConfig a = Svc("a"), b = Svc("b"), c = Svc("c");
  a.ready.kind = ReadyKind::kNotify;
  b.after = {"a"};
  b.ready.kind = ReadyKind::kFd;
  c.after = {"a", "b"};
  FakeOps ops;
  Supervisor sup({a, b, c}, &ops, false);
  sup.Start(0);
  EXPECT_EQ(ops.spawns, (std::vector<std::string>{"a"}));
  EXPECT_EQ(sup.services()[0].state, ServiceState::kStarting);
  sup.OnReady(0, 5);
  EXPECT_EQ(ops.spawns, (std::vector<std::string>{"a", "b"}));
  sup.OnReady(2, 6);  // c is not running: ignored
  sup.OnReady(1, 7);
  EXPECT_EQ(ops.spawns, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(sup.services()[2].state, ServiceState::kRunning);
}

TEST(Supervisor, OneshotIsReadyWhenItSucceeds) {
  ServiceConfig m = Svc("migrate"), app = Svc("app");
  m.oneshot = true;
  app.after = {"migrate"};
  FakeOps ops;
  Supervisor sup({m, app}, &ops, true);
  sup.Start(0);
  EXPECT_EQ(ops.spawns.size(), 1u);
  sup.OnExit(100, Exited(0), 10);
  EXPECT_EQ(sup.services()[0].state, ServiceState::kDone);
  EXPECT_EQ(ops.spawns, (std::vector<std::string>{"migrate", "app"}));
  EXPECT_FALSE(sup.shutting_down());
  // exit_when_idle: once app ends for good, shut down with 0.
  sup.OnExit(101, Exited(0), 20);
  EXPECT_TRUE(sup.shutting_down());
  EXPECT_EQ(sup.exit_code(), 0);
}

TEST(Supervisor, ProbeTriesThenReadyOrGiveUp) {
  ServiceConfig s = Svc("web");
  s.ready.kind = ReadyKind::kTcp;
  s.ready.address = "127.0.0.1:1";
  s.ready.initial_delay = 50;
  s.ready.period = 100;
  s.ready.timeout = 30;
  s.ready.tries = 3;
  s.restart = RestartPolicy::kNever;
  FakeOps ops;
  Supervisor sup({s}, &ops, false);
  sup.Start(0);
  EXPECT_EQ(*sup.NextDeadline(), 50);
  sup.OnTimer(50);
  ASSERT_EQ(ops.probes.size(), 1u);
  int probe = sup.services()[0].probe_pid;
  EXPECT_EQ(*sup.NextDeadline(), 80);  // the try's timeout
  sup.OnExit(probe, Exited(1), 60);
  EXPECT_EQ(*sup.NextDeadline(), 160);
  sup.OnTimer(160);
  probe = sup.services()[0].probe_pid;
  sup.OnTimer(190);  // timed out: probe killed
  EXPECT_EQ(ops.signals.back(), std::make_pair(probe, SIGKILL));
  sup.OnExit(probe, Killed(SIGKILL), 191);
  sup.OnTimer(291);
  probe = sup.services()[0].probe_pid;
  sup.OnExit(probe, Exited(1), 300);  // third failure: stop it
  EXPECT_EQ(sup.services()[0].state, ServiceState::kStopping);
  EXPECT_EQ(ops.signals.back(), std::make_pair(100, SIGTERM));
  sup.OnExit(100, Killed(SIGTERM), 310);
  EXPECT_EQ(sup.services()[0].state, ServiceState::kExited);

  FakeOps ops2;
  Supervisor ok({s}, &ops2, false);
  ok.Start(0);
  ok.OnTimer(50);
  ok.OnExit(ok.services()[0].probe_pid, Exited(0), 55);
  EXPECT_EQ(ok.services()[0].state, ServiceState::kRunning);
}

TEST(Supervisor, ShutdownStopsInReverseOrderWithTimeouts) {
  ServiceConfig db = Svc("db"), app = Svc("app"), web = Svc("web");
  app.after = {"db"};
  web.after = {"app"};
  web.stop_signal = SIGINT;
  app.stop_timeout = 1000;
  FakeOps ops;
  Supervisor sup({db, app, web}, &ops, false);
  sup.Start(0);
  ASSERT_EQ(ops.spawns.size(), 3u);
  sup.Shutdown(100, 0);
  EXPECT_EQ(ops.signals, (std::vector<std::pair<int, int>>{{ops.pid_of["web"], SIGINT}}));
  sup.OnExit(ops.pid_of["web"], Killed(SIGINT), 150);
  EXPECT_EQ(ops.signals.back(), std::make_pair(ops.pid_of["app"], SIGTERM));
  EXPECT_EQ(*sup.NextDeadline(), 1150);
  sup.OnTimer(1150);  // app ignores TERM
  EXPECT_EQ(ops.signals.back(), std::make_pair(ops.pid_of["app"], SIGKILL));
  EXPECT_EQ(sup.services()[0].state, ServiceState::kRunning) << "db must outlive app";
  sup.OnExit(ops.pid_of["app"], Killed(SIGKILL), 1160);
  EXPECT_EQ(ops.signals.back(), std::make_pair(ops.pid_of["db"], SIGTERM));
  EXPECT_FALSE(sup.Finished());
  sup.OnExit(ops.pid_of["db"], Exited(0), 1170);
  EXPECT_TRUE(sup.Finished());
  EXPECT_EQ(sup.services()[1].restarts, 0);
}

TEST(Supervisor, ShutdownCancelsPendingRestarts) {
  ServiceConfig s = Svc("a");
  s.restart = RestartPolicy::kAlways;
  FakeOps ops;
  Supervisor sup({s}, &ops, false);
  sup.Start(0);
  sup.OnExit(100, Exited(1), 10);
  sup.Shutdown(20, 0);
  EXPECT_TRUE(sup.Finished());
  sup.OnTimer(100000);
  EXPECT_EQ(ops.spawns.size(), 1u);
}

TEST(Supervisor, UnknownPidsAreNotOurs) {
  FakeOps ops;
  Supervisor sup({Svc("a")}, &ops, false);
  sup.Start(0);
  EXPECT_FALSE(sup.OnExit(4242, 0, 1));
  EXPECT_NE(sup.StatusText().find("a "), std::string::npos);
}

}  // namespace
TEST(Supervisor, AllReadyWithNoServicesCountsOnce) {
  FakeOps ops;
  Supervisor sup({}, &ops, false);
  EXPECT_EQ(sup.ready_count(), 0);
  sup.Start(0);
  EXPECT_TRUE(sup.AllReady());
  EXPECT_EQ(sup.ready_count(), 1);
  sup.OnTimer(10);
  EXPECT_EQ(sup.ready_count(), 1);
  sup.Shutdown(20, 0);
  EXPECT_FALSE(sup.AllReady());
  EXPECT_EQ(sup.ready_count(), 1);
}

TEST(Supervisor, AllReadyWaitsForReadinessAndOneshots) {
  ServiceConfig task = Svc("migrate");
  task.oneshot = true;
  ServiceConfig web = Svc("web");
  web.ready.kind = ReadyKind::kFd;
  web.after = {"migrate"};
  FakeOps ops;
  Supervisor sup({task, web}, &ops, false);
  sup.Start(0);
  EXPECT_FALSE(sup.AllReady()) << "the oneshot is still running";
  sup.OnExit(ops.pid_of["migrate"], Exited(0), 5);
  EXPECT_EQ(sup.services()[1].state, ServiceState::kStarting);
  EXPECT_FALSE(sup.AllReady()) << "web has not said it is ready";
  EXPECT_EQ(sup.ready_count(), 0);
  sup.OnReady(1, 7);
  EXPECT_TRUE(sup.AllReady());
  EXPECT_EQ(sup.ready_count(), 1);
}

TEST(Supervisor, RestartAfterAKillMakesTheNextReady) {
  ServiceConfig web = Svc("web");
  web.restart = RestartPolicy::kAlways;
  web.restart_delay = 100;
  FakeOps ops;
  Supervisor sup({web}, &ops, false);
  sup.Start(0);
  EXPECT_EQ(sup.ready_count(), 1);
  ASSERT_TRUE(sup.OnExit(sup.services()[0].pid, Killed(SIGKILL), 50));
  EXPECT_FALSE(sup.AllReady());
  sup.OnTimer(150);
  EXPECT_TRUE(sup.AllReady());
  EXPECT_EQ(sup.ready_count(), 2);
}

TEST(Supervisor, RestartWithNoDelayStillCountsTwice) {
  // The exit and the restart arrive in separate calls; the count must see the gap between them
  // even though no time passes.
  ServiceConfig web = Svc("web");
  web.restart = RestartPolicy::kAlways;
  web.restart_delay = 0;
  web.restart_delay_max = 0;
  web.start_limit_burst = 0;
  FakeOps ops;
  Supervisor sup({web}, &ops, false);
  sup.Start(0);
  ASSERT_TRUE(sup.OnExit(sup.services()[0].pid, Killed(SIGKILL), 0));
  sup.OnTimer(0);
  EXPECT_EQ(sup.services()[0].state, ServiceState::kRunning);
  EXPECT_EQ(sup.ready_count(), 2);
}

TEST(Supervisor, FailedOrExitedServiceIsNotReady) {
  ServiceConfig a = Svc("a");
  a.restart = RestartPolicy::kNever;
  ServiceConfig b = Svc("b");
  FakeOps ops;
  Supervisor sup({a, b}, &ops, false);
  sup.Start(0);
  EXPECT_EQ(sup.ready_count(), 1);
  sup.OnExit(ops.pid_of["a"], Exited(0), 10);
  EXPECT_EQ(sup.services()[0].state, ServiceState::kExited);
  EXPECT_FALSE(sup.AllReady());
  EXPECT_EQ(sup.ready_count(), 1);
}

}  // namespace barekit::init
