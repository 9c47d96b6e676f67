// The PID-1 event loop: all signals blocked and read from a signalfd, one epoll over the
// signalfd, log pipes, readiness fds and sockets and the control socket; a waitpid(-1, WNOHANG)
// loop after every wakeup; timers from the Supervisor's next deadline on CLOCK_MONOTONIC.
#ifndef INIT_RUNTIME_H_
#define INIT_RUNTIME_H_

#include <signal.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/unique_fd.h"
#include "init/boot_params.h"
#include "init/config.h"
#include "init/control_channel.h"
#include "init/log_relay.h"
#include "init/power_key.h"
#include "init/supervisor.h"
#include "init/system_setup.h"

namespace barekit::init {

struct RuntimeOptions {
  bool system_mode = false;
  bool forward_to_group = true;  // forward signals to the main command's process group
  bool warn_on_reap = false;
  bool verbose = false;
  std::string run_dir = "/run/barekit-init";
  bool run_dir_given = false;        // --run-dir or $BAREKIT_INIT_RUN_DIR
  std::vector<std::string> command;  // container mode's main command; may be empty
  sigset_t original_mask;            // what init's parent gave it, restored in the main command
  sigset_t original_ignored;
  // System mode: the control channel from `barekit_control=` (doc/boot-protocol.md), if any.
  std::optional<ControlSpec> control;
};

class Runtime : public ProcessOps, public ControlHandler {
 public:
  Runtime(RuntimeOptions options, Config config);
  ~Runtime() override;
  // Runs until shutdown is complete; returns the exit code (container mode). In system mode it
  // ends in reboot(2) and returns only if that failed.
  int Run();

  Result<int> Spawn(size_t index, const ServiceConfig& s) override;
  Result<int> SpawnProbe(size_t index, const ServiceConfig& s) override;
  void Signal(int pid, int sig, bool group) override;
  void Log(std::string_view line) override;

  const std::vector<Service>& ControlServices() const override;
  void ControlSignal(int pid, int sig) override;
  void ControlShutdown(PowerAction action) override;

 private:
  struct Slot;
  Status Setup();
  void HandleSignal(int sig);
  void ReadLog(size_t i, bool even_paused = false);
  void ReadNotifyFd(size_t i);
  void ReadNotifySocket(size_t i);
  void ServeControl();
  void Reap();
  void KillEverything(int sig);
  void DrainLogs();
  // Service output and markers to stdout, never blocking (see runtime.cc).
  void WriteOut(std::string_view s);
  void OpenOut();
  ssize_t WriteSome(const char* p, size_t n);
  int OutFd() const { return out_mode_ == OutMode::kOwn ? out_.get() : 1; }
  void FlushOut();
  void FlushOutBefore(Millis deadline);
  void PauseLogs(bool pause);
  // System mode: the control channel, the power key and the console markers.
  void PollDevices(Millis now);
  std::optional<Millis> NextDevicePoll() const;
  void ServeChannel(uint32_t events);
  void FlushChannel();
  void CloseChannel(const char* why);
  void ReadPowerKey(size_t i);
  void PrintReadyMarker();
  void RequestPower(PowerAction action, const char* why);

  RuntimeOptions opt_;
  Config config_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<Supervisor> sup_;
  UniqueFd sigfd_, epfd_, control_;
  int main_index_ = -1;
  PowerAction power_ = PowerAction::kPowerOff;
  bool no_children_ = false;
  // The control channel: its device, the bytes of a partial command, replies not written yet.
  UniqueFd channel_;
  ControlLineReader channel_in_;
  std::string channel_out_;
  bool channel_error_logged_ = false;
  bool channel_polls_out_ = false;  // EPOLLOUT asked for
  PowerKeyWatcher power_key_;
  Millis next_device_poll_ = 0;
  int ready_printed_ = 0;
  uint64_t dropped_logs_ = 0;  // own messages stderr had no room for (see Log)
  // Stdout: how it is written, and what waits for room (see WriteOut).
  enum class OutMode { kPolled, kOwn, kFile, kSocket };
  OutMode out_mode_ = OutMode::kPolled;
  UniqueFd out_;  // kOwn: stdout reopened non-blocking
  std::string out_pending_;
  size_t out_head_ = 0;     // bytes of out_pending_ already written
  bool out_polls_ = false;  // EPOLLOUT asked for
  bool logs_paused_ = false;
};

Millis MonotonicMillis();
// CLOCK_BOOTTIME in milliseconds: the guest's time since the kernel started, for the markers.
Millis BootMillis();

}  // namespace barekit::init

#endif  // INIT_RUNTIME_H_
