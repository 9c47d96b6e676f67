// Which architecture a kernel image is built for, from its header alone, so `barekit boot` can
// refuse a kernel/initramfs pair of different architectures before QEMU starts. The magic
// numbers are listed in doc/kernel.md.
#ifndef VM_KERNEL_IMAGE_H_
#define VM_KERNEL_IMAGE_H_

#include <string>

#include "base/byte_reader.h"
#include "base/status.h"

namespace barekit::vm {

// What a kernel image file is.
struct KernelImage {
  std::string arch;    // amd64, i386, arm64, arm, riscv64 (Debian names)
  std::string format;  // "bzImage", "Image", "Image.gz", "zImage", "ELF", "EFI zboot"
};

// Identifies a kernel image by its header: x86 boot protocol "HdrS" at 0x202 (64-bit when
// xloadflags has XLF_KERNEL_64), arm64 "ARM\x64" / riscv "RSC\x05" at 0x38, arm zImage
// 0x016f2818 at 0x24, ELF e_machine, an EFI zboot PE's machine, and a gzip'd Image (the first
// bytes are inflated). NotMine when none matches.
Result<KernelImage> IdentifyKernel(Bytes data);
// The Debian architecture name of the kernel image at `path` ("amd64", "arm64", ...); the error
// names the file.
Result<std::string> KernelArch(const std::string& path);

}  // namespace barekit::vm

#endif  // VM_KERNEL_IMAGE_H_
