#include "init/system_setup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "init/boot_params.h"

namespace barekit::init {
namespace {

void Logf(const LogFn& log, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void Logf(const LogFn& log, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  log(buf);
}

// A mount point already: its device differs from its parent's.
bool IsMountPoint(const char* path) {
  struct stat self, parent;
  std::string up = std::string(path) + "/..";
  if (stat(path, &self) < 0 || stat(up.c_str(), &parent) < 0) return false;
  return self.st_dev != parent.st_dev || self.st_ino == parent.st_ino;
}

void MountOne(const LogFn& log, const char* source, const char* target, const char* type,
              unsigned long flags, const char* data, mode_t mode) {
  if (mkdir(target, mode) < 0 && errno != EEXIST) {
    Logf(log, "mkdir %s: %s", target, strerror(errno));
    return;
  }
  if (IsMountPoint(target)) return;
  if (mount(source, target, type, flags, data) < 0) {
    if (errno == EBUSY || errno == EPERM)
      return;  // mounted already, or a container without the right
    Logf(log, "mount %s on %s: %s", type, target, strerror(errno));
  }
}

int InetSocket() { return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); }

bool SetUp(int sock, const char* name, const LogFn& log) {
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
    Logf(log, "interface %s: %s", name, strerror(errno));
    return false;
  }
  if (ifr.ifr_flags & IFF_UP) return true;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
    if (errno != EPERM) Logf(log, "bring up %s: %s", name, strerror(errno));
    return false;
  }
  return true;
}

void SetInetAddr(sockaddr* sa, in_addr a) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr = a;
  std::memcpy(sa, &sin, sizeof sin);
}

void ConfigureAddress(const NetworkConfig& n, const LogFn& log) {
  std::string addr = n.address;
  int prefix = 24;
  size_t slash = addr.find('/');
  if (slash != std::string::npos) {
    prefix = std::atoi(addr.c_str() + slash + 1);
    addr.resize(slash);
  }
  in_addr ip{}, gw{};
  if (inet_pton(AF_INET, addr.c_str(), &ip) != 1 || prefix < 0 || prefix > 32) {
    Logf(log, "network: bad address '%s'", n.address.c_str());
    return;
  }
  int sock = InetSocket();
  if (sock < 0) return;
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", n.interface.c_str());
  SetInetAddr(&ifr.ifr_addr, ip);
  if (ioctl(sock, SIOCSIFADDR, &ifr) < 0)
    Logf(log, "network: set address on %s: %s", n.interface.c_str(), strerror(errno));
  in_addr mask{};
  mask.s_addr = htonl(prefix == 0 ? 0 : ~0U << (32 - prefix));
  SetInetAddr(&ifr.ifr_netmask, mask);
  if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0)
    Logf(log, "network: set netmask on %s: %s", n.interface.c_str(), strerror(errno));
  SetUp(sock, n.interface.c_str(), log);
  if (!n.gateway.empty()) {
    if (inet_pton(AF_INET, n.gateway.c_str(), &gw) != 1) {
      Logf(log, "network: bad gateway '%s'", n.gateway.c_str());
    } else {
      rtentry rt{};
      SetInetAddr(&rt.rt_dst, in_addr{});
      SetInetAddr(&rt.rt_genmask, in_addr{});
      SetInetAddr(&rt.rt_gateway, gw);
      rt.rt_flags = RTF_UP | RTF_GATEWAY;
      if (ioctl(sock, SIOCADDRT, &rt) < 0 && errno != EEXIST)
        Logf(log, "network: default route via %s: %s", n.gateway.c_str(), strerror(errno));
    }
  }
  close(sock);
  Logf(log, "network: %s is %s", n.interface.c_str(), n.address.c_str());
}

void LoadModule(const std::string& path, const LogFn& log) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Logf(log, "module %s: %s", path.c_str(), strerror(errno));
    return;
  }
  if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
    Logf(log, "module %s: %s", path.c_str(), strerror(errno));
  else
    Logf(log, "module %s loaded", path.c_str());
  close(fd);
}

// A modules list (doc/boot-protocol.md); missing is fine. At most kMaxList bytes are read.
void LoadModulesList(const char* list, const LogFn& log) {
  constexpr size_t kMaxList = 65536;
  int fd = open(list, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) Logf(log, "%s: %s", list, strerror(errno));
    return;
  }
  std::string text(kMaxList, '\0');
  size_t len = 0;
  ssize_t n;
  while (len < text.size() && (n = read(fd, text.data() + len, text.size() - len)) > 0)
    len += static_cast<size_t>(n);
  close(fd);
  text.resize(len);
  if (len == kMaxList) Logf(log, "%s: longer than %zu bytes; the rest is ignored", list, kMaxList);
  ModuleList parsed = ParseModulesOrder(text, list);
  for (const std::string& p : parsed.problems) log(p);
  for (const std::string& m : parsed.paths) LoadModule(m, log);
}

}  // namespace

bool EnsureStdFds() {
  bool missing = false;
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0) continue;
    missing = true;
    int n = open("/dev/console", O_RDWR | O_NOCTTY);
    if (n < 0) n = open("/dev/null", O_RDWR);
    if (n >= 0 && n != fd) {
      dup2(n, fd);
      close(n);
    }
  }
  return missing;
}

void MountKernelFilesystems(const LogFn& log) {
  MountOne(log, "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", 0755);
  MountOne(log, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, 0555);
  MountOne(log, "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, 0555);
  MountOne(log, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
           "gid=5,mode=620,ptmxmode=666", 0755);
  MountOne(log, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777);
  MountOne(log, "run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", 0755);
  MountOne(log, "tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", 01777);
  const char* links[][2] = {{"/proc/self/fd", "/dev/fd"},
                            {"/proc/self/fd/0", "/dev/stdin"},
                            {"/proc/self/fd/1", "/dev/stdout"},
                            {"/proc/self/fd/2", "/dev/stderr"}};
  for (auto& l : links)
    if (symlink(l[0], l[1]) < 0 && errno != EEXIST)
      Logf(log, "symlink %s: %s", l[1], strerror(errno));
}

void BringUpLoopback(const LogFn& log) {
  int sock = InetSocket();
  if (sock < 0) return;
  SetUp(sock, "lo", log);
  close(sock);
}

void ApplySystemConfig(const Config& config, const LogFn& log) {
  if (!config.hostname.empty() && sethostname(config.hostname.data(), config.hostname.size()) < 0)
    Logf(log, "sethostname: %s", strerror(errno));
  for (const std::string& m : config.modules) LoadModule(m, log);
  LoadModulesList(kImageModulesList, log);
  LoadModulesList(kBootModulesList, log);
  if (!config.network.interface.empty()) ConfigureAddress(config.network, log);
}

void SyncAndReboot(PowerAction action, const LogFn& log) {
  sync();
  int cmd = action == PowerAction::kReboot     ? RB_AUTOBOOT
            : action == PowerAction::kPowerOff ? RB_POWER_OFF
                                               : RB_HALT_SYSTEM;
  if (reboot(cmd) < 0) Logf(log, "reboot: %s", strerror(errno));
}

}  // namespace barekit::init
