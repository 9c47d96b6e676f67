// The QEMU command line for one boot: machine, console, control channel, QMP, disk, network.
// Pure (no processes), so every choice is unit-tested. Rationale for each flag: doc/boot.md and
// /work/shared/notes/qemu.md (TCG always unless asked, microvm's tsc_early_khz, no -no-reboot).
#ifndef VM_QEMU_COMMAND_H_
#define VM_QEMU_COMMAND_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace barekit::vm {

struct Forward {
  std::string host_addr = "127.0.0.1";
  int host_port = 0;
  int guest_port = 0;
};

// `HOST:GUEST` or `127.0.0.1:HOST:GUEST`. Only loopback host addresses are accepted: a boot test
// must not open a port to the network.
Result<Forward> ParseForward(std::string_view spec);

struct MachineSpec {
  std::string arch = "amd64";  // amd64 | arm64
  std::string machine;         // q35 | microvm (amd64), virt (arm64); empty: the default
  std::string accel = "tcg";
  std::string cpu;  // arm64: cortex-a57 unless given
  std::string mem = "256M";
  int smp = 1;
  std::string kernel, initrd;
  std::string append_extra;       // more kernel command line words
  std::string bios;               // firmware file (U-Boot for arm64)
  std::string disk;               // raw image, virtio-blk
  std::vector<Forward> forwards;  // user networking with host forwards, virtio-net
  std::string qmp_socket, control_socket;
  int64_t tsc_khz = 0;  // microvm: the host TSC frequency
};

struct QemuCommand {
  std::vector<std::string> argv;  // argv[0] is the QEMU binary name
  std::string append;             // the kernel command line (also in argv)
  std::string control_device;     // what barekit-init opens (`barekit_control=`)
};

Result<QemuCommand> BuildQemuCommand(const MachineSpec& spec);

// "q35" for amd64, "virt" for arm64.
std::string DefaultMachine(std::string_view arch);
// The host TSC frequency in kHz from /proc/cpuinfo ("model name ... @ 2.30GHz", else "cpu MHz"),
// or 0 when unknown.
int64_t HostTscKhz();

}  // namespace barekit::vm

#endif  // VM_QEMU_COMMAND_H_
