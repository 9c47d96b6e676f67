#include "init/runtime.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "base/posix_error.h"
#include "init/boot_markers.h"
#include "init/control_device.h"
#include "init/probe.h"
#include "init/spawn.h"

namespace barekit::init {
namespace {

enum Kind : uint64_t {
  kSignalFd = 1,
  kLog,
  kReadyFd,
  kNotify,
  kControl,
  kChannel,
  kPowerKey,
  kStdout
};
uint64_t Tag(Kind k, size_t i) { return (static_cast<uint64_t>(k) << 32) | i; }

void AddFd(int ep, int fd, uint64_t tag, int op = EPOLL_CTL_ADD, uint32_t events = EPOLLIN) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  epoll_ctl(ep, op, fd, &ev);
}

// Service output waiting for stdout: past kOutHigh bytes init stops reading the services' log
// pipes (they then wait on their own writes), and reads again once it is down to kOutLow.
constexpr size_t kOutHigh = 256 << 10;
constexpr size_t kOutLow = 64 << 10;
// At exit, how long output still waiting gets to go out before it is dropped.
constexpr Millis kFinalFlushMs = 5000;

// How often a missing control channel or power key is looked for again.
constexpr Millis kDevicePollMs = 200;
// Replies the host has not read yet; past this they are dropped rather than kept.
constexpr size_t kMaxPendingReplies = 65536;
// Reads of the control channel per wakeup, so a host that floods it cannot starve the loop.
constexpr int kMaxChannelReads = 16;

void SetNonBlock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void MkdirAll(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i)
    if (i == dir.size() || dir[i] == '/') mkdir(dir.substr(0, i).c_str(), 0755);
}

Result<UniqueFd> BindUnix(const std::string& path, int type) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return Status::InvalidArgument(path + ": socket path too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return PosixError("socket", errno);
  if (type == SOCK_STREAM) {
    // Never take the socket of another live init (same run dir): it still answers.
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe.valid() && connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
      return Status::InvalidArgument(path + ": in use by another barekit-init (use --run-dir)");
  }
  unlink(path.c_str());
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return PosixError("bind " + path, errno);
  if (type == SOCK_STREAM && listen(fd.get(), 8) < 0) return PosixError("listen " + path, errno);
  return fd;
}

}  // namespace

static Millis ClockMillis(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<Millis>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Millis MonotonicMillis() { return ClockMillis(CLOCK_MONOTONIC); }
Millis BootMillis() { return ClockMillis(CLOCK_BOOTTIME); }

struct Runtime::Slot {
  explicit Slot(std::string_view name) : relay(name) {}
  LineRelay relay;
  UniqueFd log_r, log_w;      // the service's stdout+stderr; kept open across restarts
  UniqueFd ready_r, ready_w;  // notification fd (write a newline when ready)
  UniqueFd notify;            // sd_notify socket
  std::string notify_path;
};

Runtime::Runtime(RuntimeOptions options, Config config)
    : opt_(std::move(options)), config_(std::move(config)) {}

Runtime::~Runtime() {
  for (auto& s : slots_)
    if (!s->notify_path.empty()) unlink(s->notify_path.c_str());
  if (control_.valid()) unlink((opt_.run_dir + "/control").c_str());
}

void Runtime::Log(std::string_view line) {
  // PID 1 never blocks on its own messages. A stderr that is not drained (a pipe nobody reads, a
  // stalled console) would otherwise stop reaping, restarts and the control socket at the next
  // line. A line goes out only when stderr has room for it whole (at most PIPE_BUF bytes, which
  // a pipe writes at once); otherwise it is dropped and counted, and the count leads the next
  // line that fits. stderr's flags are left alone: the services share that file description.
  std::string s;
  if (dropped_logs_ > 0) {
    s = "barekit-init: " + std::to_string(dropped_logs_) + " messages dropped: stderr was full\n";
  }
  s += "barekit-init: ";
  s.append(line);
  if (s.size() > PIPE_BUF - 1) s.resize(PIPE_BUF - 1);
  s.push_back('\n');
  pollfd room{2, POLLOUT, 0};
  int ready;
  do {
    ready = poll(&room, 1, 0);
  } while (ready < 0 && errno == EINTR);
  if (ready != 1 || (room.revents & POLLOUT) == 0) {
    ++dropped_logs_;
    return;
  }
  ssize_t w;
  do {
    w = write(2, s.data(), s.size());
  } while (w < 0 && errno == EINTR);
  if (w == static_cast<ssize_t>(s.size())) {
    dropped_logs_ = 0;
  } else if (w < 0) {
    ++dropped_logs_;
  }
}

// Stdout carries the services' output and the console markers. Nothing here blocks: bytes are
// queued and written as stdout takes them (EPOLLOUT), and when the queue grows past kOutHigh the
// log pipes are no longer read, so a service waits on its own write instead of PID 1 waiting on
// a console or pipe nobody drains. No line is dropped, except when stdout fails for good or at
// exit (FlushOutBefore).
void Runtime::WriteOut(std::string_view s) {
  out_pending_.append(s);
  FlushOut();
}

void Runtime::OpenOut() {
  // A file description of our own, non-blocking: the services share fd 1's, whose flags stay as
  // they were. Pipes and character devices (consoles) only: a regular file never blocks, and a
  // new description of it would have an offset of its own. A socket cannot be reopened but
  // takes MSG_DONTWAIT. Anything else (or no /proc) is written when poll says it has room.
  struct stat st {};
  if (fstat(1, &st) != 0) return;
  out_mode_ = S_ISREG(st.st_mode)    ? OutMode::kFile
              : S_ISSOCK(st.st_mode) ? OutMode::kSocket
                                     : OutMode::kPolled;
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    out_.Reset(open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (out_.valid()) out_mode_ = OutMode::kOwn;
  }
}

ssize_t Runtime::WriteSome(const char* p, size_t n) {
  switch (out_mode_) {
    case OutMode::kOwn:
      return write(OutFd(), p, n);
    case OutMode::kFile:
      return write(1, p, n);
    case OutMode::kSocket:
      return send(1, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    case OutMode::kPolled:
      break;
  }
  pollfd room{1, POLLOUT, 0};
  const int r = poll(&room, 1, 0);
  if (r < 0) return -1;
  if (r == 0) {
    errno = EAGAIN;
    return -1;
  }
  // POLLOUT promises room for PIPE_BUF bytes on a pipe; an error shows in the write.
  return write(1, p, std::min<size_t>(n, PIPE_BUF));
}

void Runtime::FlushOut() {
  while (out_head_ < out_pending_.size()) {
    const ssize_t w = WriteSome(out_pending_.data() + out_head_, out_pending_.size() - out_head_);
    if (w > 0) {
      out_head_ += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    // The reader is gone (EPIPE) or the device failed: nobody will read these bytes.
    out_head_ = out_pending_.size();
  }
  if (out_head_ == out_pending_.size()) {
    out_pending_.clear();
    out_head_ = 0;
  } else if (out_head_ >= kOutLow && out_head_ * 2 >= out_pending_.size()) {
    out_pending_.erase(0, out_head_);
    out_head_ = 0;
  }
  const size_t waiting = out_pending_.size() - out_head_;
  const bool want = waiting > 0;
  if (want != out_polls_ && out_mode_ != OutMode::kFile) {
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u64 = Tag(kStdout, 0);
    if (epoll_ctl(epfd_.get(), want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, OutFd(), &ev) == 0 || !want) {
      out_polls_ = want;
    }
  }
  if (waiting > kOutHigh) {
    PauseLogs(true);
  } else if (waiting <= kOutLow) {
    PauseLogs(false);
  }
}

void Runtime::FlushOutBefore(Millis deadline) {
  for (;;) {
    FlushOut();
    const size_t waiting = out_pending_.size() - out_head_;
    if (waiting == 0) return;
    const Millis now = MonotonicMillis();
    if (now >= deadline) {
      Log(std::to_string(waiting) + " bytes of service output dropped: stdout was not drained");
      out_pending_.clear();
      out_head_ = 0;
      return;
    }
    pollfd room{OutFd(), POLLOUT, 0};
    poll(&room, 1, static_cast<int>(std::min<Millis>(deadline - now, 100)));
  }
}

void Runtime::PauseLogs(bool pause) {
  if (pause == logs_paused_) return;
  logs_paused_ = pause;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i]->log_r.valid()) {
      AddFd(epfd_.get(), slots_[i]->log_r.get(), Tag(kLog, i), EPOLL_CTL_MOD,
            pause ? 0u : static_cast<uint32_t>(EPOLLIN));
    }
  }
}

Status Runtime::Setup() {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  // Ignored signals are dropped before a signalfd sees them: take them back to SIG_DFL
  // (blocked, so nothing happens) and restore the originals only in the main command.
  for (int sig = 1; sig < 32; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigfd_.Reset(signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd_.valid()) return PosixError("signalfd", errno);
  epfd_.Reset(epoll_create1(EPOLL_CLOEXEC));
  if (!epfd_.valid()) return PosixError("epoll_create1", errno);
  AddFd(epfd_.get(), sigfd_.get(), Tag(kSignalFd, 0));
  OpenOut();

  bool need_run_dir = true;
  std::vector<ServiceConfig> services = config_.services;
  if (!opt_.command.empty()) {
    ServiceConfig m;
    m.name = "main";
    m.argv = opt_.command;
    m.restart = RestartPolicy::kNever;
    m.critical = true;
    m.is_main = true;
    m.quiet = !opt_.verbose;
    m.start_limit_burst = 0;
    m.stop_timeout = config_.grace;
    services.push_back(std::move(m));
  }
  for (size_t i = 0; i < services.size(); ++i) {
    auto slot = std::make_unique<Slot>(services[i].name);
    if (services[i].is_main) {
      main_index_ = static_cast<int>(i);
      slots_.push_back(std::move(slot));
      continue;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return PosixError("pipe", errno);
    slot->log_r.Reset(p[0]);
    slot->log_w.Reset(p[1]);
    SetNonBlock(p[0]);
    AddFd(epfd_.get(), p[0], Tag(kLog, i));
    const Readiness& r = services[i].ready;
    if (r.kind == ReadyKind::kFd) {
      if (pipe2(p, O_CLOEXEC) < 0) return PosixError("pipe", errno);
      slot->ready_r.Reset(p[0]);
      slot->ready_w.Reset(p[1]);
      SetNonBlock(p[0]);
      AddFd(epfd_.get(), p[0], Tag(kReadyFd, i));
    } else if (r.kind == ReadyKind::kNotify) {
      if (need_run_dir) MkdirAll(opt_.run_dir), need_run_dir = false;
      slot->notify_path = opt_.run_dir + "/" + services[i].name + ".notify";
      Result<UniqueFd> s = BindUnix(slot->notify_path, SOCK_DGRAM);
      if (!s.ok()) {
        Log(services[i].name + ": notify socket: " + s.status().message());
        slot->notify_path.clear();
      } else {
        slot->notify = std::move(s).value();
        AddFd(epfd_.get(), slot->notify.get(), Tag(kNotify, i));
      }
    }
    slots_.push_back(std::move(slot));
  }
  // A plain tini-style run (one command, no services) needs no status socket.
  if (opt_.system_mode || !config_.services.empty() || opt_.run_dir_given) {
    MkdirAll(opt_.run_dir);
    Result<UniqueFd> c = BindUnix(opt_.run_dir + "/control", SOCK_STREAM);
    if (c.ok()) {
      control_ = std::move(c).value();
      AddFd(epfd_.get(), control_.get(), Tag(kControl, 0));
    } else {
      Log("control socket: " + c.status().message());
    }
  }
  sup_ = std::make_unique<Supervisor>(std::move(services), this,
                                      !opt_.system_mode && opt_.command.empty());
  return Status::Ok();
}

Result<int> Runtime::Spawn(size_t index, const ServiceConfig& s) {
  SpawnSpec spec;
  spec.argv = s.argv;
  sigemptyset(&spec.mask);
  sigemptyset(&spec.ignored);
  if (s.is_main) {
    spec.env = MergeEnvironment({});
    spec.stdin_null = false;
    spec.take_tty = true;
    spec.mask = opt_.original_mask;
    spec.ignored = opt_.original_ignored;
    return init::Spawn(spec);
  }
  Slot& slot = *slots_[index];
  std::vector<std::string> env = s.env;
  if (slot.notify.valid()) env.push_back("NOTIFY_SOCKET=" + slot.notify_path);
  spec.env = MergeEnvironment(env);
  spec.cwd = s.cwd.empty() ? "/" : s.cwd;
  spec.uid = s.uid;
  spec.gid = s.gid;
  spec.output_fd = slot.log_w.get();
  if (slot.ready_w.valid()) {
    spec.extra_fd = slot.ready_w.get();
    spec.extra_fd_target = s.ready.fd;
  }
  return init::Spawn(spec);
}

Result<int> Runtime::SpawnProbe(size_t index, const ServiceConfig& s) {
  if (s.ready.kind == ReadyKind::kExec) {
    SpawnSpec spec;
    spec.argv = s.ready.argv;
    spec.env = MergeEnvironment(s.env);
    spec.cwd = s.cwd.empty() ? "/" : s.cwd;
    spec.output_fd = slots_[index]->log_w.get();
    sigemptyset(&spec.mask);
    sigemptyset(&spec.ignored);
    return init::Spawn(spec);
  }
  pid_t pid = fork();
  if (pid < 0) return PosixError("fork", errno);
  if (pid == 0) {
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    _exit(s.ready.kind == ReadyKind::kTcp ? ProbeTcp(s.ready.address) : ProbeHttp(s.ready.address));
  }
  return static_cast<int>(pid);
}

void Runtime::Signal(int pid, int sig, bool group) {
  if (pid <= 0) return;
  if (group && kill(-pid, sig) == 0) return;
  kill(pid, sig);  // ESRCH is fine: it is gone already
}

void Runtime::KillEverything(int sig) {
  if (getpid() == 1) {
    kill(-1, sig);
    return;
  }
  // A subreaper cannot use kill(-1): signal our own children, found through /proc.
  char path[300], buf[512];
  const pid_t self = getpid();
  DIR* dir = opendir("/proc");
  if (!dir) return;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    std::snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0) continue;
    buf[len] = 0;
    // pid (comm) state ppid ...: comm may hold spaces and parens, so parse after the last ')'.
    const char* rp = std::strrchr(buf, ')');
    if (!rp || std::strlen(rp) < 5) continue;
    if (std::atoi(rp + 4) == self) kill(std::atoi(e->d_name), sig);  // ") S 123 ..."
  }
  closedir(dir);
}

void Runtime::ReadLog(size_t i, bool even_paused) {
  Slot& slot = *slots_[i];
  if (!slot.log_r.valid()) return;
  char buf[65536];
  std::string out;
  for (;;) {
    if (logs_paused_ && !even_paused) break;
    ssize_t n = read(slot.log_r.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    slot.relay.Feed(std::string_view(buf, static_cast<size_t>(n)), &out);
    if (out.size() >= sizeof buf) {
      WriteOut(out);
      out.clear();
    }
  }
  if (!out.empty()) WriteOut(out);
}

void Runtime::DrainLogs() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    ReadLog(i, /*even_paused=*/true);
    std::string out;
    slots_[i]->relay.Flush(&out);
    if (!out.empty()) WriteOut(out);
  }
}

void Runtime::ReadNotifyFd(size_t i) {
  char buf[256];
  bool ready = false;
  for (;;) {
    ssize_t n = read(slots_[i]->ready_r.get(), buf, sizeof buf);
    if (n <= 0) break;
    if (std::memchr(buf, '\n', static_cast<size_t>(n))) ready = true;
  }
  if (ready) sup_->OnReady(i, MonotonicMillis());
}

void Runtime::ReadNotifySocket(size_t i) {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(slots_[i]->notify.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::string_view msg(buf, static_cast<size_t>(n));
    while (!msg.empty()) {
      size_t nl = msg.find('\n');
      std::string_view line = msg.substr(0, nl);
      if (line == "READY=1")
        sup_->OnReady(i, MonotonicMillis());
      else if (line.rfind("STATUS=", 0) == 0 && opt_.verbose)
        Log(sup_->services()[i].config.name + ": " + std::string(line));
      if (nl == std::string_view::npos) break;
      msg.remove_prefix(nl + 1);
    }
  }
}

void Runtime::ServeControl() {
  for (;;) {
    int fd = accept4(control_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    std::string text = sup_->StatusText();
    if (sup_->shutting_down()) text += "(shutting down)\n";
    // A short status text fits the socket buffer; a reader that is not there loses it.
    (void)!send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(fd);
  }
}

void Runtime::Reap() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) {
      no_children_ = errno == ECHILD;
      return;
    }
    no_children_ = false;
    if (pid == 0) return;
    const auto& svc = sup_->services();
    for (size_t i = 0; i < svc.size(); ++i)
      if (svc[i].pid == pid) ReadLog(i);  // its last lines come before its status line
    if (!sup_->OnExit(pid, status, MonotonicMillis()) && opt_.warn_on_reap) {
      char line[64];
      std::snprintf(line, sizeof line, "reaped zombie pid %d", static_cast<int>(pid));
      Log(line);
    }
  }
}

void Runtime::HandleSignal(int sig) {
  const Millis now = MonotonicMillis();
  if (sig == SIGCHLD) return;
  if (opt_.system_mode) {
    const char* what = nullptr;
    switch (sig) {
      case SIGUSR1:
        power_ = PowerAction::kHalt, what = "halt";
        break;
      case SIGUSR2:
      case SIGPWR:
        power_ = PowerAction::kPowerOff, what = "power off";
        break;
      case SIGTERM:
      case SIGINT:
        power_ = PowerAction::kReboot, what = "reboot";
        break;
      default:
        break;
    }
    if (what && !sup_->shutting_down()) {
      char line[64];
      std::snprintf(line, sizeof line, "SIG%s: shutting down to %s", SignalName(sig), what);
      Log(line);
      sup_->Shutdown(now, 0);
    }
    return;
  }
  if (main_index_ >= 0) {
    int pid = sup_->services()[static_cast<size_t>(main_index_)].pid;
    if (pid > 0) Signal(pid, sig, opt_.forward_to_group);
    return;
  }
  if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
    if (!sup_->shutting_down()) Log(std::string("SIG") + SignalName(sig) + ": shutting down");
    sup_->Shutdown(now, 0);
  }
}

const std::vector<Service>& Runtime::ControlServices() const { return sup_->services(); }

void Runtime::ControlSignal(int pid, int sig) { Signal(pid, sig, true); }

void Runtime::ControlShutdown(PowerAction action) {
  std::string why = std::string("control channel: ") + PowerActionName(action);
  RequestPower(action, why.c_str());
}

void Runtime::RequestPower(PowerAction action, const char* why) {
  // As with signals, the latest request decides what happens at the end.
  power_ = action;
  if (sup_->shutting_down()) return;
  Log(why);
  sup_->Shutdown(MonotonicMillis(), 0);
}

void Runtime::PrintReadyMarker() {
  if (!opt_.system_mode || sup_->ready_count() == ready_printed_) return;
  ready_printed_ = sup_->ready_count();
  WriteOut(ReadyMarker(ready_printed_, BootMillis(), sup_->services()));
}

std::optional<Millis> Runtime::NextDevicePoll() const {
  if (!opt_.system_mode) return std::nullopt;
  if ((opt_.control && !channel_.valid()) || !power_key_.found()) return next_device_poll_;
  return std::nullopt;
}

void Runtime::PollDevices(Millis now) {
  next_device_poll_ = now + kDevicePollMs;
  if (opt_.control && !channel_.valid()) {
    std::string error;
    channel_ = OpenControlDevice(*opt_.control, &error);
    if (!error.empty() && !channel_error_logged_) Log(error);  // once, not every 200 ms
    channel_error_logged_ = !error.empty();
    if (channel_.valid()) {
      channel_in_ = ControlLineReader();
      channel_out_.clear();
      channel_polls_out_ = false;
      AddFd(epfd_.get(), channel_.get(), Tag(kChannel, 0));
    }
  }
  if (!power_key_.found()) {
    size_t added = power_key_.Scan();
    for (size_t k = power_key_.count() - added; k < power_key_.count(); ++k)
      AddFd(epfd_.get(), power_key_.fd(k), Tag(kPowerKey, k));
  }
}

void Runtime::CloseChannel(const char* why) {
  if (why) Log(std::string("control channel: ") + why + "; reopening");
  channel_.Reset();  // closing also takes it out of the epoll set
  channel_out_.clear();
  next_device_poll_ = MonotonicMillis() + kDevicePollMs;
}

void Runtime::FlushChannel() {
  if (!channel_.valid()) return;
  size_t done = 0;
  while (done < channel_out_.size()) {
    ssize_t w = write(channel_.get(), channel_out_.data() + done, channel_out_.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) break;
    if (w <= 0) {
      CloseChannel("write failed");
      return;
    }
    done += static_cast<size_t>(w);
  }
  channel_out_.erase(0, done);
  // Wake for EPOLLOUT only while replies wait.
  const bool want_out = !channel_out_.empty();
  if (want_out != channel_polls_out_) {
    channel_polls_out_ = want_out;
    AddFd(epfd_.get(), channel_.get(), Tag(kChannel, 0), EPOLL_CTL_MOD,
          want_out ? EPOLLIN | EPOLLOUT : EPOLLIN);
  }
}

void Runtime::ServeChannel(uint32_t events) {
  if (!channel_.valid()) return;
  char buf[512];
  bool gone = false;
  for (int reads = 0; reads < kMaxChannelReads; ++reads) {
    ssize_t n = read(channel_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      gone = true;  // EOF or EIO: the other side went away (a pty master, a virtio host)
      break;
    }
    std::string_view in(buf, static_cast<size_t>(n)), line;
    for (;;) {
      ControlLineReader::Event e = channel_in_.Next(&in, &line);
      if (e == ControlLineReader::Event::kNeedMore) break;
      if (e == ControlLineReader::Event::kTooLong)
        channel_out_.append(kLineTooLongReply);
      else
        RunControlCommand(line, this, &channel_out_);
    }
    if (channel_out_.size() > kMaxPendingReplies) {
      // Keep up to the first newline: it may end a line already partly written, and the host
      // must never see half a line glued to the next.
      Log("control channel: the host is not reading; replies dropped");
      size_t nl = channel_out_.find('\n');
      channel_out_.resize(nl == std::string::npos ? 0 : nl + 1);
    }
  }
  if (!channel_.valid()) return;
  FlushChannel();
  if (channel_.valid() && (gone || (events & (EPOLLHUP | EPOLLERR)))) CloseChannel(nullptr);
}

void Runtime::ReadPowerKey(size_t i) {
  if (power_key_.ReadPressed(i)) RequestPower(PowerAction::kPowerOff, "power key: powering off");
}

int Runtime::Run() {
  Status st = Setup();
  if (!st.ok()) {
    Log(st.message());
    return 1;
  }
  sup_->Start(MonotonicMillis());
  if (opt_.system_mode) PollDevices(MonotonicMillis());
  bool sweeping = false, killed = false;
  Millis sweep_deadline = 0;
  epoll_event events[32];
  for (;;) {
    Reap();
    Millis now = MonotonicMillis();
    sup_->OnTimer(now);
    PrintReadyMarker();
    std::optional<Millis> device_poll = NextDevicePoll();
    if (device_poll && now >= *device_poll) PollDevices(now), device_poll = NextDevicePoll();
    if (sup_->Finished()) {
      // Services are down; now everything else: TERM, wait until nothing is left or the grace
      // time ends, KILL.
      if (!sweeping) {
        sweeping = true;
        sweep_deadline = now + config_.grace;
        KillEverything(SIGTERM);
        KillEverything(SIGCONT);
        Reap();
      } else if (getpid() != 1 && !killed) {
        KillEverything(SIGTERM);  // orphans re-parented to us since
      }
      if (no_children_) break;
      if (!killed && now >= sweep_deadline) {
        Log("grace time over; sending SIGKILL to what is left");
        killed = true;
      }
      if (killed) KillEverything(SIGKILL);
    }
    int timeout = -1;
    std::optional<Millis> next = sup_->NextDeadline();
    if (sweeping) next = killed ? now + 100 : sweep_deadline;
    if (device_poll) next = next ? std::min(*next, *device_poll) : *device_poll;
    if (next)
      timeout = static_cast<int>(std::max<Millis>(0, std::min<Millis>(*next - now, 3600000)));
    int n = epoll_wait(epfd_.get(), events, 32, timeout);
    for (int k = 0; k < n; ++k) {
      const uint64_t tag = events[k].data.u64;
      const size_t i = static_cast<size_t>(tag & 0xffffffffu);
      switch (static_cast<Kind>(tag >> 32)) {
        case kSignalFd: {
          // One read unless the buffer filled: a zombie storm wakes us once per few exits, and
          // every syscall per wakeup shows in the reaping rate.
          signalfd_siginfo si[16];
          ssize_t r;
          do {
            r = read(sigfd_.get(), si, sizeof si);
            for (ssize_t j = 0; j < r / static_cast<ssize_t>(sizeof si[0]); ++j)
              HandleSignal(static_cast<int>(si[j].ssi_signo));
          } while (r == static_cast<ssize_t>(sizeof si));
          break;
        }
        case kLog:
          ReadLog(i);
          break;
        case kReadyFd:
          ReadNotifyFd(i);
          break;
        case kNotify:
          ReadNotifySocket(i);
          break;
        case kControl:
          ServeControl();
          break;
        case kChannel:
          ServeChannel(events[k].events);
          break;
        case kPowerKey:
          ReadPowerKey(i);
          break;
        case kStdout:
          FlushOut();
          break;
      }
    }
  }
  DrainLogs();
  if (!opt_.system_mode) {
    FlushOutBefore(MonotonicMillis() + kFinalFlushMs);
    return sup_->exit_code();
  }
  LogFn log = [this](std::string_view l) { Log(l); };
  Log(power_ == PowerAction::kReboot ? "rebooting"
      : power_ == PowerAction::kHalt ? "halting"
                                     : "powering off");
  FlushChannel();
  // The marker says the shutdown was orderly and the data is on disk: after sync(), just
  // before reboot(2) (which syncs again, a no-op by then).
  sync();
  WriteOut(DownMarker(power_, BootMillis()));
  FlushOutBefore(MonotonicMillis() + kFinalFlushMs);
  for (;;) {
    SyncAndReboot(power_, log);
    // reboot(2) failed: PID 1 must not exit. Keep reaping and retry on the next signal.
    signalfd_siginfo si;
    epoll_wait(epfd_.get(), events, 1, 1000);
    while (read(sigfd_.get(), &si, sizeof si) > 0) {
    }
    Reap();
  }
}

}  // namespace barekit::init
