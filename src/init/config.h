// The barekit-init configuration: services to supervise and system-mode settings, read from a
// TOML file (default /etc/barekit/init.toml). The format is described in doc/init.md.
#ifndef INIT_CONFIG_H_
#define INIT_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace barekit::init {

using Millis = int64_t;  // a CLOCK_MONOTONIC instant or a duration, in milliseconds

enum class RestartPolicy { kAlways, kOnFailure, kNever };

enum class ReadyKind { kNone, kFd, kNotify, kTcp, kHttp, kExec };

struct Readiness {
  ReadyKind kind = ReadyKind::kNone;
  int fd = 3;                     // kFd: the fd the service writes a newline to
  std::string address;            // kTcp: host:port; kHttp: the URL
  std::vector<std::string> argv;  // kExec: the check program
  Millis initial_delay = 0;       // probes: before the first try
  Millis period = 1000;           // probes: between tries
  Millis timeout = 1000;          // probes: one try's limit
  int tries = 30;                 // probes: failures before giving up
};

struct ServiceConfig {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // KEY=VALUE, added to init's environment
  std::string cwd;               // empty: "/"
  std::optional<uint32_t> uid, gid;
  RestartPolicy restart = RestartPolicy::kOnFailure;
  Millis restart_delay = 100;  // first restart delay; doubles per consecutive failure
  Millis restart_delay_max = 30000;
  int start_limit_burst = 5;  // starts allowed within start_limit_interval (0: no limit)
  Millis start_limit_interval = 10000;
  Millis stable_after = 10000;     // uptime after which the backoff resets
  bool critical = false;           // giving up shuts init down with this service's code
  bool oneshot = false;            // a task: done (and "ready") when it exits 0
  std::vector<std::string> after;  // services that must be ready before this one starts
  Readiness ready;
  int stop_signal = 15;
  Millis stop_timeout = 10000;
  // Not from the file: the container-mode command (inherits stdio and the original signal state).
  bool is_main = false;
  bool quiet = false;  // no status lines unless verbose
};

struct NetworkConfig {
  std::string interface;  // empty: none
  std::string address;    // a.b.c.d/prefix
  std::string gateway;    // optional a.b.c.d
};

struct Config {
  std::string hostname;
  std::vector<std::string> modules;  // kernel module files for finit_module
  NetworkConfig network;
  Millis grace = 10000;                 // shutdown: TERM to everything, then KILL after this
  std::vector<ServiceConfig> services;  // in file order
};

// Parses `text`; errors read `file:line:col: message`.
Result<Config> ParseConfig(std::string_view text, std::string_view file_name);

// "100ms", "1.5s", "2m", "1h"; a bare number means seconds.
std::optional<Millis> ParseDuration(std::string_view s);
// "TERM", "SIGTERM" or "15"; nullopt if not a signal 1..31.
std::optional<int> ParseSignal(std::string_view s);
const char* SignalName(int sig);  // "TERM" for 15, "?" if unknown

}  // namespace barekit::init

#endif  // INIT_CONFIG_H_
