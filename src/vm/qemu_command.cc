#include "vm/qemu_command.h"

#include <charconv>
#include <cstdio>
#include <fstream>
#include <string>

namespace barekit::vm {
namespace {

bool ParsePort(std::string_view s, int* out) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 1 || v > 65535) return false;
  *out = v;
  return true;
}

bool SafeWord(std::string_view s) {
  for (char c : s)
    if (c == ',' || c == '\n' || c == '\0') return false;  // QEMU option syntax
  return true;
}

}  // namespace

Result<Forward> ParseForward(std::string_view spec) {
  Forward f;
  size_t last = spec.rfind(':');
  if (last == std::string_view::npos)
    return Status::InvalidArgument("--forward '" + std::string(spec) +
                                   "': expected [127.0.0.1:]HOSTPORT:GUESTPORT");
  std::string_view head = spec.substr(0, last);
  size_t mid = head.rfind(':');
  std::string_view host_port = mid == std::string_view::npos ? head : head.substr(mid + 1);
  if (mid != std::string_view::npos) {
    std::string_view addr = head.substr(0, mid);
    if (addr != "127.0.0.1" && addr != "localhost") {
      return Status::InvalidArgument("--forward '" + std::string(spec) +
                                     "': only 127.0.0.1 may be bound (the test must not open a "
                                     "port to the network)");
    }
  }
  if (!ParsePort(host_port, &f.host_port) || !ParsePort(spec.substr(last + 1), &f.guest_port))
    return Status::InvalidArgument("--forward '" + std::string(spec) + "': ports are 1-65535");
  return f;
}

std::string DefaultMachine(std::string_view arch) { return arch == "arm64" ? "virt" : "q35"; }

int64_t HostTscKhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  double mhz = 0;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t at = line.rfind('@');
      if (at != std::string::npos) {
        double ghz = 0;
        if (std::sscanf(line.c_str() + at + 1, " %lfGHz", &ghz) == 1 && ghz > 0.1)
          return static_cast<int64_t>(ghz * 1e6);
      }
    } else if (mhz == 0 && line.rfind("cpu MHz", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) std::sscanf(line.c_str() + colon + 1, " %lf", &mhz);
    }
  }
  return static_cast<int64_t>(mhz * 1000);
}

Result<QemuCommand> BuildQemuCommand(const MachineSpec& s) {
  QemuCommand c;
  const bool arm = s.arch == "arm64";
  if (!arm && s.arch != "amd64")
    return Status::InvalidArgument("--arch " + s.arch + ": barekit boot runs amd64 and arm64");
  std::string machine = s.machine.empty() ? DefaultMachine(s.arch) : s.machine;
  if (arm ? machine != "virt" : (machine != "q35" && machine != "microvm"))
    return Status::InvalidArgument("--machine " + machine + " is not for " + s.arch +
                                   (arm ? " (use virt)" : " (use q35 or microvm)"));
  if (s.accel != "tcg" && s.accel != "kvm")
    return Status::InvalidArgument("--accel " + s.accel + ": tcg or kvm");
  for (const std::string* p :
       {&s.kernel, &s.initrd, &s.bios, &s.disk, &s.qmp_socket, &s.control_socket, &s.mem, &s.cpu})
    if (!SafeWord(*p)) return Status::InvalidArgument("a path with ',' cannot go to QEMU: " + *p);
  if (!s.bios.empty() && !arm)
    return Status::InvalidArgument("--uboot is for arm64 (U-Boot's qemu_arm64 build)");
  const bool mmio = arm || machine == "microvm";

  auto& a = c.argv;
  // With firmware (U-Boot) and ACPI on, QEMU's virt replaces the pl061 GPIO power key with an
  // ACPI GED that a device-tree boot never sees; without ACPI it keeps the gpio-keys node.
  std::string m_opt = arm && !s.bios.empty() ? machine + ",acpi=off" : machine;
  a = {arm ? "qemu-system-aarch64" : "qemu-system-x86_64",
       "-nodefaults",
       "-no-user-config",
       "-accel",
       s.accel,
       "-M",
       m_opt};
  if (arm) a.insert(a.end(), {"-cpu", s.cpu.empty() ? "cortex-a57" : s.cpu});
  a.insert(a.end(), {"-m", s.mem, "-smp", std::to_string(s.smp), "-display", "none"});
  // The console on the first serial port, through QEMU's stdio (a pipe to barekit).
  a.insert(a.end(), {"-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con"});
  // The control channel: a second 16550 on x86 q35 (built-in driver); a virtio-serial port where
  // there is no second UART (arm64 virt, microvm).
  std::string ctl = "socket,id=ctl,path=" + s.control_socket + ",server=on,wait=off";
  if (mmio) {
    a.insert(a.end(), {"-device", "virtio-serial-device", "-chardev", ctl, "-device",
                       "virtserialport,chardev=ctl,name=barekit-ctl"});
    c.control_device = "virtio:barekit-ctl";
  } else {
    a.insert(a.end(), {"-chardev", ctl, "-serial", "chardev:ctl"});
    c.control_device = "/dev/ttyS1";
  }
  a.insert(a.end(), {"-qmp", "unix:" + s.qmp_socket + ",server=on,wait=off"});
  if (!s.bios.empty()) a.insert(a.end(), {"-bios", s.bios});
  a.insert(a.end(), {"-kernel", s.kernel, "-initrd", s.initrd});
  if (!s.disk.empty()) {
    a.insert(a.end(),
             {"-drive", "file=" + s.disk + ",format=raw,if=none,id=disk0", "-device",
              std::string(mmio ? "virtio-blk-device" : "virtio-blk-pci") + ",drive=disk0"});
  }
  if (!s.forwards.empty()) {
    std::string net = "user,id=net0";
    for (const Forward& f : s.forwards)
      net += ",hostfwd=tcp:127.0.0.1:" + std::to_string(f.host_port) +
             "-:" + std::to_string(f.guest_port);
    a.insert(a.end(),
             {"-netdev", net, "-device",
              std::string(mmio ? "virtio-net-device" : "virtio-net-pci") + ",netdev=net0"});
  }
  c.append = std::string(arm ? "console=ttyAMA0" : "console=ttyS0") + " quiet panic=-1";
  if (machine == "microvm") {
    if (s.tsc_khz <= 0) {
      return Status::Unsupported(
          "microvm needs the host TSC frequency (tsc_early_khz), which /proc/cpuinfo does not "
          "tell; use --machine q35");
    }
    c.append += " tsc_early_khz=" + std::to_string(s.tsc_khz);
  }
  c.append += " barekit_control=" + c.control_device;
  // QEMU's user network: the guest is 10.0.2.15/24 behind the gateway 10.0.2.2.
  if (!s.forwards.empty()) c.append += " barekit_net=eth0:10.0.2.15/24:10.0.2.2";
  if (!s.append_extra.empty()) c.append += " " + s.append_extra;
  a.insert(a.end(), {"-append", c.append});
  return c;
}

}  // namespace barekit::vm
