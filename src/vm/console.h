// The guest's serial console as the host sees it: bytes split into lines, and the markers of
// doc/boot-protocol.md (BAREKIT-INIT / -READY / -DOWN) and of the firmware and kernel found in
// them.
#ifndef VM_CONSOLE_H_
#define VM_CONSOLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace barekit::vm {

enum class MarkerKind {
  kInit,           // BAREKIT-INIT uptime_ms=N
  kReady,          // BAREKIT-READY n=K uptime_ms=N services=a,b
  kDown,           // BAREKIT-DOWN action=poweroff uptime_ms=N
  kUbootBanner,    // "U-Boot 2023.01 ..."
  kUbootPrompt,    // "Hit any key to stop autoboot"
  kKernelStart,    // U-Boot's "Starting kernel ..."
  kKernelPanic,    // "Kernel panic - not syncing"
  kServiceFailed,  // barekit-init's status line "barekit-init: NAME: failed: WHY"
};

struct Marker {
  MarkerKind kind;
  int64_t n = 0;           // kReady
  int64_t uptime_ms = -1;  // kInit, kReady, kDown
  std::string action;      // kDown; kServiceFailed: why it failed
  std::string services;    // kReady; kServiceFailed: the service's name
};

// The marker a console line carries, if any. Tolerates a prefix before the marker (a kernel
// message or a \r) and unknown extra fields after it.
std::optional<Marker> ParseMarker(std::string_view line);

// Splits a byte stream into lines (\n; a trailing \r is dropped). A line longer than `max` is
// cut into pieces so a guest that never prints a newline cannot make the host buffer grow.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max = 4096) : max_(max) {}
  // Calls fn(std::string_view line) for every complete line in `bytes`.
  template <typename Fn>
  void Feed(std::string_view bytes, Fn&& fn) {
    for (char c : bytes) {
      if (c == '\n' || partial_.size() >= max_) {
        if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
        fn(std::string_view(partial_));
        partial_.clear();
        if (c == '\n') continue;
      }
      partial_.push_back(c);
    }
  }
  // The unterminated rest, e.g. a prompt without a newline.
  std::string_view pending() const { return partial_; }

 private:
  size_t max_;
  std::string partial_;
};

}  // namespace barekit::vm

#endif  // VM_CONSOLE_H_
