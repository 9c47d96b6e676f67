// Debian kernels for `barekit boot`, fetched without installing them: the linux-image
// metapackage is resolved to its real (ABI-numbered) package through apt, the .deb downloaded
// with `apt-get download` (a private apt state per architecture) and only vmlinuz and the
// modules extracted into a cache.
// Cache layout, apt options and image magic numbers: doc/kernel.md.
#ifndef VM_KERNEL_FETCH_H_
#define VM_KERNEL_FETCH_H_

#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "vm/kernel_image.h"  // KernelArch, for callers of FetchKernel

namespace barekit::vm {

struct FetchOptions {
  std::string arch;       // "amd64" or "arm64" (Debian names)
  std::string flavor;     // "cloud" or "generic"; empty: DefaultFlavor(arch)
  std::string cache_dir;  // empty: DefaultKernelCache()
  bool offline = false;   // newest cached kernel for arch/flavor; apt is not run
  // Progress notes ("updating package lists ..."); may be empty.
  std::function<void(const std::string&)> note;
};

struct KernelFiles {
  std::string kernel;       // .../boot/vmlinuz-<release>
  std::string modules_dir;  // .../lib/modules/<release>
  std::string release;      // 6.1.0-56-cloud-amd64
  std::string package;      // linux-image-6.1.0-56-cloud-amd64
  std::string version;      // 6.1.192-2
  std::string arch;         // amd64 | arm64
  std::string flavor;       // cloud | generic
  bool from_cache = false;  // nothing was downloaded
};

// cloud for amd64; generic for arm64 (only the generic arm64 kernel has gpio_keys, which the
// power key of QEMU's virt machine needs).
std::string DefaultFlavor(std::string_view arch);
// linux-image-cloud-amd64, linux-image-arm64, linux-image-cloud-arm64, ...
Result<std::string> MetaPackage(std::string_view arch, std::string_view flavor);
// $XDG_CACHE_HOME/barekit/kernels, else $HOME/.cache/barekit/kernels.
std::string DefaultKernelCache();

Result<KernelFiles> FetchKernel(const FetchOptions& options);

// Debian version ordering (deb-version(7): epoch, upstream, revision; '~' sorts first).
// <0, 0, >0 like strcmp.
int CompareDebianVersions(std::string_view a, std::string_view b);

}  // namespace barekit::vm

#endif  // VM_KERNEL_FETCH_H_
