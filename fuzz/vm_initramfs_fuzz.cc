// fuzz-link: barekit_vm
// The initramfs probe (gzip / zstd / cpio newc, streamed) on arbitrary bytes: a result or an
// error with a byte offset, never a crash, hang or unbounded allocation.
#include <cstddef>
#include <cstdint>

#include "vm/initramfs_probe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  barekit::Bytes b(reinterpret_cast<const std::byte*>(data), size);
  (void)barekit::vm::ProbeInitramfs(b);
  return 0;
}
