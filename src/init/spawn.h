// fork+exec of a service or the container command with the child set up the way a supervised
// process expects: its own session (the main command: its own process group), stdin on /dev/null,
// stdout/stderr on a log pipe, fds >= 3 closed (except a readiness fd), the signal mask and
// dispositions reset, cwd, user and group.
#ifndef INIT_SPAWN_H_
#define INIT_SPAWN_H_

#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace barekit::init {

struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // the whole environment, KEY=VALUE
  std::string cwd;               // empty: keep init's
  std::optional<uint32_t> uid, gid;
  int output_fd = -1;      // stdout+stderr; -1: inherit init's
  bool stdin_null = true;  // false: inherit init's stdin
  int extra_fd = -1;       // dup'ed to extra_fd_target in the child (readiness fd)
  int extra_fd_target = -1;
  bool take_tty = false;  // own process group (not session), foreground on stdin's tty
  sigset_t mask;          // the child's signal mask
  sigset_t ignored;       // signals the child starts with ignored; all others SIG_DFL
};

// Returns the child's pid. exec failures show in the child: a message on its stderr naming the
// program and exit code 127 (not found) or 126 (found but not executable).
Result<int> Spawn(const SpawnSpec& spec);

// Environment of this process plus `extra` (KEY=VALUE entries override).
std::vector<std::string> MergeEnvironment(const std::vector<std::string>& extra);

}  // namespace barekit::init

#endif  // INIT_SPAWN_H_
