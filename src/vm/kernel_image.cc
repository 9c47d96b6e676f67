#include "vm/kernel_image.h"

#include <zlib.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "base/mapped_file.h"

namespace barekit::vm {
namespace {

bool HasMagic(Bytes data, uint64_t off, std::string_view magic) {
  auto s = SubSpan(data, off, magic.size());
  return s && AsStringView(*s) == magic;
}

std::optional<uint64_t> LoadAt(Bytes data, uint64_t off, size_t n) {
  auto s = SubSpan(data, off, n);
  if (!s) return std::nullopt;
  return LoadUint(s->data(), n, Endian::kLittle);
}

// x86 boot protocol (Documentation/arch/x86/boot.rst): "HdrS" at 0x202, the protocol version at
// 0x206, and from 2.12 on xloadflags at 0x236 whose bit 0 (XLF_KERNEL_64) marks a 64-bit kernel.
std::optional<KernelImage> TryX86(Bytes data) {
  if (!HasMagic(data, 0x202, "HdrS")) return std::nullopt;
  auto version = LoadAt(data, 0x206, 2);
  auto xloadflags = LoadAt(data, 0x236, 2);
  std::string arch = "x86";  // too old a protocol to tell 32 from 64 bits
  if (version && *version >= 0x20c && xloadflags) arch = (*xloadflags & 1) ? "amd64" : "i386";
  return KernelImage{arch, "bzImage"};
}

// arm64 and riscv Image headers (Documentation/arch/arm64/booting.rst, riscv/boot-image-header):
// a 64-byte header whose magic sits at 0x38.
std::optional<KernelImage> TryImage(Bytes data) {
  if (HasMagic(data, 0x38, "ARM\x64")) return KernelImage{"arm64", "Image"};
  if (HasMagic(data, 0x38, "RSC\x05")) return KernelImage{"riscv64", "Image"};
  if (auto m = LoadAt(data, 0x24, 4); m && *m == 0x016f2818) return KernelImage{"arm", "zImage"};
  return std::nullopt;
}

std::string ElfMachineArch(uint64_t machine, bool is64) {
  switch (machine) {
    case 3:
      return "i386";
    case 62:
      return "amd64";
    case 40:
      return "arm";
    case 183:
      return "arm64";
    case 243:
      return is64 ? "riscv64" : "riscv32";
    default:
      return "";
  }
}

std::optional<KernelImage> TryElf(Bytes data) {
  if (!HasMagic(data, 0,
                "\x7f"
                "ELF"))
    return std::nullopt;
  auto cls = LoadAt(data, 4, 1);
  auto enc = LoadAt(data, 5, 1);
  auto m = SubSpan(data, 18, 2);
  if (!cls || !enc || !m) return std::nullopt;
  uint64_t machine = LoadUint(m->data(), 2, *enc == 2 ? Endian::kBig : Endian::kLittle);
  std::string arch = ElfMachineArch(machine, *cls == 2);
  if (arch.empty()) return std::nullopt;
  return KernelImage{arch, "ELF"};
}

// An EFI zboot image (arm64/riscv CONFIG_EFI_ZBOOT): a PE file with "zimg" at 4; the
// architecture is the PE machine field.
std::optional<KernelImage> TryZboot(Bytes data) {
  if (!HasMagic(data, 0, "MZ") || !HasMagic(data, 4, "zimg")) return std::nullopt;
  auto pe = LoadAt(data, 0x3c, 4);
  if (!pe || !HasMagic(data, *pe, std::string_view("PE\0\0", 4))) return std::nullopt;
  auto machine = LoadAt(data, *pe + 4, 2);
  if (!machine) return std::nullopt;
  switch (*machine) {
    case 0xaa64:
      return KernelImage{"arm64", "EFI zboot"};
    case 0x5064:
      return KernelImage{"riscv64", "EFI zboot"};
    case 0x8664:
      return KernelImage{"amd64", "EFI zboot"};
    default:
      return std::nullopt;
  }
}

std::optional<KernelImage> TryUncompressed(Bytes data) {
  if (auto k = TryX86(data)) return k;
  if (auto k = TryImage(data)) return k;
  if (auto k = TryZboot(data)) return k;
  return TryElf(data);
}

// Inflates the first bytes of a gzip stream (enough for every header above) into `out`.
// Returns how many bytes came out; 0 when the stream is broken before that.
size_t InflateHead(Bytes data, std::array<unsigned char, 0x240>* out) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return 0;
  // zlib's API takes a non-const pointer but does not write through next_in.
  zs.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(data.data()));
  zs.avail_in = static_cast<uInt>(std::min<size_t>(data.size(), 1u << 30));
  zs.next_out = out->data();
  zs.avail_out = static_cast<uInt>(out->size());
  while (zs.avail_out > 0) {
    int rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK) break;  // end of stream, error, or no progress possible
  }
  size_t n = out->size() - zs.avail_out;
  inflateEnd(&zs);
  return n;
}

}  // namespace

Result<KernelImage> IdentifyKernel(Bytes data) {
  if (auto k = TryUncompressed(data)) return *k;
  if (HasMagic(data, 0, "\x1f\x8b")) {
    std::array<unsigned char, 0x240> head{};
    size_t n = InflateHead(data, &head);
    Bytes inner(reinterpret_cast<const std::byte*>(head.data()), n);
    if (n == 0) return Status::Corrupt("gzip stream broken at its start");
    if (auto k = TryImage(inner)) return KernelImage{k->arch, k->format + ".gz"};
    if (auto k = TryX86(inner)) return KernelImage{k->arch, k->format + ".gz"};
    return Status::NotMine("gzip data that does not inflate to a kernel Image header");
  }
  return Status::NotMine(
      "not a kernel image (no x86 'HdrS' at 0x202, no arm64 'ARM\\x64' or riscv 'RSC\\x05' at "
      "0x38, no arm zImage magic at 0x24, not ELF, EFI zboot or gzip)");
}

Result<std::string> KernelArch(const std::string& path) {
  auto m = MappedFile::Open(path);
  if (!m.ok()) return m.status().WithContext("kernel " + path);
  auto k = IdentifyKernel(m->bytes());
  if (!k.ok()) return k.status().WithContext(path);
  return k->arch;
}

}  // namespace barekit::vm
