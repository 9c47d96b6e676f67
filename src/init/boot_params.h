// What reaches barekit-init from outside its config file when it boots a VM (see
// doc/boot-protocol.md): the kernel command-line variables `barekit_control=` and `barekit_net=`,
// and the boot modules list /etc/barekit/modules.order. Pure parsing; the callers do the I/O.
#ifndef INIT_BOOT_PARAMS_H_
#define INIT_BOOT_PARAMS_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "init/config.h"

namespace barekit::init {

// `barekit_control=PATH` or `barekit_control=virtio:NAME`; exactly one field is set.
struct ControlSpec {
  std::string path;         // a character device such as /dev/ttyS1
  std::string virtio_name;  // the port whose /sys/class/virtio-ports/*/name is this
};
Result<ControlSpec> ParseControlSpec(std::string_view value);

// `barekit_net=IFACE:A.B.C.D/PREFIX[:GATEWAY]`, e.g. `eth0:10.0.2.15/24:10.0.2.2`.
Result<NetworkConfig> ParseNetSpec(std::string_view value);

// True if `s` is a dotted-quad IPv4 address (four decimal parts 0-255, no leading '+' or spaces).
bool IsIpv4(std::string_view s);

// modules.order: one absolute path per line; blank lines and `#` comments are skipped. Lines
// that are not absolute paths are reported as `file:line: ...` and skipped.
struct ModuleList {
  std::vector<std::string> paths;
  std::vector<std::string> problems;
};
ModuleList ParseModulesOrder(std::string_view text, std::string_view file_name);

}  // namespace barekit::init

#endif  // INIT_BOOT_PARAMS_H_
