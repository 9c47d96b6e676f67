// fuzz-link: barekit_init_core
// The barekit-init config parser on arbitrary bytes: it must return a config or a
// `file:line:col: message` error, never crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "init/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  barekit::Result<barekit::init::Config> c = barekit::init::ParseConfig(text, "fuzz.toml");
  if (!c.ok() && c.status().message().rfind("fuzz.toml:", 0) != 0) std::abort();
  return 0;
}
