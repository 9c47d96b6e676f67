// `barekit boot`: runs an initramfs under QEMU, waits for barekit-init's readiness marker,
// applies fault steps over QMP and the control channel, and judges each step. QEMU's exit code
// says nothing (it is 0 even after a kernel panic); the verdict comes from the console markers
// (doc/boot-protocol.md) and QMP events. No QEMU process outlives a run: each is started with
// PR_SET_PDEATHSIG and killed on timeout, error or signal.
#ifndef VM_BOOT_RUNNER_H_
#define VM_BOOT_RUNNER_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "base/status.h"
#include "vm/boot_overlay.h"
#include "vm/qemu_command.h"
#include "vm/scenario.h"

namespace barekit::vm {

struct BootOptions {
  MachineSpec machine;  // kernel, arch, machine, mem, bios, disk, forwards (sockets and
                        // initrd are filled in by the runner)
  std::string image;    // the user's initramfs
  bool overlay = true;  // append the VM's kernel modules (needs overlay_options.modules_dir)
  OverlayOptions overlay_options;
  std::string probe;       // http://127.0.0.1:PORT/PATH checked after each ready
  uint64_t disk_size = 0;  // create machine.disk (or workdir/disk.raw) of this size
  Millis timeout = 60000;  // first boot to ready
  std::vector<Step> steps;
  std::string workdir;       // empty: a temporary one, removed after a passing run
  std::string log_path;      // console log; empty: workdir/console.log
  std::FILE* live = stdout;  // console lines as they come, prefixed; nullptr: quiet
  std::string qemu_dir;      // where qemu-system-* are; empty: PATH
};

struct BootPhases {
  int64_t firmware_ms = -1;  // QEMU start (or reset) to the guest clock starting
  int64_t uboot_ms = -1;     // U-Boot: its banner to "Starting kernel"
  int64_t kernel_ms = -1;    // guest clock at BAREKIT-INIT
  int64_t init_ms = -1;      // BAREKIT-INIT to the first BAREKIT-READY (guest clock)
  int64_t total_ms = -1;     // QEMU start (or reset) to BAREKIT-READY on the host clock
};

struct StepResult {
  std::string name;    // "boot", "power-cut", "kill:web:KILL", ...
  std::string expect;  // ready | off | responsive
  bool ok = false;
  int64_t ms = 0;  // fault to expectation (unpaused host time)
  std::string detail;
};

struct BootReport {
  bool ok = false;
  std::string qemu_version;
  std::string append;
  std::string workdir, log_path, disk;
  std::vector<BootPhases> boots;
  std::vector<StepResult> steps;
  std::vector<std::string> last_lines;  // the console's last lines, for a failure
  bool interrupted = false;
};

// Runs the boot and the steps. An error is returned only for a run that could not start (bad
// input, QEMU missing); a guest that fails is a report with ok == false.
Result<BootReport> RunBoot(const BootOptions& options);

std::string FormatReport(const BootReport& r);  // the text table
std::string ReportJson(const BootReport& r);

}  // namespace barekit::vm

#endif  // VM_BOOT_RUNNER_H_
