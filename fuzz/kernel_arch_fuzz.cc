// fuzz-link: barekit_vm
// Kernel image identification (vm/kernel_image.h) on arbitrary bytes: headers of every kind,
// truncated anywhere, and gzip streams that inflate to anything.
#include <cstddef>
#include <cstdint>

#include "vm/kernel_image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  barekit::Bytes bytes(reinterpret_cast<const std::byte*>(data), size);
  auto k = barekit::vm::IdentifyKernel(bytes);
  if (k.ok() && k->arch.empty()) __builtin_trap();
  return 0;
}
