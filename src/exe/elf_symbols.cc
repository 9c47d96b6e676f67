// ELF static symbol table (.symtab): Elf32_Sym / Elf64_Sym entries named from the linked
// string table. See doc/formats/elf.md.
#include "exe/elf.h"
#include "exe/elf_internal.h"

namespace barekit::exe {

Result<std::vector<Symbol>> ReadElfSymbols(const ObjectFile& obj) {
  using elf::Field;
  using elf::Hex;
  using elf::kShtSymtab;
  if (!obj.symtab) {
    for (size_t i = 0; i < obj.sections.size(); ++i) {
      if (obj.sections[i].type == kShtSymtab && obj.has_symtab) {
        return Status::Corrupt("symbol table (section " + std::to_string(i) + ", " +
                               std::string(obj.sections[i].name) + " at " +
                               Hex(obj.sections[i].offset) + ") links to no valid string table");
      }
    }
    return Status::NotFound("no static symbol table");
  }
  const SymtabLocation& loc = *obj.symtab;
  const bool is64 = obj.ptr_size == 8;
  const uint64_t min_entry = is64 ? 24 : 16;
  if (loc.entry_size < min_entry) {
    return Status::Corrupt("symbol table at " + Hex(loc.offset) + ": entry size " +
                           Hex(loc.entry_size) + " is smaller than " + Hex(min_entry));
  }
  auto table = SubSpan(obj.data, loc.offset, loc.count * loc.entry_size);
  if (loc.count > obj.data.size() / loc.entry_size || !table) {
    return Status::Corrupt("symbol table at " + Hex(loc.offset) + " (" + std::to_string(loc.count) +
                           " entries) runs past end of file (size " + Hex(obj.data.size()) + ")");
  }
  auto strings = SubSpan(obj.data, loc.str_offset, loc.str_size);
  if (!strings) {
    return Status::Corrupt("symbol string table at " + Hex(loc.str_offset) + "+" +
                           Hex(loc.str_size) + " runs past end of file (size " +
                           Hex(obj.data.size()) + ")");
  }
  constexpr uint8_t kSttFunc = 2;
  constexpr uint16_t kShnLoreserve = 0xff00;
  const Endian e = obj.endian;
  std::vector<Symbol> out;
  out.reserve(loc.count > 0 ? loc.count - 1 : 0);
  for (uint64_t i = 1; i < loc.count; ++i) {  // entry 0 is the reserved null symbol
    Bytes rec = table->subspan(i * loc.entry_size, loc.entry_size);
    uint64_t name_off;
    uint8_t info;
    uint16_t shndx;
    Symbol sym;
    if (is64) {
      name_off = Field(rec, 0, 4, e);
      info = static_cast<uint8_t>(rec[4]);
      shndx = static_cast<uint16_t>(Field(rec, 6, 2, e));
      sym.value = Field(rec, 8, 8, e);
      sym.size = Field(rec, 16, 8, e);
    } else {
      name_off = Field(rec, 0, 4, e);
      sym.value = Field(rec, 4, 4, e);
      sym.size = Field(rec, 8, 4, e);
      info = static_cast<uint8_t>(rec[12]);
      shndx = static_cast<uint16_t>(Field(rec, 14, 2, e));
    }
    if (name_off != 0) {
      auto name = CStringAt(*strings, name_off);
      if (!name) {
        return Status::Corrupt("symbol " + std::to_string(i) + " at " +
                               Hex(loc.offset + i * loc.entry_size) + ": name offset " +
                               Hex(name_off) + " is outside the string table (size " +
                               Hex(strings->size()) + ")");
      }
      sym.name = *name;
    }
    sym.is_function = (info & 0xf) == kSttFunc;
    sym.is_text = shndx != 0 && shndx < kShnLoreserve && shndx < obj.sections.size() &&
                  obj.sections[shndx].executable;
    out.push_back(sym);
  }
  return out;
}

}  // namespace barekit::exe
