// fuzz-link: barekit_pack
// The kernel module .modinfo reader: section parser and the ELF path that finds the section.
#include <cstddef>
#include <cstdint>

#include "pack/modinfo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  barekit::Bytes b(reinterpret_cast<const std::byte*>(data), size);
  (void)barekit::pack::ParseModInfo(b);
  (void)barekit::pack::ReadModInfo(b);
  return 0;
}
