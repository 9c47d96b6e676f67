// The service supervisor as a pure state machine: it decides when to start, restart, give up on
// and stop services, but performs no syscalls itself. Time comes in as arguments (a monotonic
// clock in milliseconds) and process actions go out through ProcessOps, so every rule here —
// backoff, start limit, stable-uptime reset, restart policy, ordering, readiness, reverse-order
// shutdown with timeouts — is unit-tested without processes (supervisor_test.cc).
#ifndef INIT_SUPERVISOR_H_
#define INIT_SUPERVISOR_H_

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "init/config.h"

namespace barekit::init {

enum class ServiceState {
  kWaiting,   // not started yet: waits for the services it comes after
  kStarting,  // process running, not ready yet
  kRunning,   // process running and ready
  kBackoff,   // exited; restarts when the delay ends
  kStopping,  // stop signal sent, waiting for the exit
  kDone,      // a oneshot that exited 0
  kExited,    // ended and will not be restarted
  kFailed,    // gave up: start limit hit or readiness never came
};
const char* StateName(ServiceState s);

// What the supervisor asks of the outside world. Pids name the process; each service runs in
// its own session, so its pid is also its process group.
class ProcessOps {
 public:
  virtual ~ProcessOps() = default;
  virtual Result<int> Spawn(size_t index, const ServiceConfig& s) = 0;
  // One try of a tcp/http/exec readiness probe, as a child process that exits 0 when ready.
  virtual Result<int> SpawnProbe(size_t index, const ServiceConfig& s) = 0;
  virtual void Signal(int pid, int sig, bool group) = 0;
  virtual void Log(std::string_view line) = 0;
};

struct Service {
  ServiceConfig config;
  ServiceState state = ServiceState::kWaiting;
  int pid = 0;
  int restarts = 0;
  int failures = 0;    // consecutive, for the backoff; reset after stable uptime
  int last_code = -1;  // exit code, or 128+signal; -1 before the first exit
  Millis started_at = 0;
  Millis deadline = 0;        // kBackoff: restart time; kStopping: SIGKILL time
  bool killed = false;        // kStopping: SIGKILL already sent
  bool probe_failed = false;  // stopped because readiness never came
  std::deque<Millis> starts;  // start times inside the start-limit window
  int probe_pid = 0;
  int probe_tries = 0;
  Millis probe_at = 0;  // next probe try, or the running probe's timeout
};

class Supervisor {
 public:
  // exit_when_idle: shut down (code 0, or 1 if a service failed) once nothing runs or will.
  Supervisor(std::vector<ServiceConfig> services, ProcessOps* ops, bool exit_when_idle);

  void Start(Millis now);
  // A reaped child; false if it was no service or probe of ours.
  bool OnExit(int pid, int wait_status, Millis now);
  // The service reported readiness (notification fd or sd_notify READY=1).
  void OnReady(size_t index, Millis now);
  // Deadlines (restart delays, stop timeouts, probes) that have passed.
  void OnTimer(Millis now);
  // Stops every service in reverse dependency order; the first code given wins.
  void Shutdown(Millis now, int exit_code);

  std::optional<Millis> NextDeadline() const;
  bool shutting_down() const { return shutting_down_; }
  // Shutting down and no service process is left.
  bool Finished() const;
  int exit_code() const { return exit_code_; }
  const std::vector<Service>& services() const { return services_; }
  // One line per service: name, state, pid, restarts, last exit code.
  std::string StatusText() const;
  // Every long-running service ready and every oneshot done, and not shutting down. True with
  // no services at all.
  bool AllReady() const;
  // How many times the set became all ready: each public call that ends all ready after one
  // that did not counts once (a restart in between, even with no delay, makes the next one).
  int ready_count() const { return ready_count_; }

 private:
  void StartService(size_t i, Millis now);
  void StartReadyServices(Millis now);
  void MarkReady(size_t i, Millis now);
  void HandleExit(size_t i, int wait_status, Millis now);
  void HandleProbeExit(size_t i, int wait_status, Millis now);
  void GiveUp(size_t i, Millis now, const std::string& why);
  void StopService(size_t i, Millis now);
  void ProgressShutdown(Millis now);
  void CheckIdle(Millis now);
  bool DependenciesMet(size_t i) const;
  bool HasLiveDependents(size_t i) const;
  bool StartLimitHit(size_t i, Millis at);
  void Logf(const Service& s, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  void UpdateReady();

  std::vector<Service> services_;
  std::vector<std::vector<size_t>> deps_;  // deps_[i]: indexes service i comes after
  ProcessOps* ops_;
  bool exit_when_idle_;
  bool shutting_down_ = false;
  int exit_code_ = 0;
  bool all_ready_ = false;
  int ready_count_ = 0;
};

// The exit code a wait status stands for: the code, or 128+signal.
int ExitCodeOf(int wait_status);

}  // namespace barekit::init

#endif  // INIT_SUPERVISOR_H_
