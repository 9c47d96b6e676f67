#!/bin/sh
# Fake kernel modules for boot_overlay_test: ELF relocatables whose only content is a .modinfo
# section (name=, depends=), the way real .ko files carry it. Dependencies follow the Debian
# 6.1 cloud kernels (see /work/shared/notes/qemu.md section 2). Usage: fake_modules.sh OUTDIR
set -eu
out=$1
mkdir -p "$out/kernel/drivers/virtio" "$out/kernel/drivers/net" "$out/kernel/drivers/input"
mod() {  # relpath name depends
  src="$out/$2.c"
  printf '__attribute__((section(".modinfo"), used)) static const char a[] = "license=GPL";\n' > "$src"
  printf '__attribute__((section(".modinfo"), used)) static const char b[] = "depends=%s";\n' "$3" >> "$src"
  printf '__attribute__((section(".modinfo"), used)) static const char c[] = "name=%s";\n' "$2" >> "$src"
  gcc -c -o "$out/kernel/$1/$2.ko" "$src"
  rm -f "$src"
}
mod drivers/virtio virtio_ring ""
mod drivers/virtio virtio "virtio_ring"
mod drivers/virtio virtio_pci_legacy_dev ""
mod drivers/virtio virtio_pci_modern_dev ""
mod drivers/virtio virtio_pci "virtio_pci_modern_dev,virtio,virtio_ring,virtio_pci_legacy_dev"
mod drivers/virtio virtio_mmio "virtio,virtio_ring"
mod drivers/net failover ""
mod drivers/net net_failover "failover"
mod drivers/net virtio_net "net_failover,virtio,virtio_ring"
mod drivers/virtio virtio_blk "virtio,virtio_ring"
mod drivers/virtio virtio_console "virtio,virtio_ring"
mod drivers/input evdev ""
mod drivers/input button ""
# Like cloud-arm64: no gpio_keys at all. Like arm64: something built in.
printf 'kernel/drivers/acpi/acpi_button.ko\nkernel/drivers/base/firmware_loader/firmware_class.ko\n' > "$out/modules.builtin"
