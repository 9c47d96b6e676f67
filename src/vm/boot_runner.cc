#include "vm/boot_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/posix_error.h"
#include "base/unique_fd.h"
#include "vm/console.h"
#include "vm/http_probe.h"
#include "vm/qmp.h"

extern char** environ;

namespace barekit::vm {
namespace {

constexpr size_t kLastLines = 25;
constexpr int64_t kProbeTry = 1000;

// One QEMU process and its channels.
struct Vm {
  pid_t pid = -1;
  UniqueFd console;     // QEMU's stdout (the guest console)
  UniqueFd console_in;  // QEMU's stdin (typing into the console: U-Boot)
  UniqueFd err;         // QEMU's stderr
  UniqueFd control;     // the control channel's socket
  std::optional<QmpClient> qmp;
  std::string stderr_text;
  int status = 0;
  bool exited = false;
};

class Runner {
 public:
  Runner(const BootOptions& o, BootReport* r) : o_(o), r_(r), split_(4096) {}

  Status Prepare();
  void Run();
  void Cleanup();

 private:
  Status StartVm();
  void StopVm(bool graceful);
  // Polls the VM channels for up to `wait_ms`; handles console lines, events, exits, signals.
  void Pump(int wait_ms);
  void HandleEvents();  // QMP events read so far: log them, start a new boot on RESET
  void OnLine(std::string_view line);
  // Waits until pred() or the unpaused deadline; false on timeout, interrupt or `fail_` set.
  bool WaitUntil(const std::function<bool()>& pred, int64_t deadline_unpaused);
  int64_t Unpaused() const { return HostMillis() - paused_ms_; }
  bool BootAndReady(int64_t deadline, std::string* detail);
  bool Probe(int64_t deadline, std::string* detail);
  bool Control(const std::string& cmd, const std::string& want_prefix, int64_t deadline,
               std::string* reply);
  bool RunCheck(const Step& s, std::string* detail);
  StepResult DoStep(const Step& s);
  std::string StepName(const Step& s) const;

  const BootOptions& o_;
  BootReport* r_;
  std::string workdir_, initrd_, qmp_path_, ctl_path_;
  bool temp_workdir_ = false;
  QemuCommand cmd_;
  std::unique_ptr<Vm> vm_;
  UniqueFd sigfd_;
  std::FILE* log_ = nullptr;
  LineSplitter split_;
  std::string ctl_buf_;
  std::deque<std::string> ctl_lines_;
  std::deque<std::string> last_;
  int64_t paused_ms_ = 0;
  // Counters over the whole run (all boots).
  int inits_ = 0, readies_ = 0, downs_ = 0, panics_ = 0, failures_ = 0;
  std::string last_failure_;
  std::string last_down_action_, last_ready_services_;
  uint64_t lines_seen_ = 0;
  std::string watch_text_;  // after_line: text being waited for
  bool watch_hit_ = false;
  bool uboot_typed_ = false;
  bool interrupted_ = false;
  BootPhases* phase_ = nullptr;
  int64_t boot_start_ = 0, uboot_banner_ = -1, init_uptime_ = -1;
};

Status Runner::Prepare() {
  // Signals: INT/TERM/HUP end the run (and QEMU with it); read from a signalfd in the poll set.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigfd_.Reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!sigfd_.valid()) return PosixError("signalfd", errno);

  if (o_.workdir.empty()) {
    std::string tmpl = (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : "/tmp") +
                       "/barekit-boot-XXXXXX";
    if (!mkdtemp(tmpl.data())) return PosixError("mkdtemp " + tmpl, errno);
    workdir_ = tmpl;
    temp_workdir_ = true;
  } else {
    std::error_code ec;
    workdir_ = std::filesystem::absolute(o_.workdir, ec).string();  // reports and {placeholders}
    std::filesystem::create_directories(workdir_, ec);
    if (ec) return Status::IoError(workdir_ + ": " + ec.message());
  }
  r_->workdir = workdir_;
  qmp_path_ = workdir_ + "/qmp.sock";
  ctl_path_ = workdir_ + "/control.sock";
  if (qmp_path_.size() >= sizeof(sockaddr_un{}.sun_path))
    return Status::InvalidArgument("--workdir " + workdir_ + " is too long for a unix socket path");

  // The initrd: the user's image, then the overlay archive with the VM's modules (virtio, power
  // key), so the user's image is unchanged. Without an overlay, a link to the image (QEMU's
  // option syntax cannot take every path the user's file may have).
  initrd_ = workdir_ + "/initrd";
  unlink(initrd_.c_str());
  if (o_.overlay && !o_.overlay_options.modules_dir.empty()) {
    BK_ASSIGN_OR_RETURN(OverlayInfo info, WriteBootInitrd(o_.image, o_.overlay_options, initrd_));
    if (o_.live)
      for (const std::string& n : info.notes)
        std::fprintf(o_.live, "barekit boot: %s\n", n.c_str());
  } else {
    std::error_code ec;
    std::string image = std::filesystem::absolute(o_.image, ec).string();
    if (ec) return PosixError(o_.image, ec.value());
    if (symlink(image.c_str(), initrd_.c_str()) != 0) return PosixError(initrd_, errno);
  }

  MachineSpec spec = o_.machine;
  if (spec.disk.empty() && o_.disk_size) spec.disk = workdir_ + "/disk.raw";
  if (o_.disk_size) {
    UniqueFd d(open(spec.disk.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!d.valid() || ftruncate(d.get(), static_cast<off_t>(o_.disk_size)) != 0)
      return PosixError("disk " + spec.disk, errno);
  } else if (!spec.disk.empty() && access(spec.disk.c_str(), R_OK | W_OK) != 0) {
    return PosixError("--disk " + spec.disk, errno);
  }
  r_->disk = spec.disk;
  spec.initrd = initrd_;
  spec.qmp_socket = qmp_path_;
  spec.control_socket = ctl_path_;
  if (spec.machine == "microvm" && spec.tsc_khz == 0) spec.tsc_khz = HostTscKhz();
  BK_ASSIGN_OR_RETURN(cmd_, BuildQemuCommand(spec));
  if (!o_.qemu_dir.empty()) cmd_.argv[0] = o_.qemu_dir + "/" + cmd_.argv[0];
  r_->append = cmd_.append;

  r_->log_path = o_.log_path.empty() ? workdir_ + "/console.log" : o_.log_path;
  log_ = std::fopen(r_->log_path.c_str(), "w");
  if (!log_) return PosixError(r_->log_path, errno);
  std::fputs(("# " + fmt::format("{}", fmt::join(cmd_.argv, " ")) + "\n").c_str(), log_);
  return Status::Ok();
}

Status Runner::StartVm() {
  auto vm = std::make_unique<Vm>();
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC))
    return PosixError("pipe", errno);
  unlink(qmp_path_.c_str());
  unlink(ctl_path_.c_str());
  std::vector<char*> argv;
  for (std::string& s : cmd_.argv) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return PosixError("fork", errno);
  if (pid == 0) {
    // QEMU dies with barekit (even on SIGKILL), and runs in its own process group so a
    // terminal's ^C reaches only barekit, which then stops QEMU itself.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execvp(argv[0], argv.data());
    dprintf(2, "exec %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  vm->pid = pid;
  vm->console_in.Reset(in_pipe[1]);
  vm->console.Reset(out_pipe[0]);
  vm->err.Reset(err_pipe[0]);
  fcntl(vm->console.get(), F_SETFL, O_NONBLOCK);
  fcntl(vm->err.get(), F_SETFL, O_NONBLOCK);
  boot_start_ = HostMillis();
  uboot_banner_ = init_uptime_ = -1;
  uboot_typed_ = false;
  r_->boots.emplace_back();
  phase_ = &r_->boots.back();
  vm_ = std::move(vm);

  // QMP comes up within milliseconds; give a loaded machine 10 s.
  Result<QmpClient> q = QmpClient::Connect(qmp_path_, 10000);
  if (!q.ok()) {
    Pump(200);
    std::string why = vm_->stderr_text.empty() ? q.status().message() : vm_->stderr_text;
    while (!why.empty() && why.back() == '\n') why.pop_back();
    StopVm(false);
    return Status::IoError("QEMU did not start: " + why);
  }
  r_->qemu_version = q.value().version();
  vm_->qmp.emplace(std::move(q).value());
  // The control channel's socket (QEMU listens; the guest side opens when init does).
  UniqueFd c(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, ctl_path_.c_str(), ctl_path_.size() + 1);
  if (c.valid() && connect(c.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
    vm_->control = std::move(c);
  ctl_buf_.clear();
  ctl_lines_.clear();
  return Status::Ok();
}

// Ends the VM: `graceful` asks QMP to quit first (rc 0, no half-written disk cache), otherwise
// SIGKILL (the power cut). Either way the process is reaped here.
void Runner::StopVm(bool graceful) {
  if (!vm_) return;
  if (!vm_->exited && graceful && vm_->qmp) {
    (void)vm_->qmp->Execute("quit", nlohmann::json(), 2000);  // ECONNRESET is success here
    for (int i = 0; i < 100 && !vm_->exited; ++i) {
      int st;
      if (waitpid(vm_->pid, &st, WNOHANG) == vm_->pid) {
        vm_->exited = true;
        vm_->status = st;
      } else {
        usleep(20000);
      }
    }
  }
  if (!vm_->exited) {
    kill(vm_->pid, SIGKILL);
    int st;
    while (waitpid(vm_->pid, &st, 0) < 0 && errno == EINTR) {
    }
    vm_->exited = true;
    vm_->status = st;
  }
  // Whatever the console still held.
  char buf[4096];
  ssize_t n;
  while ((n = read(vm_->console.get(), buf, sizeof buf)) > 0)
    split_.Feed(std::string_view(buf, static_cast<size_t>(n)),
                [&](std::string_view l) { OnLine(l); });
  vm_.reset();
}

void Runner::OnLine(std::string_view line) {
  ++lines_seen_;
  if (o_.live) {
    std::fputs("  vm| ", o_.live);
    std::fwrite(line.data(), 1, line.size(), o_.live);
    std::fputc('\n', o_.live);
    std::fflush(o_.live);
  }
  if (log_) {
    std::fprintf(log_, "%8.3f ", static_cast<double>(HostMillis() - boot_start_) / 1000);
    std::fwrite(line.data(), 1, line.size(), log_);
    std::fputc('\n', log_);
    std::fflush(log_);
  }
  last_.emplace_back(line);
  if (last_.size() > kLastLines) last_.pop_front();
  if (!watch_text_.empty() && line.find(watch_text_) != std::string_view::npos) watch_hit_ = true;
  std::optional<Marker> m = ParseMarker(line);
  if (!m) return;
  int64_t now = HostMillis();
  switch (m->kind) {
    case MarkerKind::kInit:
      ++inits_;
      init_uptime_ = m->uptime_ms;
      if (phase_ && m->uptime_ms >= 0) {
        phase_->kernel_ms = m->uptime_ms;
        phase_->firmware_ms = std::max<int64_t>(0, now - m->uptime_ms - boot_start_);
      }
      break;
    case MarkerKind::kReady:
      ++readies_;
      last_ready_services_ = m->services;
      if (phase_ && phase_->total_ms < 0) {
        phase_->total_ms = now - boot_start_;
        if (m->uptime_ms >= 0 && init_uptime_ >= 0) phase_->init_ms = m->uptime_ms - init_uptime_;
      }
      break;
    case MarkerKind::kDown:
      ++downs_;
      last_down_action_ = m->action;
      break;
    case MarkerKind::kUbootBanner:
      uboot_banner_ = now;
      break;
    case MarkerKind::kKernelStart:
      if (phase_ && uboot_banner_ >= 0) phase_->uboot_ms = now - uboot_banner_;
      break;
    case MarkerKind::kKernelPanic:
      ++panics_;
      break;
    case MarkerKind::kServiceFailed:
      ++failures_;
      last_failure_ = "service " + m->services + " failed: " + m->action;
      break;
    case MarkerKind::kUbootPrompt:
      break;
  }
}

void Runner::HandleEvents() {
  if (!vm_ || !vm_->qmp) return;
  for (const QmpEvent& e : vm_->qmp->TakeEvents()) {
    if (log_) {
      std::fprintf(log_, "%8.3f # QMP event %s %s\n",
                   static_cast<double>(e.host_ms - boot_start_) / 1000, e.name.c_str(),
                   e.data.is_null() ? "" : e.data.dump().c_str());
    }
    // A new boot in the same QEMU: the phases start again. SeaBIOS resets the machine once
    // or twice more on its own before the kernel runs; those belong to the same boot.
    if (e.name == "RESET" && phase_ && phase_->kernel_ms >= 0) {
      boot_start_ = e.host_ms;
      r_->boots.emplace_back();
      phase_ = &r_->boots.back();
      uboot_typed_ = false;
    }
  }
}

void Runner::Pump(int wait_ms) {
  pollfd p[5];
  int n = 0;
  p[n++] = {sigfd_.get(), POLLIN, 0};
  int con = -1, err = -1, qmp = -1, ctl = -1;
  if (vm_) {
    con = n;
    p[n++] = {vm_->console.valid() ? vm_->console.get() : -1, POLLIN, 0};
    err = n;
    p[n++] = {vm_->err.valid() ? vm_->err.get() : -1, POLLIN, 0};
    qmp = n;
    p[n++] = {vm_->qmp ? vm_->qmp->fd() : -1, POLLIN, 0};
    ctl = n;
    p[n++] = {vm_->control.valid() ? vm_->control.get() : -1, POLLIN, 0};
  }
  int r = poll(p, static_cast<nfds_t>(n), wait_ms);
  if (r < 0 && errno != EINTR) return;
  if (p[0].revents) {
    signalfd_siginfo si;
    while (read(sigfd_.get(), &si, sizeof si) == sizeof si) interrupted_ = true;
  }
  if (!vm_) return;
  char buf[8192];
  if (con >= 0 && p[con].revents) {
    ssize_t k = read(vm_->console.get(), buf, sizeof buf);
    if (k > 0) {
      split_.Feed(std::string_view(buf, static_cast<size_t>(k)),
                  [&](std::string_view l) { OnLine(l); });
    } else if (k == 0) {
      vm_->console.Reset();
    }
    // U-Boot counts down without a newline: stop it and boot the -kernel/-initrd it was given
    // through fw_cfg, which saves the 2 s bootdelay.
    if (!uboot_typed_ &&
        split_.pending().find("Hit any key to stop autoboot") != std::string_view::npos) {
      uboot_typed_ = true;
      static const char kCmd[] =
          "\nqfw load ${kernel_addr_r} ${ramdisk_addr_r}; booti ${kernel_addr_r} "
          "${ramdisk_addr_r}:${filesize} ${fdt_addr}\n";
      ssize_t w = write(vm_->console_in.get(), kCmd, sizeof kCmd - 1);
      if (log_)
        std::fprintf(log_, "%8.3f # console > U-Boot boot command (%zd bytes)\n",
                     static_cast<double>(HostMillis() - boot_start_) / 1000, w);
    }
  }
  if (err >= 0 && p[err].revents) {
    ssize_t k = read(vm_->err.get(), buf, sizeof buf);
    if (k > 0 && vm_->stderr_text.size() < 8192)
      vm_->stderr_text.append(buf, static_cast<size_t>(k));
    if (k == 0) vm_->err.Reset();
  }
  if (qmp >= 0 && p[qmp].revents) {
    Status s = vm_->qmp->ReadAvailable();
    if (!s.ok()) {
      HandleEvents();
      vm_->qmp.reset();
    }
  }
  HandleEvents();
  if (ctl >= 0 && p[ctl].revents) {
    ssize_t k = read(vm_->control.get(), buf, sizeof buf);
    if (k > 0) {
      for (ssize_t i = 0; i < k; ++i) {
        char c = buf[i];
        if (c == '\n') {
          if (!ctl_buf_.empty() && ctl_buf_.back() == '\r') ctl_buf_.pop_back();
          if (log_)
            std::fprintf(log_, "%8.3f # control < %s\n",
                         static_cast<double>(HostMillis() - boot_start_) / 1000, ctl_buf_.c_str());
          ctl_lines_.push_back(std::move(ctl_buf_));
          ctl_buf_.clear();
          if (ctl_lines_.size() > 64) ctl_lines_.pop_front();
        } else if (ctl_buf_.size() < 1024) {
          ctl_buf_.push_back(c);
        }
      }
    } else if (k == 0) {
      vm_->control.Reset();
    }
  }
  int st;
  if (!vm_->exited && waitpid(vm_->pid, &st, WNOHANG) == vm_->pid) {
    vm_->exited = true;
    vm_->status = st;
    // Drain the console.
    ssize_t k;
    while (vm_->console.valid() && (k = read(vm_->console.get(), buf, sizeof buf)) > 0)
      split_.Feed(std::string_view(buf, static_cast<size_t>(k)),
                  [&](std::string_view l) { OnLine(l); });
  }
}

bool Runner::WaitUntil(const std::function<bool()>& pred, int64_t deadline_unpaused) {
  for (;;) {
    if (pred()) return true;
    if (interrupted_) return false;
    int64_t left = deadline_unpaused - Unpaused();
    if (left <= 0) return false;
    if (vm_ && vm_->exited) {
      // Nothing more will come from this QEMU; let pred see the final state once more.
      Pump(0);
      return pred();
    }
    Pump(static_cast<int>(std::min<int64_t>(left, 100)));
  }
}

bool Runner::BootAndReady(int64_t deadline, std::string* detail) {
  int ready0 = readies_, panics0 = panics_, failures0 = failures_;
  // A service barekit-init gave up on will never be ready: say so at once.
  bool ok = WaitUntil(
      [&] { return readies_ > ready0 || panics_ > panics0 || failures_ > failures0; }, deadline);
  if (ok && (panics_ > panics0 || failures_ > failures0)) {
    *detail = panics_ > panics0 ? "kernel panic" : last_failure_;
    return false;
  }
  if (!ok) {
    if (interrupted_)
      *detail = "interrupted";
    else if (vm_ && vm_->exited)
      *detail = "QEMU exited before the guest was ready";
    else
      *detail = "not ready in time (no BAREKIT-READY line)";
    return false;
  }
  *detail = "ready: " +
            (last_ready_services_.empty() ? std::string("(no services)") : last_ready_services_);
  return Probe(deadline, detail);
}

bool Runner::Probe(int64_t deadline, std::string* detail) {
  if (o_.probe.empty()) return true;
  Result<HttpUrl> url = ParseHttpUrl(o_.probe);
  if (!url.ok()) {
    *detail = url.status().message();
    return false;
  }
  std::string last;
  for (;;) {
    Result<int> code = HttpGet(
        url.value(), std::min<int64_t>(kProbeTry, std::max<int64_t>(1, deadline - Unpaused())));
    if (code.ok() && code.value() >= 200 && code.value() < 400) {
      *detail += fmt::format("; GET {} -> {}", url.value().path, code.value());
      return true;
    }
    last = code.ok() ? "HTTP " + std::to_string(code.value()) : code.status().message();
    if (interrupted_ || Unpaused() >= deadline || (vm_ && vm_->exited)) break;
    Pump(200);
  }
  *detail += "; probe " + o_.probe + " failed: " + last;
  return false;
}

bool Runner::Control(const std::string& cmd, const std::string& want_prefix, int64_t deadline,
                     std::string* reply) {
  if (!vm_ || !vm_->control.valid()) {
    *reply = "no control channel";
    return false;
  }
  // The guest may not have opened its end yet: ping until it answers, then send the command.
  auto send_line = [&](const std::string& line) {
    std::string l = line + "\n";
    if (log_)
      std::fprintf(log_, "%8.3f # control > %s\n",
                   static_cast<double>(HostMillis() - boot_start_) / 1000, line.c_str());
    return send(vm_->control.get(), l.data(), l.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(l.size());
  };
  auto take = [&](const std::string& prefix, std::string* out) {
    while (!ctl_lines_.empty()) {
      std::string l = std::move(ctl_lines_.front());
      ctl_lines_.pop_front();
      if (l.rfind(prefix, 0) == 0 || l.rfind("err", 0) == 0) {
        *out = l;
        return true;
      }
    }
    return false;
  };
  std::string got;
  bool alive = false;
  while (!alive) {
    ctl_lines_.clear();
    if (!send_line("ping")) break;
    int64_t until = std::min(deadline, Unpaused() + 500);
    alive = WaitUntil([&] { return take("ok pong", &got); }, until) && got == "ok pong";
    if (alive || interrupted_ || Unpaused() >= deadline || !vm_ || vm_->exited) break;
  }
  if (!alive) {
    *reply = "control channel: no answer to ping";
    return false;
  }
  if (cmd == "ping") {
    *reply = got;
    return true;
  }
  if (!send_line(cmd)) {
    *reply = "control channel: write failed";
    return false;
  }
  if (!WaitUntil([&] { return take(want_prefix, &got); }, deadline)) {
    *reply = "control channel: no reply to '" + cmd + "'";
    return false;
  }
  *reply = got;
  return got.rfind(want_prefix, 0) == 0;
}

bool Runner::RunCheck(const Step& s, std::string* detail) {
  std::vector<std::string> args;
  for (std::string a : s.check) {
    auto sub = [&](const std::string& key, const std::string& val) {
      for (size_t at; (at = a.find(key)) != std::string::npos;) a.replace(at, key.size(), val);
    };
    sub("{disk}", r_->disk);
    sub("{console}", r_->log_path);
    sub("{workdir}", workdir_);
    args.push_back(a);
  }
  if (log_) std::fflush(log_);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out[1], 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  UniqueFd rd(out[0]);
  if (rc != 0) {
    *detail += "; check: " + args[0] + ": " + std::strerror(rc);
    return false;
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(rd.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && text.size() < 65536) text.append(buf, static_cast<size_t>(n));
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::string last_line =
      text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
  *detail +=
      "; check " + std::string(ok ? "ok" : "FAILED") + (last_line.empty() ? "" : ": " + last_line);
  return ok;
}

std::string Runner::StepName(const Step& s) const {
  switch (s.fault) {
    case Fault::kPause:
      return fmt::format("pause:{}ms", s.pause);
    case Fault::kKill:
      return "kill:" + s.service + ":" + std::to_string(s.signal);
    default:
      return FaultName(s.fault);
  }
}

StepResult Runner::DoStep(const Step& s) {
  StepResult res;
  res.name = StepName(s);
  res.expect = ExpectName(s.expect);
  std::string& d = res.detail;
  int64_t deadline = Unpaused() + s.deadline;
  // A machine that is off (after a powerdown step) is switched on first.
  if (!vm_ || vm_->exited) {
    if (vm_) StopVm(false);
    Status st = StartVm();
    if (!st.ok() || !BootAndReady(deadline, &d)) {
      d = "power on: " + (st.ok() ? d : st.message());
      return res;
    }
    deadline = Unpaused() + s.deadline;
  }
  if (s.delay > 0) WaitUntil([] { return false; }, Unpaused() + s.delay);
  if (!s.after_line.empty()) {
    watch_text_ = s.after_line;
    watch_hit_ = false;
    bool seen = WaitUntil([&] { return watch_hit_; }, deadline);
    watch_text_.clear();
    if (!seen) {
      d = "no console line with '" + s.after_line + "'";
      return res;
    }
  }
  if (interrupted_) {
    d = "interrupted";
    return res;
  }
  const int ready0 = readies_, inits0 = inits_, downs0 = downs_;
  int64_t t0 = Unpaused();
  std::string why;
  switch (s.fault) {
    case Fault::kNone:
      break;
    case Fault::kPause: {
      Result<nlohmann::json> r = vm_->qmp ? vm_->qmp->Execute("stop") : Status::IoError("no QMP");
      if (!r.ok()) {
        d = r.status().message();
        return res;
      }
      int64_t host0 = HostMillis();
      // Keep reading the console while the guest is stopped; the pause is not deadline time.
      while (HostMillis() - host0 < s.pause && !interrupted_)
        Pump(static_cast<int>(std::min<int64_t>(100, s.pause - (HostMillis() - host0))));
      r = vm_->qmp->Execute("cont");
      paused_ms_ += HostMillis() - host0;
      t0 = Unpaused();
      if (!r.ok()) {
        d = r.status().message();
        return res;
      }
      break;
    }
    case Fault::kReset:
    case Fault::kPowerdown:
    case Fault::kCtrlAltDel: {
      nlohmann::json args;
      const char* cmd = s.fault == Fault::kReset       ? "system_reset"
                        : s.fault == Fault::kPowerdown ? "system_powerdown"
                                                       : "send-key";
      if (s.fault == Fault::kCtrlAltDel) {
        args = {{"keys",
                 {{{"type", "qcode"}, {"data", "ctrl"}},
                  {{"type", "qcode"}, {"data", "alt"}},
                  {{"type", "qcode"}, {"data", "delete"}}}}};
      }
      Result<nlohmann::json> r =
          vm_->qmp ? vm_->qmp->Execute(cmd, args) : Status::IoError("no QMP");
      if (!r.ok()) {
        d = r.status().message();
        return res;
      }
      break;
    }
    case Fault::kPowerCut: {
      StopVm(
          false);  // SIGKILL: the host page cache keeps what QEMU wrote; the guest's cache is lost
      Status st = StartVm();
      if (!st.ok()) {
        d = st.message();
        return res;
      }
      break;
    }
    case Fault::kKill: {
      std::string reply;
      if (!Control(fmt::format("kill {} {}", s.service, s.signal), "ok kill", deadline, &reply)) {
        d = reply;
        return res;
      }
      why = reply;
      break;
    }
  }
  bool ok = false;
  switch (s.expect) {
    case Expect::kReady: {
      bool new_boot =
          s.fault == Fault::kReset || s.fault == Fault::kCtrlAltDel || s.fault == Fault::kPowerCut;
      int panics0 = panics_, failures0 = failures_;
      ok = WaitUntil(
          [&] {
            return panics_ > panics0 || failures_ > failures0 ||
                   (readies_ > ready0 && (!new_boot || inits_ > inits0));
          },
          deadline);
      if (panics_ > panics0 || failures_ > failures0) {
        ok = false;
        d = panics_ > panics0 ? "kernel panic" : last_failure_;
      } else if (!ok) {
        d = interrupted_                   ? "interrupted"
            : vm_ && vm_->exited           ? "QEMU exited (guest powered off or crashed)"
            : new_boot && inits_ == inits0 ? "the machine did not boot again in time"
                                           : "not ready again in time";
      } else {
        d = (new_boot ? "booted again, ready: " : "ready again: ") + last_ready_services_;
        if (!why.empty()) d = why + "; " + d;
        ok = Probe(deadline, &d);
      }
      break;
    }
    case Expect::kOff: {
      ok = WaitUntil([&] { return vm_ && vm_->exited; }, deadline);
      bool orderly = downs_ > downs0;
      if (!ok) {
        d = downs_ > downs0 ? "BAREKIT-DOWN seen but QEMU still running"
                            : "still running (no orderly shutdown)";
      } else if (!orderly) {
        d = "QEMU exited without BAREKIT-DOWN (not an orderly poweroff)";
      } else {
        d = "powered off in order (" + last_down_action_ + ")";
      }
      ok = ok && orderly && last_down_action_ == "poweroff";
      break;
    }
    case Expect::kResponsive: {
      std::string reply;
      ok = Control("ping", "ok pong", deadline, &reply);
      d = ok ? "control channel answers" : reply;
      if (ok) ok = Probe(deadline, &d);
      break;
    }
  }
  res.ms = Unpaused() - t0;
  if (ok && !s.check.empty()) ok = RunCheck(s, &d);
  res.ok = ok;
  return res;
}

void Runner::Run() {
  StepResult first;
  first.name = "boot";
  first.expect = "ready";
  int64_t t0 = Unpaused();
  Status st = StartVm();
  if (!st.ok()) {
    first.detail = st.message();
  } else {
    first.ok = BootAndReady(t0 + o_.timeout, &first.detail);
  }
  first.ms = Unpaused() - t0;
  r_->steps.push_back(first);
  bool ok = first.ok;
  for (size_t i = 0; ok && i < o_.steps.size(); ++i) {
    r_->steps.push_back(DoStep(o_.steps[i]));
    ok = r_->steps.back().ok;
  }
  StopVm(true);
  r_->ok = ok && !interrupted_;
  r_->interrupted = interrupted_;
  r_->last_lines.assign(last_.begin(), last_.end());
  if (!split_.pending().empty()) r_->last_lines.emplace_back(split_.pending());
}

void Runner::Cleanup() {
  StopVm(false);
  if (log_) std::fclose(log_);
  log_ = nullptr;
  unlink(qmp_path_.c_str());
  unlink(ctl_path_.c_str());
  if (temp_workdir_ && r_->ok) {
    std::error_code ec;
    std::filesystem::remove_all(workdir_, ec);
    r_->workdir.clear();
    r_->log_path.clear();
    r_->disk.clear();
  } else {
    unlink(initrd_.c_str());
  }
}

std::string Ms(int64_t ms) {
  return ms < 0 ? "-" : fmt::format("{:.2f} s", static_cast<double>(ms) / 1000);
}

}  // namespace

Result<BootReport> RunBoot(const BootOptions& options) {
  BootReport report;
  Runner runner(options, &report);
  Status st = runner.Prepare();
  if (!st.ok()) {
    runner.Cleanup();
    return st;
  }
  runner.Run();
  runner.Cleanup();
  return report;
}

std::string FormatReport(const BootReport& r) {
  std::string out;
  for (size_t i = 0; i < r.boots.size(); ++i) {
    const BootPhases& b = r.boots[i];
    out += fmt::format("boot {}: firmware {}, {}kernel {}, init to ready {}, total {}\n", i + 1,
                       Ms(b.firmware_ms), b.uboot_ms >= 0 ? "u-boot " + Ms(b.uboot_ms) + ", " : "",
                       Ms(b.kernel_ms), Ms(b.init_ms), Ms(b.total_ms));
  }
  size_t w = 5;
  for (const StepResult& s : r.steps) w = std::max(w, s.name.size());
  out += fmt::format("{:<4} {:<{}} {:<10} {:<6} {:>8}  {}\n", "step", "fault", w, "expect",
                     "result", "time", "detail");
  for (size_t i = 0; i < r.steps.size(); ++i) {
    const StepResult& s = r.steps[i];
    out += fmt::format("{:<4} {:<{}} {:<10} {:<6} {:>8}  {}\n", i, s.name, w, s.expect,
                       s.ok ? "ok" : "FAIL", Ms(s.ms), s.detail);
  }
  if (!r.ok && !r.last_lines.empty()) {
    out += "last console lines:\n";
    for (const std::string& l : r.last_lines) out += "  | " + l + "\n";
  }
  if (!r.workdir.empty()) out += "kept: " + r.workdir + " (console log " + r.log_path + ")\n";
  out += std::string("verdict: ") + (r.ok ? "PASS" : r.interrupted ? "INTERRUPTED" : "FAIL") + "\n";
  return out;
}

std::string ReportJson(const BootReport& r) {
  nlohmann::json j;
  j["ok"] = r.ok;
  j["interrupted"] = r.interrupted;
  j["qemu"] = r.qemu_version;
  j["append"] = r.append;
  if (!r.workdir.empty()) j["workdir"] = r.workdir;
  if (!r.log_path.empty()) j["console_log"] = r.log_path;
  if (!r.disk.empty()) j["disk"] = r.disk;
  auto opt = [](int64_t v) { return v < 0 ? nlohmann::json() : nlohmann::json(v); };
  j["boots"] = nlohmann::json::array();
  for (const BootPhases& b : r.boots) {
    j["boots"].push_back({{"firmware_ms", opt(b.firmware_ms)},
                          {"uboot_ms", opt(b.uboot_ms)},
                          {"kernel_ms", opt(b.kernel_ms)},
                          {"init_ms", opt(b.init_ms)},
                          {"total_ms", opt(b.total_ms)}});
  }
  j["steps"] = nlohmann::json::array();
  for (const StepResult& s : r.steps) {
    j["steps"].push_back({{"fault", s.name},
                          {"expect", s.expect},
                          {"ok", s.ok},
                          {"ms", s.ms},
                          {"detail", s.detail}});
  }
  if (!r.ok) j["last_lines"] = r.last_lines;
  return j.dump(2) + "\n";
}

}  // namespace barekit::vm
