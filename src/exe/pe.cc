// PE/COFF reader. The layout and every field read here are described in doc/formats/pe.md.
#include "exe/pe.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "base/checked_math.h"
#include "exe/upx.h"

namespace barekit::exe {
namespace {

// IMAGE_FILE_HEADER.Machine
constexpr uint16_t kMachineI386 = 0x014c, kMachineAmd64 = 0x8664, kMachineArmNt = 0x01c4,
                   kMachineArm64 = 0xaa64, kMachineRiscv64 = 0x5064, kMachineLoongarch64 = 0x6264;
// IMAGE_FILE_HEADER.Characteristics
constexpr uint16_t kFileExecutableImage = 0x0002;
// Optional header magic
constexpr uint16_t kPe32Magic = 0x10b, kPe32PlusMagic = 0x20b;
// DllCharacteristics
constexpr uint16_t kDllDynamicBase = 0x0040, kDllNxCompat = 0x0100;
// Section Characteristics
constexpr uint32_t kScnCntCode = 0x00000020, kScnMemDiscardable = 0x02000000,
                   kScnMemExecute = 0x20000000, kScnMemWrite = 0x80000000;

constexpr uint64_t kCoffHeaderSize = 20;
constexpr uint64_t kSectionHeaderSize = 40;
constexpr uint64_t kSymbolSize = 18;
constexpr uint64_t kImportDescriptorSize = 20;
constexpr uint64_t kDataDirImport = 1;
constexpr size_t kMaxDllName = 4096;

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string_view MachineArch(uint16_t m) {
  switch (m) {
    case kMachineI386:
      return "386";
    case kMachineAmd64:
      return "amd64";
    case kMachineArmNt:
      return "arm";
    case kMachineArm64:
      return "arm64";
    case kMachineRiscv64:
      return "riscv64";
    case kMachineLoongarch64:
      return "loong64";
  }
  return "";
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool IsDwarfName(std::string_view name) {
  return StartsWith(name, ".debug_") || StartsWith(name, ".zdebug_");
}

// The 8-byte name field, up to its first NUL.
std::string_view ShortName(Bytes field) {
  std::string_view s = AsStringView(field);
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

struct StringTable {
  uint64_t offset = 0;  // file offset of the 4-byte size field
  Bytes bytes;          // the whole table including its size field; empty when absent
};

// A string-table entry; offsets count from the start of the size field, as COFF defines them.
std::optional<std::string_view> TableString(const StringTable& t, uint64_t off) {
  if (off < 4) {
    return std::nullopt;
  }
  return CStringAt(t.bytes, off, kMaxDllName);
}

// The region of file bytes that holds `rva`: from its file offset to the end of the
// section's raw data. nullopt when no section maps it.
std::optional<Bytes> RvaBytes(const ObjectFile& obj, uint64_t rva) {
  return obj.ReadFrom(obj.image_base + rva);
}

Status ReadImports(ObjectFile& obj, uint64_t import_rva) {
  auto table = RvaBytes(obj, import_rva);
  if (!table) {
    return Status::Corrupt("import directory at RVA " + Hex(import_rva) +
                           " lies in no section's file data");
  }
  uint64_t table_off = *obj.AddrToOffset(obj.image_base + import_rva);
  ByteReader r(*table, Endian::kLittle);
  // One descriptor per DLL, ended by an all-zero descriptor; bounded by the bytes present.
  for (uint64_t i = 0;; ++i) {
    uint64_t at = table_off + i * kImportDescriptorSize;
    auto lookup = r.U32();
    auto stamp = r.U32();
    auto chain = r.U32();
    auto name_rva = r.U32();
    auto thunk = r.U32();
    if (!thunk) {
      return Status::Corrupt("import descriptor " + std::to_string(i) + " at " + Hex(at) +
                             " runs past the end of its section");
    }
    if (*lookup == 0 && *stamp == 0 && *chain == 0 && *name_rva == 0 && *thunk == 0) {
      break;
    }
    if (*name_rva == 0) {
      continue;  // tolerated by the loader when the thunks are empty
    }
    auto name_bytes = RvaBytes(obj, *name_rva);
    auto name = name_bytes ? CStringAt(*name_bytes, 0, kMaxDllName) : std::nullopt;
    if (!name) {
      return Status::Corrupt("import descriptor " + std::to_string(i) + " at " + Hex(at) +
                             ": DLL name at RVA " + Hex(*name_rva) + " is not in the file");
    }
    obj.linkage.needed.emplace_back(*name);
  }
  return Status::Ok();
}

}  // namespace

Result<ObjectFile> TryOpenPe(Bytes data) {
  if (data.size() < 2 || data[0] != std::byte{'M'} || data[1] != std::byte{'Z'}) {
    return Status::NotMine("no MZ header");
  }
  ByteReader r(data, Endian::kLittle);
  if (!r.Seek(0x3c)) {
    return Status::Corrupt("DOS header truncated: e_lfanew at 0x3c is past the end");
  }
  auto lfanew = r.U32();
  if (!lfanew) {
    return Status::Corrupt("DOS header truncated: e_lfanew at 0x3c is past the end");
  }
  if (!RangeFits(*lfanew, 4 + kCoffHeaderSize, data.size())) {
    // A DOS program has no PE header; a truncated PE file ends before it. Tell them apart by
    // the few bytes that are there.
    auto sig = SubSpan(data, *lfanew, 2);
    if (sig && AsStringView(*sig) != "PE") {
      return Status::NotMine("MZ program without PE header");
    }
    return Status::Corrupt("PE header at e_lfanew " + Hex(*lfanew) +
                           " runs past the end of the file (" + Hex(data.size()) + " bytes)");
  }
  if (AsStringView(*SubSpan(data, *lfanew, 4)) != std::string_view("PE\0\0", 4)) {
    return Status::NotMine("MZ program without PE signature at " + Hex(*lfanew));
  }

  ObjectFile obj;
  obj.format = Format::kPe;
  obj.os = "windows";
  obj.endian = Endian::kLittle;
  obj.data = data;

  // COFF file header.
  uint64_t coff = *lfanew + 4;
  r.Seek(coff);
  uint16_t machine = *r.U16();
  uint16_t nsections = *r.U16();
  r.Skip(4);  // TimeDateStamp
  uint32_t symtab_ptr = *r.U32();
  uint32_t nsyms = *r.U32();
  uint16_t opt_size = *r.U16();
  uint16_t characteristics = *r.U16();
  obj.arch = MachineArch(machine);
  char mbuf[16];
  std::snprintf(mbuf, sizeof mbuf, "0x%04x", machine);
  obj.machine = mbuf;
  obj.is_executable = (characteristics & kFileExecutableImage) != 0;

  // Optional header: PE32 or PE32+.
  uint64_t opt = coff + kCoffHeaderSize;
  if (!RangeFits(opt, opt_size, data.size())) {
    return Status::Corrupt("optional header at " + Hex(opt) + " (" + Hex(opt_size) +
                           " bytes) runs past the end of the file (" + Hex(data.size()) +
                           " bytes)");
  }
  uint16_t dll_characteristics = 0;
  uint64_t import_rva = 0;
  if (opt_size > 0) {
    ByteReader o(*SubSpan(data, opt, opt_size), Endian::kLittle);
    auto magic = o.U16();
    if (!magic || (*magic != kPe32Magic && *magic != kPe32PlusMagic)) {
      return Status::Corrupt("optional header at " + Hex(opt) + ": unknown magic " +
                             Hex(magic.value_or(0)));
    }
    bool plus = *magic == kPe32PlusMagic;
    obj.ptr_size = plus ? 8 : 4;
    uint64_t dd_off = plus ? 112 : 96;  // DataDirectory
    if (opt_size < dd_off) {
      return Status::Corrupt("optional header at " + Hex(opt) + ": size " + Hex(opt_size) +
                             " is smaller than the fixed " + (plus ? "PE32+" : "PE32") +
                             " fields (" + Hex(dd_off) + ")");
    }
    o.Seek(16);
    uint32_t entry_rva = *o.U32();
    o.Seek(plus ? 24 : 28);
    obj.image_base = *o.Word(obj.ptr_size);
    o.Seek(70);
    dll_characteristics = *o.U16();
    o.Seek(dd_off - 4);
    uint64_t ndirs = *o.U32();
    // Only the directories that fit in the optional header count.
    ndirs = std::min<uint64_t>(ndirs, (opt_size - dd_off) / 8);
    if (ndirs > kDataDirImport) {
      o.Seek(dd_off + kDataDirImport * 8);
      import_rva = *o.U32();
    }
    if (entry_rva != 0) {
      obj.entry = obj.image_base + entry_rva;
    }
  } else {
    obj.is_executable = false;  // a COFF object file
  }
  obj.linkage.pie = (dll_characteristics & kDllDynamicBase) != 0;
  obj.linkage.nx_stack = (dll_characteristics & kDllNxCompat) != 0;

  // COFF symbol table and the string table right after it.
  StringTable strtab;
  if (symtab_ptr != 0) {
    uint64_t syms_size = uint64_t{nsyms} * kSymbolSize;
    if (!RangeFits(symtab_ptr, syms_size, data.size())) {
      return Status::Corrupt("COFF symbol table at " + Hex(symtab_ptr) + " (" +
                             std::to_string(nsyms) + " symbols) runs past the end of the file (" +
                             Hex(data.size()) + " bytes)");
    }
    strtab.offset = symtab_ptr + syms_size;
    if (auto size_field = SubSpan(data, strtab.offset, 4)) {
      uint64_t str_size = LoadUint(size_field->data(), 4, Endian::kLittle);
      if (str_size < 4 || !RangeFits(strtab.offset, str_size, data.size())) {
        return Status::Corrupt("COFF string table at " + Hex(strtab.offset) + ": size " +
                               Hex(str_size) + " does not fit the file (" + Hex(data.size()) +
                               " bytes)");
      }
      strtab.bytes = *SubSpan(data, strtab.offset, str_size);
    }
    if (nsyms > 0) {
      obj.has_symtab = true;
      obj.symtab =
          SymtabLocation{symtab_ptr, nsyms, kSymbolSize, strtab.offset, strtab.bytes.size()};
    }
  }

  // Section table.
  uint64_t shdrs = opt + opt_size;
  if (!RangeFits(shdrs, nsections * kSectionHeaderSize, data.size())) {
    return Status::Corrupt("section table at " + Hex(shdrs) + " (" + std::to_string(nsections) +
                           " sections) runs past the end of the file (" + Hex(data.size()) +
                           " bytes)");
  }
  obj.sections.reserve(nsections);
  for (uint64_t i = 0; i < nsections; ++i) {
    uint64_t at = shdrs + i * kSectionHeaderSize;
    r.Seek(at);
    Bytes name_field = *r.Take(8);
    uint32_t vsize = *r.U32();
    uint32_t vaddr = *r.U32();
    uint32_t raw_size = *r.U32();
    uint32_t raw_ptr = *r.U32();
    r.Skip(12);  // relocations, line numbers, their counts
    uint32_t flags = *r.U32();

    Section s;
    s.name = ShortName(name_field);
    if (s.name.size() > 1 && s.name[0] == '/') {
      // "/123": the name is at decimal offset 123 of the string table (long names, which
      // Go uses for .debug_* / .zdebug_* sections).
      uint64_t off = 0;
      bool digits = true;
      for (char c : s.name.substr(1)) {
        if (c < '0' || c > '9') {
          digits = false;
        } else {
          off = off * 10 + static_cast<uint64_t>(c - '0');
        }
      }
      if (digits) {
        auto full = TableString(strtab, off);
        if (!full) {
          return Status::Corrupt("section " + std::to_string(i) + " at " + Hex(at) + ": name " +
                                 std::string(s.name) + " is outside the string table (" +
                                 Hex(strtab.bytes.size()) + " bytes at " + Hex(strtab.offset) +
                                 ")");
        }
        s.name = *full;
      }
    }
    s.addr = obj.image_base + vaddr;
    s.size = vsize != 0 ? vsize : raw_size;
    s.offset = raw_ptr;
    s.file_size = raw_ptr == 0 ? 0 : (vsize != 0 && vsize < raw_size ? vsize : raw_size);
    s.flags = flags;
    s.writable = (flags & kScnMemWrite) != 0;
    s.executable = (flags & (kScnMemExecute | kScnCntCode)) != 0;
    bool debug = IsDwarfName(s.name);
    s.alloc = !(debug && (flags & kScnMemDiscardable) != 0);
    s.compressed = StartsWith(s.name, ".zdebug_");
    if (s.file_size > 0 && !RangeFits(s.offset, s.file_size, data.size())) {
      return Status::Corrupt("section " + std::to_string(i) + " (" + std::string(s.name) + ") at " +
                             Hex(at) + ": raw data " + Hex(s.offset) + "+" + Hex(s.file_size) +
                             " runs past the end of the file (" + Hex(data.size()) + " bytes)");
    }
    if (debug) {
      obj.has_dwarf = true;
      obj.dwarf_sections.push_back(s.name);
    }
    if (s.name == "UPX0" || s.name == "UPX1") {
      obj.packer = "upx";
    }
    obj.sections.push_back(s);
  }

  if (import_rva != 0) {
    BK_RETURN_IF_ERROR(ReadImports(obj, import_rva));
  }
  obj.linkage.kind = obj.linkage.needed.empty() ? LinkKind::kStatic : LinkKind::kDynamic;

  if (auto upx = DetectUpx(data)) {
    obj.packer = "upx";
    obj.packer_detail = upx->Describe();
  }
  if (obj.packer == "upx" && obj.packer_detail.empty()) {
    obj.packer_detail = "UPX";
  }
  return obj;
}

Result<std::vector<Symbol>> ReadPeSymbols(const ObjectFile& obj) {
  std::vector<Symbol> out;
  if (!obj.symtab) {
    return out;
  }
  const SymtabLocation& loc = *obj.symtab;
  auto count_bytes = CheckedMul(loc.count, kSymbolSize);
  auto table = count_bytes ? SubSpan(obj.data, loc.offset, *count_bytes) : std::nullopt;
  if (!table) {
    return Status::Corrupt("COFF symbol table at " + Hex(loc.offset) +
                           " runs past the end of the file");
  }
  StringTable strtab{loc.str_offset,
                     SubSpan(obj.data, loc.str_offset, loc.str_size).value_or(Bytes{})};
  ByteReader r(*table, Endian::kLittle);
  for (uint64_t i = 0; i < loc.count; ++i) {
    r.Seek(i * kSymbolSize);
    Bytes name_field = *r.Take(8);
    uint32_t value = *r.U32();
    auto section = static_cast<int16_t>(*r.U16());
    uint16_t type = *r.U16();
    r.Skip(1);  // StorageClass
    uint8_t naux = *r.U8();
    uint64_t at = loc.offset + i * kSymbolSize;
    i += naux;  // auxiliary records follow the symbol they describe
    if (section <= 0 || static_cast<uint64_t>(section) > obj.sections.size()) {
      continue;
    }
    std::string_view name;
    if (LoadUint(name_field.data(), 4, Endian::kLittle) == 0) {
      uint64_t off = LoadUint(name_field.data() + 4, 4, Endian::kLittle);
      auto s = TableString(strtab, off);
      if (!s) {
        return Status::Corrupt("COFF symbol " + std::to_string(i - naux) + " at " + Hex(at) +
                               ": name offset " + Hex(off) + " is outside the string table (" +
                               Hex(strtab.bytes.size()) + " bytes)");
      }
      name = *s;
    } else {
      name = ShortName(name_field);
    }
    const Section& sec = obj.sections[static_cast<size_t>(section) - 1];
    Symbol sym;
    sym.name = name;
    sym.value = sec.addr + value;
    sym.is_text = sec.executable;
    sym.is_function = sec.executable || (type >> 4) == 2;  // DTYPE_FUNCTION
    out.push_back(sym);
  }
  return out;
}

}  // namespace barekit::exe
