// System mode: what PID 1 of an initramfs or VM does before and after supervising — valid fds
// 0-2, kernel filesystems, loopback, hostname, modules, a static IPv4 address, and the final
// sync + reboot(2). Failures are reported through `log` and never stop the boot.
#ifndef INIT_SYSTEM_SETUP_H_
#define INIT_SYSTEM_SETUP_H_

#include <functional>
#include <string_view>

#include "init/config.h"

namespace barekit::init {

using LogFn = std::function<void(std::string_view)>;

// Makes fds 0-2 valid (/dev/console, else /dev/null) so later sockets cannot land on them.
// Returns true if any was missing.
bool EnsureStdFds();
// devtmpfs, proc, sysfs, devpts, /dev/shm, /run, /tmp and the /dev/fd, /dev/std* links.
void MountKernelFilesystems(const LogFn& log);
void BringUpLoopback(const LogFn& log);
// Hostname, the config's modules, the image's list kImageModulesList (barekit pack --modules with
// --init-config), the boot modules list kBootModulesList (barekit boot's overlay), then the static
// address (the config's, or `barekit_net=` put into config.network by the caller).
void ApplySystemConfig(const Config& config, const LogFn& log);
inline constexpr char kBootModulesList[] = "/etc/barekit/modules.order";
inline constexpr char kImageModulesList[] = "/etc/barekit/image-modules.order";

enum class PowerAction { kReboot, kPowerOff, kHalt };
// sync() then reboot(2); returns only if reboot failed.
void SyncAndReboot(PowerAction action, const LogFn& log);

}  // namespace barekit::init

#endif  // INIT_SYSTEM_SETUP_H_
