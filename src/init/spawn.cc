#include "init/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "base/posix_error.h"

extern char** environ;

namespace barekit::init {
namespace {

void WriteAll(int fd, const char* s) {
  size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

[[noreturn]] void Fail(const char* what, const char* arg, int err, int code) {
  char buf[512];
  snprintf(buf, sizeof buf, "barekit-init: %s %s: %s\n", what, arg, strerror(err));
  WriteAll(2, buf);
  _exit(code);
}

void CloseFrom(int lo, int hi) {
  if (lo > hi) return;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, static_cast<unsigned>(lo), static_cast<unsigned>(hi), 0) == 0)
    return;
#endif
  struct rlimit rl;
  int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536
                ? static_cast<int>(rl.rlim_cur)
                : 65536;
  for (int fd = lo; fd <= hi && fd < max; ++fd) ::close(fd);
}

// Runs in the child between fork and exec; only async-signal-safe work.
[[noreturn]] void Child(const SpawnSpec& s, char* const* argv, char* const* envp,
                        const char* path) {
  if (s.take_tty) {
    // The main command: its own process group, made the terminal's foreground group (like
    // tini) so an interactive shell keeps job control. SIGTTOU is still blocked here.
    setpgid(0, 0);
    if (isatty(0)) tcsetpgrp(0, getpid());
  } else if (setsid() < 0) {
    setpgid(0, 0);
  }
  if (s.stdin_null) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0 && null != 0) dup2(null, 0);
  }
  if (s.output_fd >= 0) {
    dup2(s.output_fd, 1);
    dup2(s.output_fd, 2);
  }
  if (s.extra_fd >= 0) {
    if (s.extra_fd == s.extra_fd_target)
      fcntl(s.extra_fd, F_SETFD, 0);
    else
      dup2(s.extra_fd, s.extra_fd_target);
    CloseFrom(3, s.extra_fd_target - 1);
    CloseFrom(s.extra_fd_target + 1, ~0U >> 1);
  } else {
    CloseFrom(3, ~0U >> 1);
  }
  for (int sig = 1; sig < 32; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    signal(sig, sigismember(&s.ignored, sig) ? SIG_IGN : SIG_DFL);
  }
  sigprocmask(SIG_SETMASK, &s.mask, nullptr);
  if (!s.cwd.empty() && chdir(s.cwd.c_str()) < 0) Fail("chdir", s.cwd.c_str(), errno, 126);
  // Switching user drops root's supplementary groups too, even when no group is configured.
  if ((s.gid || s.uid) && setgroups(0, nullptr) < 0 && errno != EPERM)
    Fail("setgroups", "", errno, 126);
  if (s.gid && setgid(*s.gid) < 0) Fail("setgid", "", errno, 126);
  if (s.uid && setuid(*s.uid) < 0) Fail("setuid", "", errno, 126);
  execve(path, argv, envp);
  int err = errno;
  Fail("exec", argv[0], err, err == ENOENT || err == ENOTDIR ? 127 : 126);
}

// Finds argv[0] in PATH (from the child's environment) before forking, like execvp would.
std::string Resolve(const std::string& prog, const std::vector<std::string>& env) {
  if (prog.find('/') != std::string::npos) return prog;
  std::string path_var = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const std::string& e : env)
    if (e.rfind("PATH=", 0) == 0) path_var = e.substr(5);
  std::string fallback;
  size_t start = 0;
  while (start <= path_var.size()) {
    size_t end = path_var.find(':', start);
    if (end == std::string::npos) end = path_var.size();
    std::string dir = path_var.substr(start, end - start);
    std::string cand = (dir.empty() ? std::string(".") : dir) + "/" + prog;
    if (access(cand.c_str(), X_OK) == 0) return cand;
    if (fallback.empty() && access(cand.c_str(), F_OK) == 0) fallback = cand;
    start = end + 1;
  }
  return fallback.empty() ? prog : fallback;
}

}  // namespace

std::vector<std::string> MergeEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view v(*e);
    std::string_view key = v.substr(0, v.find('='));
    bool overridden = false;
    for (const std::string& x : extra)
      if (x.size() > key.size() && x.compare(0, key.size(), key) == 0 && x[key.size()] == '=')
        overridden = true;
    if (!overridden) env.emplace_back(v);
  }
  for (const std::string& x : extra) env.push_back(x);
  return env;
}

Result<int> Spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) return Status::InvalidArgument("empty argv");
  std::vector<char*> argv, envp;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::string path = Resolve(spec.argv[0], spec.env);
  pid_t pid = fork();
  if (pid < 0) return PosixError("fork", errno);
  if (pid == 0) Child(spec, argv.data(), envp.data(), path.c_str());
  return static_cast<int>(pid);
}

}  // namespace barekit::init
