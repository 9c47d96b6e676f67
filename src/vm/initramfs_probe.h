// What architecture an initramfs is for, read from the archive itself: the ELF header of its
// /init (following a symlink such as `init -> app/svc`). The archive may be gzip, zstd or plain
// cpio newc; it is streamed, so a large image costs a decompression pass but no memory.
// The newc format: doc/formats/cpio-newc.md.
#ifndef VM_INITRAMFS_PROBE_H_
#define VM_INITRAMFS_PROBE_H_

#include <string>

#include "base/byte_reader.h"
#include "base/status.h"

namespace barekit::vm {

struct InitramfsInfo {
  std::string compression;  // gzip | zstd | none
  std::string init_path;    // the file /init resolves to ("init", "app/hello")
  std::string arch;         // amd64, arm64, riscv64, 386, arm; empty if /init is not ELF
  uint64_t entries = 0;     // entries read (up to the trailer, or until /init was found)
};

// Errors name the byte offset (in the decompressed stream for a compressed archive).
Result<InitramfsInfo> ProbeInitramfs(Bytes data);
Result<InitramfsInfo> ProbeInitramfsFile(const std::string& path);

}  // namespace barekit::vm

#endif  // VM_INITRAMFS_PROBE_H_
