// What `barekit boot` does to a machine and what it expects afterwards: fault steps from
// `--fault SPEC` or a scenario file (TOML). The format is described in doc/boot.md.
#ifndef VM_SCENARIO_H_
#define VM_SCENARIO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace barekit::vm {

using Millis = int64_t;

enum class Fault {
  kNone,        // no action: just check the expectation (e.g. after a delay)
  kPause,       // QMP stop, wait, cont
  kReset,       // QMP system_reset
  kPowerdown,   // QMP system_powerdown (ACPI / gpio power key)
  kCtrlAltDel,  // QMP send-key ctrl-alt-delete (x86)
  kPowerCut,    // SIGKILL QEMU, then boot again on the same disk
  kKill,        // `kill SERVICE SIGNAL` over the control channel
};

enum class Expect {
  kReady,       // barekit-init reports all services ready again (BAREKIT-READY)
  kOff,         // the guest powered off in order (BAREKIT-DOWN, then QEMU exits)
  kResponsive,  // the control channel answers and the probe (if any) passes
};

struct Step {
  Fault fault = Fault::kNone;
  Millis pause = 0;     // kPause: how long the VM stays stopped
  std::string service;  // kKill
  int signal = 9;       // kKill
  Expect expect = Expect::kReady;
  Millis deadline = 60000;         // for the expectation, counted in unpaused host time
  Millis delay = 0;                // wait after the previous step held, before the fault
  std::string after_line;          // ... and until a new console line contains this text
  std::vector<std::string> check;  // host command run after the expectation held; exit 0 = ok
};

// Boot settings a scenario file may carry (the command line overrides them).
struct BootSettings {
  std::optional<std::string> image, arch, machine, kernel, modules_dir, mem, probe, disk;
  std::optional<uint64_t> disk_size;  // a fresh zeroed raw disk of this size
  std::vector<std::string> forwards;  // [127.0.0.1:]HOST:GUEST
  std::optional<Millis> timeout;
  std::optional<bool> uboot;
};

struct Scenario {
  BootSettings boot;
  std::vector<Step> steps;  // repeats expanded
};

const char* FaultName(Fault f);
const char* ExpectName(Expect e);
// The expectation a fault has when none is given.
Expect DefaultExpect(Fault f);

// `pause:2s`, `reset`, `powerdown`, `ctrl-alt-del`, `power-cut`, `kill:web`, `kill:web:TERM`.
Result<Step> ParseFaultSpec(std::string_view spec);

// Parses a scenario file; errors read `file:line:col: message`.
Result<Scenario> ParseScenario(std::string_view text, std::string_view file_name);

// "100ms", "1.5s", "2m", "1h"; a bare number means seconds.
std::optional<Millis> ParseDuration(std::string_view s);
// "256M", "1G", "4096K", or bytes.
std::optional<uint64_t> ParseSize(std::string_view s);

}  // namespace barekit::vm

#endif  // VM_SCENARIO_H_
