// The power key (doc/boot-protocol.md): input devices under /dev/input that report KEY_POWER —
// the ACPI power button (button.ko + evdev.ko) on x86, gpio-keys on arm64 — are watched, and a
// press asks for an orderly poweroff. Devices may appear only after modules load, so the event
// loop calls Scan() on a timer until one is found; a Scan reads the directory only when its
// modification time changed, so an idle rescan is one stat(2).
#ifndef INIT_POWER_KEY_H_
#define INIT_POWER_KEY_H_

#include <sys/stat.h>

#include <cstddef>

namespace barekit::init {

class PowerKeyWatcher {
 public:
  static constexpr size_t kMaxDevices = 8;
  PowerKeyWatcher() = default;
  ~PowerKeyWatcher();
  PowerKeyWatcher(const PowerKeyWatcher&) = delete;
  PowerKeyWatcher& operator=(const PowerKeyWatcher&) = delete;

  // Opens the event devices with KEY_POWER that are not open yet; they are fd(count() - added)
  // .. fd(count() - 1). Returns how many it added.
  size_t Scan();
  // Reads what device i has pending; true if KEY_POWER went down. A device that fails (removed)
  // is closed, and its slot reads -1.
  bool ReadPressed(size_t i);

  bool found() const;  // at least one device is open
  size_t count() const { return count_; }
  int fd(size_t i) const { return fds_[i]; }

 private:
  bool IsOpen(int number) const;
  int fds_[kMaxDevices];
  int numbers_[kMaxDevices];  // N of /dev/input/eventN
  size_t count_ = 0;
  timespec seen_mtime_{};
  bool seen_ = false;
};

}  // namespace barekit::init

#endif  // INIT_POWER_KEY_H_
