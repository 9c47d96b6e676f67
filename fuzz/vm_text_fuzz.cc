// fuzz-link: barekit_vm
// barekit boot's text inputs on arbitrary bytes: the scenario file, --fault / --forward / --probe
// values, console lines (the guest is untrusted) and QMP messages. Each must give a value or an
// error (scenario errors as `file:line:col: message`), never crash, hang or grow without bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "vm/console.h"
#include "vm/http_probe.h"
#include "vm/qemu_command.h"
#include "vm/qmp.h"
#include "vm/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sc = barekit::vm::ParseScenario(text, "fuzz.toml");
  if (!sc.ok() && sc.status().message().rfind("fuzz.toml:", 0) != 0) std::abort();
  if (size < 256) {
    (void)barekit::vm::ParseFaultSpec(text);
    (void)barekit::vm::ParseForward(text);
    (void)barekit::vm::ParseHttpUrl(text);
    (void)barekit::vm::ParseSize(text);
  }
  barekit::vm::LineSplitter split(512);
  split.Feed(text, [](std::string_view line) {
    auto m = barekit::vm::ParseMarker(line);
    if (m && m->services.size() > line.size()) std::abort();
  });
  barekit::vm::QmpStream qmp;
  std::vector<nlohmann::json> msgs;
  (void)qmp.Feed(text, &msgs);
  return 0;
}
