#include "exe/object_file.h"

#include "exe/elf.h"
#include "exe/macho.h"
#include "exe/pe.h"

namespace barekit::exe {

std::string_view FormatName(Format f) {
  switch (f) {
    case Format::kElf:
      return "elf";
    case Format::kPe:
      return "pe";
    case Format::kMachO:
      return "macho";
  }
  return "?";
}

std::string_view LinkKindName(LinkKind k) {
  switch (k) {
    case LinkKind::kStatic:
      return "static";
    case LinkKind::kStaticPie:
      return "static-pie";
    case LinkKind::kDynamic:
      return "dynamic";
  }
  return "?";
}

const Section* ObjectFile::FindSection(std::string_view name) const {
  for (const Section& s : sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<Bytes> ObjectFile::SectionData(const Section& s) const {
  return SubSpan(data, s.offset, s.file_size);
}

std::optional<uint64_t> ObjectFile::AddrToOffset(uint64_t addr) const {
  for (const Section& s : sections) {
    if (s.file_size == 0 || !s.alloc) continue;
    if (addr >= s.addr && addr - s.addr < s.file_size) return s.offset + (addr - s.addr);
  }
  for (const Segment& g : segments) {
    if (g.filesz == 0) continue;
    if (addr >= g.vaddr && addr - g.vaddr < g.filesz) return g.offset + (addr - g.vaddr);
  }
  return std::nullopt;
}

std::optional<Bytes> ObjectFile::ReadFrom(uint64_t addr) const {
  for (const Section& s : sections) {
    if (s.file_size == 0 || !s.alloc) continue;
    if (addr >= s.addr && addr - s.addr < s.file_size) {
      uint64_t delta = addr - s.addr;
      return SubSpan(data, s.offset + delta, s.file_size - delta);
    }
  }
  for (const Segment& g : segments) {
    if (g.filesz == 0) continue;
    if (addr >= g.vaddr && addr - g.vaddr < g.filesz) {
      uint64_t delta = addr - g.vaddr;
      return SubSpan(data, g.offset + delta, g.filesz - delta);
    }
  }
  return std::nullopt;
}

std::optional<Bytes> ObjectFile::ReadAt(uint64_t addr, uint64_t n) const {
  auto rest = ReadFrom(addr);
  if (!rest || rest->size() < n) return std::nullopt;
  return rest->first(static_cast<size_t>(n));
}

Result<std::vector<Symbol>> ReadSymbols(const ObjectFile& obj) {
  switch (obj.format) {
    case Format::kElf:
      return ReadElfSymbols(obj);
    case Format::kPe:
      return ReadPeSymbols(obj);
    case Format::kMachO:
      return ReadMachOSymbols(obj);
  }
  return Status::Unsupported("unknown format");
}

Result<std::vector<ObjectFile>> OpenObject(Bytes data) {
  {
    auto elf = TryOpenElf(data);
    if (elf.ok()) return std::vector<ObjectFile>{std::move(elf).value()};
    if (!elf.status().IsNotMine()) return elf.status();
  }
  {
    auto pe = TryOpenPe(data);
    if (pe.ok()) return std::vector<ObjectFile>{std::move(pe).value()};
    if (!pe.status().IsNotMine()) return pe.status();
  }
  {
    auto macho = TryOpenMachO(data);
    if (macho.ok()) return std::move(macho).value();
    if (!macho.status().IsNotMine()) return macho.status();
  }
  return Status::NotMine("not an executable (no ELF, PE or Mach-O header)");
}

}  // namespace barekit::exe
