// A QMP (QEMU Machine Protocol) client: JSON objects, one per line, over a unix socket. The
// server greets, the client sends qmp_capabilities, then commands get {"return":..} or
// {"error":..} replies, and {"event":..} messages arrive at any time in between.
// Reference: QEMU's docs/interop/qmp-spec. Notes: doc/boot.md.
#ifndef VM_QMP_H_
#define VM_QMP_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"

namespace barekit::vm {

// json's noexcept move constructor calls a check that tidy cannot see into.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct QmpEvent {
  std::string name;     // SHUTDOWN, RESET, STOP, RESUME, POWERDOWN, ...
  nlohmann::json data;  // its "data" member (may be null)
  int64_t host_ms = 0;  // host CLOCK_MONOTONIC when it was read
};

// Splits received bytes into JSON messages. Pure; bounded (a line over 1 MiB is an error).
class QmpStream {
 public:
  // Appends bytes; complete messages go to `out`. Returns an error for a line that is not a JSON
  // object or is too long (the stream is then unusable).
  Status Feed(std::string_view bytes, std::vector<nlohmann::json>* out);

 private:
  std::string partial_;
};

class QmpClient {
 public:
  // Connects to the unix socket at `path`, retrying until `timeout_ms` (QEMU creates it after it
  // starts), reads the greeting and negotiates capabilities.
  static Result<QmpClient> Connect(const std::string& path, int64_t timeout_ms);

  int fd() const { return fd_.get(); }
  const std::string& version() const { return version_; }

  // Sends a command and waits up to `timeout_ms` for its reply; events that arrive meanwhile are
  // kept for TakeEvents(). An {"error":..} reply is an error naming its class and description.
  Result<nlohmann::json> Execute(std::string_view command,
                                 const nlohmann::json& arguments = nlohmann::json(),
                                 int64_t timeout_ms = 5000);
  // Reads what the socket has (call when poll says it is readable); events are kept.
  // Returns NotFound when the peer closed the socket (QEMU exited).
  Status ReadAvailable();
  std::vector<QmpEvent> TakeEvents();

 private:
  Status ReadSome(int wait_ms, std::vector<nlohmann::json>* msgs);
  void Keep(const nlohmann::json& msg);

  UniqueFd fd_;
  QmpStream stream_;
  std::vector<QmpEvent> events_;
  std::string version_;
  int64_t next_id_ = 1;
};

int64_t HostMillis();  // CLOCK_MONOTONIC in ms

}  // namespace barekit::vm

#endif  // VM_QMP_H_
