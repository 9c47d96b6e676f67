#include "init/supervisor.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace barekit::init {

const char* StateName(ServiceState s) {
  switch (s) {
    case ServiceState::kWaiting:
      return "waiting";
    case ServiceState::kStarting:
      return "starting";
    case ServiceState::kRunning:
      return "running";
    case ServiceState::kBackoff:
      return "backoff";
    case ServiceState::kStopping:
      return "stopping";
    case ServiceState::kDone:
      return "done";
    case ServiceState::kExited:
      return "exited";
    case ServiceState::kFailed:
      return "failed";
  }
  return "?";
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

namespace {
bool IsProbe(ReadyKind k) {
  return k == ReadyKind::kTcp || k == ReadyKind::kHttp || k == ReadyKind::kExec;
}
bool Live(ServiceState s) {
  return s == ServiceState::kStarting || s == ServiceState::kRunning ||
         s == ServiceState::kStopping;
}
}  // namespace

Supervisor::Supervisor(std::vector<ServiceConfig> services, ProcessOps* ops, bool exit_when_idle)
    : ops_(ops), exit_when_idle_(exit_when_idle) {
  for (ServiceConfig& c : services) services_.push_back(Service{std::move(c)});
  deps_.resize(services_.size());
  for (size_t i = 0; i < services_.size(); ++i)
    for (const std::string& name : services_[i].config.after)
      for (size_t j = 0; j < services_.size(); ++j)
        if (services_[j].config.name == name) deps_[i].push_back(j);
}

void Supervisor::Logf(const Service& s, const char* fmt, ...) {
  if (s.config.quiet) return;
  char buf[512];
  int n = std::snprintf(buf, sizeof buf, "%s: ", s.config.name.c_str());
  if (n < 0 || n >= static_cast<int>(sizeof buf)) n = 0;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf + n, sizeof buf - n, fmt, ap);
  va_end(ap);
  ops_->Log(buf);
}

void Supervisor::Start(Millis now) {
  StartReadyServices(now);
  CheckIdle(now);
  UpdateReady();
}

bool Supervisor::AllReady() const {
  if (shutting_down_) return false;
  for (const Service& s : services_) {
    const ServiceState want = s.config.oneshot ? ServiceState::kDone : ServiceState::kRunning;
    if (s.state != want) return false;
  }
  return true;
}

void Supervisor::UpdateReady() {
  const bool now_ready = AllReady();
  if (now_ready && !all_ready_) ++ready_count_;
  all_ready_ = now_ready;
}

bool Supervisor::DependenciesMet(size_t i) const {
  for (size_t j : deps_[i]) {
    ServiceState s = services_[j].state;
    if (s != ServiceState::kRunning && s != ServiceState::kDone) return false;
  }
  return true;
}

void Supervisor::StartReadyServices(Millis now) {
  if (shutting_down_) return;
  for (size_t i = 0; i < services_.size(); ++i)
    if (services_[i].state == ServiceState::kWaiting && DependenciesMet(i)) StartService(i, now);
}

bool Supervisor::StartLimitHit(size_t i, Millis at) {
  Service& s = services_[i];
  const int burst = s.config.start_limit_burst;
  if (burst <= 0) return false;
  while (!s.starts.empty() && s.starts.front() <= at - s.config.start_limit_interval)
    s.starts.pop_front();
  return static_cast<int>(s.starts.size()) >= burst;
}

void Supervisor::StartService(size_t i, Millis now) {
  Service& s = services_[i];
  if (StartLimitHit(i, now)) {
    GiveUp(i, now, "start limit reached");
    return;
  }
  const bool restart = s.last_code >= 0;
  s.starts.push_back(now);
  s.killed = s.probe_failed = false;
  s.probe_pid = s.probe_tries = 0;
  Result<int> pid = ops_->Spawn(i, s.config);
  if (!pid.ok()) {
    Logf(s, "cannot start: %s", pid.status().message().c_str());
    s.started_at = now;
    HandleExit(i, 127 << 8, now);  // as if it exited 127, so the restart rules apply
    return;
  }
  if (restart) ++s.restarts;
  s.pid = *pid;
  s.started_at = now;
  s.state = ServiceState::kStarting;
  Logf(s, "started (pid %d)", s.pid);
  if (IsProbe(s.config.ready.kind)) s.probe_at = now + s.config.ready.initial_delay;
  if (s.config.ready.kind == ReadyKind::kNone && !s.config.oneshot) MarkReady(i, now);
}

void Supervisor::MarkReady(size_t i, Millis now) {
  Service& s = services_[i];
  if (s.state != ServiceState::kStarting) return;
  s.state = ServiceState::kRunning;
  if (s.config.ready.kind != ReadyKind::kNone) Logf(s, "ready (pid %d)", s.pid);
  StartReadyServices(now);
}

void Supervisor::OnReady(size_t index, Millis now) {
  if (index < services_.size() && !services_[index].config.oneshot) MarkReady(index, now);
  UpdateReady();
}

bool Supervisor::OnExit(int pid, int wait_status, Millis now) {
  if (pid <= 0) return false;
  for (size_t i = 0; i < services_.size(); ++i) {
    if (services_[i].pid == pid) {
      HandleExit(i, wait_status, now);
      UpdateReady();
      return true;
    }
    if (services_[i].probe_pid == pid) {
      HandleProbeExit(i, wait_status, now);
      UpdateReady();
      return true;
    }
  }
  return false;
}

void Supervisor::HandleProbeExit(size_t i, int wait_status, Millis now) {
  Service& s = services_[i];
  s.probe_pid = 0;
  if (s.state != ServiceState::kStarting) return;
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
    MarkReady(i, now);
    return;
  }
  if (++s.probe_tries >= s.config.ready.tries) {
    Logf(s, "readiness check failed %d times; stopping it", s.probe_tries);
    s.probe_failed = true;
    StopService(i, now);
    return;
  }
  s.probe_at = now + s.config.ready.period;
}

void Supervisor::HandleExit(size_t i, int wait_status, Millis now) {
  Service& s = services_[i];
  const int code = ExitCodeOf(wait_status);
  const bool was_stopping = s.state == ServiceState::kStopping;
  const bool probe_failed = s.probe_failed;
  s.pid = 0;
  s.last_code = code;
  if (s.probe_pid) {
    ops_->Signal(s.probe_pid, SIGKILL, true);
    s.probe_pid = 0;  // reaped later as an unknown child
  }
  char how[64];
  if (WIFSIGNALED(wait_status))
    std::snprintf(how, sizeof how, "killed by SIG%s", SignalName(WTERMSIG(wait_status)));
  else
    std::snprintf(how, sizeof how, "exited with code %d", code);

  if (shutting_down_ || (was_stopping && !probe_failed)) {
    s.state = ServiceState::kExited;
    Logf(s, "stopped (%s)", how);
    if (shutting_down_)
      ProgressShutdown(now);
    else
      CheckIdle(now);
    return;
  }
  if (s.config.oneshot && code == 0) {
    s.state = ServiceState::kDone;
    Logf(s, "finished");
    StartReadyServices(now);
    CheckIdle(now);
    return;
  }
  const bool clean = code == 0 && !probe_failed;
  const bool restart = s.config.restart == RestartPolicy::kAlways ||
                       (s.config.restart == RestartPolicy::kOnFailure && !clean);
  if (!restart) {
    s.state = ServiceState::kExited;
    Logf(s, "%s", how);
    if (s.config.critical && !s.config.is_main) {
      Logf(s, "critical service ended; shutting down with code %d", code);
    }
    if (s.config.critical)
      Shutdown(now, code);
    else
      CheckIdle(now);
    return;
  }
  // Exponential backoff from restart_delay, capped; a run longer than stable_after resets it.
  if (now - s.started_at >= s.config.stable_after) s.failures = 0;
  ++s.failures;
  Millis delay = s.config.restart_delay;
  for (int k = 1; k < s.failures && delay < s.config.restart_delay_max; ++k) delay *= 2;
  delay = std::min(delay, s.config.restart_delay_max);
  if (StartLimitHit(i, now + delay)) {
    Logf(s, "%s", how);
    GiveUp(i, now, "start limit reached");
    return;
  }
  s.state = ServiceState::kBackoff;
  s.deadline = now + delay;
  Logf(s, "%s; restarting in %lld ms", how, static_cast<long long>(delay));
}

void Supervisor::GiveUp(size_t i, Millis now, const std::string& why) {
  Service& s = services_[i];
  s.state = ServiceState::kFailed;
  Logf(s, "failed: %s (%d starts within %lld ms)", why.c_str(), s.config.start_limit_burst,
       static_cast<long long>(s.config.start_limit_interval));
  if (s.config.critical) {
    int code = s.last_code > 0 ? s.last_code : 1;
    Logf(s, "critical service failed; shutting down with code %d", code);
    Shutdown(now, code);
    return;
  }
  CheckIdle(now);
}

void Supervisor::CheckIdle(Millis now) {
  if (!exit_when_idle_ || shutting_down_) return;
  bool failed = false;
  for (const Service& s : services_) {
    switch (s.state) {
      case ServiceState::kDone:
      case ServiceState::kExited:
        break;
      case ServiceState::kFailed:
        failed = true;
        break;
      case ServiceState::kWaiting:
        // Waiting on something that will never be ready counts as idle.
        for (size_t j = 0; j < services_.size(); ++j)
          if (&services_[j] == &s && DependenciesMet(j)) return;
        break;
      default:
        return;
    }
  }
  Shutdown(now, failed ? 1 : 0);
}

void Supervisor::StopService(size_t i, Millis now) {
  Service& s = services_[i];
  if (!s.pid) return;
  s.state = ServiceState::kStopping;
  s.deadline = now + s.config.stop_timeout;
  s.killed = false;
  Logf(s, "stopping (SIG%s, timeout %lld ms)", SignalName(s.config.stop_signal),
       static_cast<long long>(s.config.stop_timeout));
  ops_->Signal(s.pid, s.config.stop_signal, true);
  ops_->Signal(s.pid, SIGCONT, true);
  if (s.probe_pid) ops_->Signal(s.probe_pid, SIGKILL, true);
}

bool Supervisor::HasLiveDependents(size_t i) const {
  for (size_t j = 0; j < services_.size(); ++j) {
    if (!Live(services_[j].state)) continue;
    for (size_t d : deps_[j])
      if (d == i) return true;
  }
  return false;
}

void Supervisor::Shutdown(Millis now, int exit_code) {
  if (shutting_down_) return;
  shutting_down_ = true;
  exit_code_ = exit_code;
  for (Service& s : services_)
    if (s.state == ServiceState::kWaiting || s.state == ServiceState::kBackoff)
      s.state = ServiceState::kExited;
  ProgressShutdown(now);
  UpdateReady();
}

void Supervisor::ProgressShutdown(Millis now) {
  // Reverse order: a service stops only once everything that comes after it is gone.
  for (size_t k = services_.size(); k-- > 0;) {
    ServiceState st = services_[k].state;
    if ((st == ServiceState::kStarting || st == ServiceState::kRunning) && !HasLiveDependents(k))
      StopService(k, now);
  }
}

void Supervisor::OnTimer(Millis now) {
  for (size_t i = 0; i < services_.size(); ++i) {
    Service& s = services_[i];
    if (s.state == ServiceState::kBackoff && s.deadline <= now) {
      StartService(i, now);
    } else if (s.state == ServiceState::kStopping && !s.killed && s.deadline <= now) {
      Logf(s, "did not stop within %lld ms; sending SIGKILL",
           static_cast<long long>(s.config.stop_timeout));
      s.killed = true;
      ops_->Signal(s.pid, SIGKILL, true);
    } else if (s.state == ServiceState::kStarting && IsProbe(s.config.ready.kind) &&
               s.probe_at <= now) {
      if (s.probe_pid) {
        // This try ran out of time; its exit counts as a failed try.
        ops_->Signal(s.probe_pid, SIGKILL, true);
        s.probe_at = now + s.config.ready.period;
        continue;
      }
      Result<int> pid = ops_->SpawnProbe(i, s.config);
      if (pid.ok()) {
        s.probe_pid = *pid;
        s.probe_at = now + s.config.ready.timeout;
      } else {
        HandleProbeExit(i, 1 << 8, now);
      }
    }
  }
  if (shutting_down_) ProgressShutdown(now);
  UpdateReady();
}

std::optional<Millis> Supervisor::NextDeadline() const {
  std::optional<Millis> next;
  auto take = [&](Millis t) { next = next ? std::min(*next, t) : t; };
  for (const Service& s : services_) {
    if (s.state == ServiceState::kBackoff) take(s.deadline);
    if (s.state == ServiceState::kStopping && !s.killed) take(s.deadline);
    if (s.state == ServiceState::kStarting && IsProbe(s.config.ready.kind)) take(s.probe_at);
  }
  return next;
}

bool Supervisor::Finished() const {
  if (!shutting_down_) return false;
  for (const Service& s : services_)
    if (s.pid) return false;
  return true;
}

std::string Supervisor::StatusText() const {
  std::string out;
  char line[256];
  for (const Service& s : services_) {
    std::snprintf(line, sizeof line, "%-20s %-9s pid=%-7d restarts=%-4d last=%d\n",
                  s.config.name.c_str(), StateName(s.state), s.pid, s.restarts, s.last_code);
    out += line;
  }
  return out;
}

}  // namespace barekit::init
