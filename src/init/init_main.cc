// barekit-init: a static PID 1 and service supervisor. See doc/init.md.
//   barekit-init [options] [-- CMD ARGS...]   container mode (tini-style) or system mode as PID 1
//   barekit-init status [--run-dir DIR]       the service table, over the control socket
//   barekit-init check FILE                   validate a config file
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "init/boot_markers.h"
#include "init/boot_params.h"
#include "init/config.h"
#include "init/runtime.h"
#include "init/system_setup.h"

namespace {

using barekit::init::Config;

#define BAREKIT_INIT_VERSION "0.1.0"
constexpr char kVersion[] = "barekit-init " BAREKIT_INIT_VERSION;
constexpr char kUsage[] =
    "usage: barekit-init [options] [-- CMD ARGS...]\n"
    "       barekit-init status [--run-dir DIR]\n"
    "       barekit-init check FILE\n"
    "\n"
    "With CMD: run it as the main child (container mode) and exit with its code, or 128+signal.\n"
    "Without CMD as PID 1: system mode (mount kernel filesystems, supervise, reboot).\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   services to supervise (default /etc/barekit/init.toml if present)\n"
    "  --system            system mode even when not PID 1\n"
    "  --container         container mode even as PID 1 without CMD\n"
    "  -s, --subreaper     register as child subreaper when not PID 1 (the default)\n"
    "  --no-subreaper      do not (orphans are then not reaped)\n"
    "  -p, --single-child  forward signals to the main child only, not its process group\n"
    "  -g                  forward signals to the main child's process group (the default)\n"
    "  --grace DURATION    shutdown: time between TERM and KILL to what is left (default 10s)\n"
    "  --run-dir DIR       control and notify sockets (default /run/barekit-init)\n"
    "  -w, --warn-on-reap  log each reaped orphan\n"
    "  -v, --verbose       status lines for the main child too\n"
    "  -V, --version\n"
    "  -h, --help\n";

void Print(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t w = write(fd, s.data(), s.size());
    if (w <= 0) return;
    s.remove_prefix(static_cast<size_t>(w));
  }
}

void Err(std::string_view s) {
  std::string line = "barekit-init: ";
  line.append(s);
  line.push_back('\n');
  Print(2, line);
}

bool ReadFile(const char* path, std::string* out, int* err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  char buf[16384];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > (16u << 20)) {
      close(fd);
      *err = EFBIG;
      return false;
    }
  }
  *err = n < 0 ? errno : 0;
  close(fd);
  return n == 0;
}

// Loads a config; a message naming file:line:col on error.
bool LoadConfig(const std::string& path, Config* out, std::string* error) {
  std::string text;
  int err = 0;
  if (!ReadFile(path.c_str(), &text, &err)) {
    *error = path + ": " + std::strerror(err);
    return false;
  }
  barekit::Result<Config> c = barekit::init::ParseConfig(text, path);
  if (!c.ok()) {
    *error = c.status().message();
    return false;
  }
  *out = std::move(c).value();
  return true;
}

// System mode parses the config in a throwaway child first: whatever the parser does with the
// file, PID 1 itself must not crash. False (with a message) if that child died.
bool ParserSurvives(const std::string& path, std::string* error) {
  pid_t pid = fork();
  if (pid < 0) return true;
  if (pid == 0) {
    Config c;
    std::string e;
    _exit(LoadConfig(path, &c, &e) ? 0 : 1);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFSIGNALED(status)) return true;
  *error = path + ": the config parser crashed (signal " + std::to_string(WTERMSIG(status)) + ")";
  return false;
}

int Status(const std::string& run_dir) {
  std::string path = run_dir + "/control";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    Err("run dir path too long");
    return 2;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    Err("cannot reach init at " + path + ": " + std::strerror(errno));
    return 1;
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    Print(1, std::string_view(buf, static_cast<size_t>(n)));
  close(fd);
  return 0;
}

bool InContainer() {
  if (getenv("container")) return true;
  struct stat st;
  return stat("/.dockerenv", &st) == 0 || stat("/run/.containerenv", &st) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Block every signal before anything else: PID 1 drops signals it has no handler for, so a
  // TERM arriving during setup would be lost; blocked, it waits for the signalfd. The mask our
  // parent gave us is kept for the main command.
  sigset_t all, original_mask;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &original_mask);
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool pid1 = getpid() == 1;
  std::string run_dir =
      getenv("BAREKIT_INIT_RUN_DIR") ? getenv("BAREKIT_INIT_RUN_DIR") : "/run/barekit-init";

  if (!args.empty() && (args[0] == "status" || args[0] == "check") && !pid1) {
    sigprocmask(SIG_SETMASK, &original_mask, nullptr);
    if (args[0] == "status") {
      for (size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "--run-dir" && i + 1 < args.size())
          run_dir = args[++i];
        else {
          Err("status: unknown argument '" + args[i] + "'");
          return 2;
        }
      }
      return Status(run_dir);
    }
    if (args.size() != 2) {
      Err("usage: barekit-init check FILE");
      return 2;
    }
    Config c;
    std::string error;
    if (!LoadConfig(args[1], &c, &error)) {
      Print(2, error + "\n");
      return 1;
    }
    std::string summary = args[1] + ": " + std::to_string(c.services.size()) + " services ok\n";
    Print(1, summary);
    return 0;
  }

  barekit::init::RuntimeOptions opt;
  std::string config_path;
  bool force_system = false, force_container = false, subreaper = true, usage_error = false;
  std::string grace;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= args.size()) {
        Err("option " + a + " needs a value");
        usage_error = true;
        return;
      }
      *out = args[++i];
    };
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-c" || a == "--config")
      value(&config_path);
    else if (a == "--run-dir")
      value(&run_dir);
    else if (a == "--grace")
      value(&grace);
    else if (a == "--system")
      force_system = true;
    else if (a == "--container")
      force_container = true;
    else if (a == "-s" || a == "--subreaper")
      subreaper = true;
    else if (a == "--no-subreaper")
      subreaper = false;
    else if (a == "-p" || a == "--single-child")
      opt.forward_to_group = false;
    else if (a == "-g")
      opt.forward_to_group = true;
    else if (a == "-w" || a == "--warn-on-reap")
      opt.warn_on_reap = true;
    else if (a == "-v" || a == "--verbose")
      opt.verbose = true;
    else if (a == "-V" || a == "--version") {
      Print(1, std::string(kVersion) + "\n");
      return 0;
    } else if (a == "-h" || a == "--help") {
      Print(1, kUsage);
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      if (pid1) continue;  // the kernel hands unknown command-line words to init: ignore them
      Err("unknown option '" + a + "' (see --help)");
      return 2;
    } else if (pid1) {
      continue;
    } else {
      // tini compatibility: a command without "--".
      break;
    }
  }
  if (usage_error) return 2;
  opt.command.assign(args.begin() + static_cast<long>(std::min(i, args.size())), args.end());
  opt.run_dir = run_dir;
  opt.run_dir_given = run_dir != "/run/barekit-init";
  opt.system_mode =
      force_system || (pid1 && opt.command.empty() && !force_container && !InContainer());
  if (force_container) opt.system_mode = false;

  // What our parent gave us, restored in the main command (tini's sigconf test).
  opt.original_mask = original_mask;
  sigemptyset(&opt.original_ignored);
  for (int sig = 1; sig < 32; ++sig) {
    struct sigaction sa;
    if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, nullptr, &sa) == 0 &&
        sa.sa_handler == SIG_IGN)
      sigaddset(&opt.original_ignored, sig);
  }

  barekit::init::LogFn log = [](std::string_view l) { Err(l); };
  if (opt.system_mode) {
    bool missing = barekit::init::EnsureStdFds();
    if (chdir("/") < 0) Err("chdir /");
    umask(022);
    setsid();
    barekit::init::MountKernelFilesystems(log);
    if (missing) {
      // Now /dev exists: put the console on 1 and 2, /dev/null on 0.
      int con = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (con >= 0) dup2(con, 1), dup2(con, 2), close(con);
    }
    // The boot protocol's first marker (doc/boot-protocol.md), as soon as the console works. The
    // newline first: firmware leaves escape codes on the console without ending the line.
    Print(1, "\n" + barekit::init::InitMarker(barekit::init::BootMillis(), BAREKIT_INIT_VERSION));
    barekit::init::BringUpLoopback(log);
    reboot(RB_DISABLE_CAD);
  }

  Config config;
  if (config_path.empty()) {
    struct stat st;
    if (stat("/etc/barekit/init.toml", &st) == 0) config_path = "/etc/barekit/init.toml";
  }
  if (!config_path.empty()) {
    std::string error;
    if ((opt.system_mode && !ParserSurvives(config_path, &error)) ||
        !LoadConfig(config_path, &config, &error)) {
      Print(2, "barekit-init: " + error + "\n");
      if (!opt.system_mode) return 2;
      // PID 1 stays up without services: it can still be powered off by signal.
      Err("running without services");
      config = Config();
    }
  }
  if (!grace.empty()) {
    std::optional<barekit::init::Millis> g = barekit::init::ParseDuration(grace);
    if (!g) {
      Err("--grace: bad duration '" + grace + "'");
      if (!opt.system_mode) return 2;
    } else {
      config.grace = *g;
    }
  }
  if (opt.system_mode) {
    // Kernel command-line variables of the boot protocol: a fallback address, a control channel.
    const char* net = getenv("barekit_net");
    if (net && config.network.interface.empty()) {
      barekit::Result<barekit::init::NetworkConfig> n = barekit::init::ParseNetSpec(net);
      if (n.ok())
        config.network = std::move(n).value();
      else
        Err(n.status().message());
    }
    if (const char* control = getenv("barekit_control")) {
      barekit::Result<barekit::init::ControlSpec> c = barekit::init::ParseControlSpec(control);
      if (c.ok())
        opt.control = std::move(c).value();
      else
        Err(c.status().message());
    }
    barekit::init::ApplySystemConfig(config, log);
  }

  if (!pid1) {
    if (subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1) == 0) {
      Err("not PID 1: registered as a child subreaper");
    } else {
      Err("warning: not PID 1 and not a child subreaper: orphaned processes will not be reaped "
          "(run as PID 1, or drop --no-subreaper)");
    }
  }
  if (!opt.system_mode && opt.command.empty() && config.services.empty()) {
    Err("nothing to run: give a command after -- or services with -c FILE");
    Print(2, kUsage);
    return 2;
  }
  barekit::init::Runtime runtime(std::move(opt), std::move(config));
  return runtime.Run();
}
