// The control channel's command side (doc/boot-protocol.md): bytes from the host are cut into
// lines of at most kMaxLine bytes, each line is one command, and each command gets its reply
// lines. Pure: what a command does to the system goes through ControlHandler, so parsing and
// replies are unit-tested (control_channel_test.cc) and fuzzed (fuzz/init_control_fuzz.cc).
// The bytes are untrusted: nothing here allocates in proportion to the input, and whatever the
// host sent is echoed back only as printable ASCII, cut short.
#ifndef INIT_CONTROL_CHANNEL_H_
#define INIT_CONTROL_CHANNEL_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "init/supervisor.h"
#include "init/system_setup.h"

namespace barekit::init {

// Cuts a byte stream into lines. '\n' or '\r' ends a line (a terminal in raw mode sends '\r'),
// empty lines are skipped, and a line longer than kMaxLine is reported once, at its end, and
// dropped. Memory is fixed: one kMaxLine buffer.
class ControlLineReader {
 public:
  static constexpr size_t kMaxLine = 256;
  enum class Event { kNeedMore, kLine, kTooLong };

  // Consumes bytes from the front of *input up to the end of the next line. On kLine, *line
  // views this reader's buffer and stays valid until the next call.
  Event Next(std::string_view* input, std::string_view* line);

 private:
  char buf_[kMaxLine];
  size_t len_ = 0;
  bool too_long_ = false;
};

// What a command may do to the running system.
class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  virtual const std::vector<Service>& ControlServices() const = 0;
  // Sends sig to the process group of pid.
  virtual void ControlSignal(int pid, int sig) = 0;
  virtual void ControlShutdown(PowerAction action) = 0;
};

// Runs one command line and appends its reply lines, each ending in '\n', to *reply.
void RunControlCommand(std::string_view line, ControlHandler* handler, std::string* reply);

// The reply to a line longer than ControlLineReader::kMaxLine.
inline constexpr std::string_view kLineTooLongReply = "err line too long\n";

}  // namespace barekit::init

#endif  // INIT_CONTROL_CHANNEL_H_
