#include "init/power_key.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace barekit::init {
namespace {

constexpr char kInputDir[] = "/dev/input";

bool ReportsPowerKey(int fd) {
  unsigned char keys[KEY_MAX / 8 + 1];
  std::memset(keys, 0, sizeof keys);
  if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof keys), keys) < 0) return false;
  return keys[KEY_POWER / 8] & (1u << (KEY_POWER % 8));
}

// N of "eventN", or -1.
int EventNumber(const char* name) {
  if (std::strncmp(name, "event", 5) != 0 || name[5] < '0' || name[5] > '9') return -1;
  char* end = nullptr;
  long n = std::strtol(name + 5, &end, 10);
  return *end == 0 && n >= 0 && n < 1000000 ? static_cast<int>(n) : -1;
}

}  // namespace

PowerKeyWatcher::~PowerKeyWatcher() {
  for (size_t i = 0; i < count_; ++i)
    if (fds_[i] >= 0) close(fds_[i]);
}

bool PowerKeyWatcher::found() const {
  for (size_t i = 0; i < count_; ++i)
    if (fds_[i] >= 0) return true;
  return false;
}

bool PowerKeyWatcher::IsOpen(int number) const {
  for (size_t i = 0; i < count_; ++i)
    if (fds_[i] >= 0 && numbers_[i] == number) return true;
  return false;
}

size_t PowerKeyWatcher::Scan() {
  struct stat st;
  if (stat(kInputDir, &st) < 0) return 0;
  if (seen_ && st.st_mtim.tv_sec == seen_mtime_.tv_sec && st.st_mtim.tv_nsec == seen_mtime_.tv_nsec)
    return 0;
  DIR* dir = opendir(kInputDir);
  if (!dir) return 0;
  // Remember the time read before the listing: a device added during it changes the time again.
  seen_mtime_ = st.st_mtim;
  seen_ = true;
  size_t added = 0;
  char path[64];
  while (dirent* e = readdir(dir)) {
    if (count_ == kMaxDevices) break;
    int number = EventNumber(e->d_name);
    if (number < 0 || IsOpen(number)) continue;
    std::snprintf(path, sizeof path, "%s/event%d", kInputDir, number);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    if (!ReportsPowerKey(fd)) {
      close(fd);
      continue;
    }
    fds_[count_] = fd;
    numbers_[count_] = number;
    ++count_;
    ++added;
  }
  closedir(dir);
  return added;
}

bool PowerKeyWatcher::ReadPressed(size_t i) {
  if (i >= count_ || fds_[i] < 0) return false;
  input_event ev[16];
  bool pressed = false;
  for (;;) {
    ssize_t n = read(fds_[i], ev, sizeof ev);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      // Gone (ENODEV): close it; the slot stays so the others keep their indexes.
      close(fds_[i]);
      fds_[i] = -1;
      seen_ = false;
      break;
    }
    for (size_t k = 0; k < static_cast<size_t>(n) / sizeof ev[0]; ++k)
      if (ev[k].type == EV_KEY && ev[k].code == KEY_POWER && ev[k].value == 1) pressed = true;
  }
  return pressed;
}

}  // namespace barekit::init
