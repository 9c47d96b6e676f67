#include "init/control_device.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>

namespace barekit::init {
namespace {

// The /dev path of the virtio-serial port named `name`, or "" if none has that name (yet: the
// name arrives from the host a little after the port itself).
std::string FindVirtioPort(const std::string& name) {
  DIR* dir = opendir("/sys/class/virtio-ports");
  if (!dir) return "";
  std::string found;
  char path[512], buf[256];
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    std::snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n <= 0) continue;
    size_t len = static_cast<size_t>(n);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == 0)) --len;
    if (std::string_view(buf, len) == name) {
      found = std::string("/dev/") + e->d_name;
      break;
    }
  }
  closedir(dir);
  return found;
}

}  // namespace

UniqueFd OpenControlDevice(const ControlSpec& spec, std::string* error) {
  std::string path = spec.path;
  if (!spec.virtio_name.empty()) {
    path = FindVirtioPort(spec.virtio_name);
    if (path.empty()) return UniqueFd();
  }
  UniqueFd fd(open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    // Not there yet (ENOENT), or its driver has no device behind it yet (ENXIO, ENODEV), or a
    // pty whose other side is gone (EIO): wait and try again.
    if (errno != ENOENT && errno != ENXIO && errno != ENODEV && errno != EIO)
      *error = "control channel " + path + ": " + std::strerror(errno);
    return fd;
  }
  termios t;
  if (tcgetattr(fd.get(), &t) == 0) {
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(fd.get(), TCSANOW, &t) < 0)
      *error = "control channel " + path + ": raw mode: " + std::strerror(errno);
  }
  return fd;
}

}  // namespace barekit::init
