// fuzz-link: barekit_init_core
// barekit-init's control channel (doc/boot-protocol.md) on arbitrary bytes from the host: cut
// into lines and run as commands against two services. Every reply line must be whole, start
// with "ok ", "err " or "status ", hold only printable ASCII, and stay short; nothing may crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "init/control_channel.h"

namespace {

using barekit::init::ControlHandler;
using barekit::init::ControlLineReader;
using barekit::init::PowerAction;
using barekit::init::Service;
using barekit::init::ServiceConfig;
using barekit::init::ServiceState;

class Handler : public ControlHandler {
 public:
  Handler() {
    services.push_back(Service{ServiceConfig{}});
    services.back().config.name = "web";
    services.back().state = ServiceState::kRunning;
    services.back().pid = 42;
    services.push_back(Service{ServiceConfig{}});
    services.back().config.name = "db";
  }
  const std::vector<Service>& ControlServices() const override { return services; }
  void ControlSignal(int pid, int sig) override {
    if (pid != 42 || sig < 1 || sig > 31) std::abort();
  }
  void ControlShutdown(PowerAction) override {}
  std::vector<Service> services;
};

void CheckReply(std::string_view reply) {
  while (!reply.empty()) {
    size_t nl = reply.find('\n');
    if (nl == std::string_view::npos) std::abort();  // every reply line ends in '\n'
    std::string_view line = reply.substr(0, nl);
    if (line.size() > 200) std::abort();
    if (line.rfind("ok ", 0) != 0 && line.rfind("err ", 0) != 0 && line.rfind("status ", 0) != 0)
      std::abort();
    for (char c : line)
      if (c < ' ' || c > '~') std::abort();
    reply.remove_prefix(nl + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Handler handler;
  ControlLineReader reader;
  std::string_view in(reinterpret_cast<const char*>(data), size), line;
  std::string reply;
  for (;;) {
    ControlLineReader::Event e = reader.Next(&in, &line);
    if (e == ControlLineReader::Event::kNeedMore) break;
    if (e == ControlLineReader::Event::kLine && line.size() > ControlLineReader::kMaxLine)
      std::abort();
    reply.clear();
    if (e == ControlLineReader::Event::kTooLong)
      reply = barekit::init::kLineTooLongReply;
    else
      barekit::init::RunControlCommand(line, &handler, &reply);
    CheckReply(reply);
  }
  return 0;
}
