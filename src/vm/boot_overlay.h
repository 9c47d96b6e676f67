// The boot overlay: a second, uncompressed cpio newc archive that `barekit boot` appends to the
// user's initramfs (the kernel unpacks concatenated archives in order). It carries the kernel
// modules the VM's devices need and /etc/barekit/modules.order, which barekit-init loads in
// order (doc/boot-protocol.md), so the user's image needs no change. See doc/kernel.md.
#ifndef VM_BOOT_OVERLAY_H_
#define VM_BOOT_OVERLAY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "archive/sink.h"
#include "base/status.h"
#include "pack/modinfo.h"

namespace barekit::vm {

// Where the overlay puts the modules and the list barekit-init reads.
inline constexpr std::string_view kOverlayModulesDir = "/etc/barekit/modules";
inline constexpr std::string_view kModulesOrderPath = "/etc/barekit/modules.order";

// The modules a VM needs for its devices, before dependencies:
//   amd64 q35 (virtio over PCI; control channel on ttyS1):
//     virtio_pci virtio_net virtio_blk button evdev
//   amd64 microvm (virtio over MMIO, virtio-serial control port):
//     virtio_mmio virtio_net virtio_blk virtio_console button evdev
//   arm64 virt (virtio over MMIO): virtio_mmio virtio_net virtio_blk virtio_console gpio_keys evdev
// An empty machine means the architecture's default (q35, virt). Empty for anything else.
std::vector<std::string> DefaultBootModules(std::string_view arch, std::string_view machine = "");

struct OverlayOptions {
  std::string arch;         // amd64 | arm64
  std::string machine;      // q35, microvm, virt; empty: the architecture's default
  std::string modules_dir;  // lib/modules/<release> of the kernel that boots
  // When not empty, used instead of DefaultBootModules(arch, machine), with the same rule: a
  // module the kernel lacks is skipped with a note.
  std::vector<std::string> modules;
  bool no_defaults = false;         // only `add`
  std::vector<std::string> add;     // asked for explicitly: an error when missing
  std::vector<std::string> remove;  // dropped from the default list
};

struct OverlayInfo {
  std::vector<pack::ModuleFile> modules;  // load order: every module after its depends
  std::vector<std::string> order;         // the guest paths in modules.order
  std::vector<std::string> notes;         // default modules skipped, and why
  uint64_t overlay_bytes = 0;             // size of the overlay archive
  uint64_t overlay_offset = 0;            // WriteBootInitrd: where the overlay starts
};

// Writes the overlay archive (reproducible: mtime 0, entries in path order) to `out` and
// finishes `out`. A default module this kernel lacks (gpio_keys on cloud-arm64) or has built in
// is skipped with a note; a module named in `add` must exist.
Result<OverlayInfo> WriteBootOverlay(const OverlayOptions& options, archive::ByteSink* out);

// The same, written atomically to `path`.
Result<OverlayInfo> WriteBootOverlayFile(const OverlayOptions& options, const std::string& path);

// The initrd `barekit boot` passes to QEMU: the user's initramfs as it is, zero bytes up to a
// multiple of 4 (the kernel looks for an uncompressed cpio only at 4-byte aligned offsets and
// skips zeros between archives), then the overlay. Written atomically to `out_path`.
Result<OverlayInfo> WriteBootInitrd(const std::string& user_initramfs,
                                    const OverlayOptions& options, const std::string& out_path);

}  // namespace barekit::vm

#endif  // VM_BOOT_OVERLAY_H_
