// Mach-O reader: thin 32/64-bit files of either byte order and fat/universal files. The fields
// read here are described in doc/formats/macho.md.
#include "exe/macho.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "base/checked_math.h"
#include "exe/upx.h"

namespace barekit::exe {
namespace {

// Magic numbers as read big-endian from the first four bytes.
constexpr uint32_t kMagic32Be = 0xfeedface, kMagic64Be = 0xfeedfacf;
constexpr uint32_t kMagic32Le = 0xcefaedfe, kMagic64Le = 0xcffaedfe;
constexpr uint32_t kFatMagic = 0xcafebabe, kFatMagic64 = 0xcafebabf;
// More fat entries than this is a Java class file (its version sits where nfat_arch is).
constexpr uint32_t kMaxFatArch = 30;

// cputype
constexpr uint32_t kCpuArch64 = 0x01000000;
constexpr uint32_t kCpuX86 = 7, kCpuArm = 12, kCpuPpc = 18;

// filetype
constexpr uint32_t kMhExecute = 2, kMhDylib = 6, kMhDylinker = 7, kMhBundle = 8;
// header flags
constexpr uint32_t kMhAllowStackExecution = 0x20000, kMhPie = 0x200000;

// load commands (LC_REQ_DYLD is part of the value)
constexpr uint32_t kLcSegment = 0x1, kLcSymtab = 0x2, kLcUnixThread = 0x5, kLcLoadDylib = 0xc,
                   kLcLoadDylinker = 0xe, kLcLoadWeakDylib = 0x80000018, kLcSegment64 = 0x19,
                   kLcRpath = 0x8000001c, kLcReexportDylib = 0x8000001f, kLcLazyLoadDylib = 0x20,
                   kLcVersionMinIphoneos = 0x25, kLcLoadUpwardDylib = 0x80000023,
                   kLcMain = 0x80000028, kLcBuildVersion = 0x32;
// LC_BUILD_VERSION platforms that Go calls GOOS=ios
constexpr uint32_t kPlatformIos = 2, kPlatformIosSimulator = 7;

// section flags
constexpr uint32_t kSectionTypeMask = 0xff;
constexpr uint32_t kSZerofill = 0x1, kSGbZerofill = 0xc, kSThreadLocalZerofill = 0x12;
constexpr uint32_t kSAttrPureInstructions = 0x80000000, kSAttrSomeInstructions = 0x400,
                   kSAttrDebug = 0x02000000;
// segment protections
constexpr uint32_t kVmProtRead = 1, kVmProtWrite = 2, kVmProtExecute = 4;

// nlist n_type
constexpr uint8_t kNStab = 0xe0, kNTypeMask = 0x0e, kNSect = 0x0e;

constexpr size_t kMaxPathName = 4096;

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// A fixed 16-byte name field, up to its first NUL.
std::string_view Name16(Bytes field) {
  std::string_view s = AsStringView(field);
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

std::string_view CpuArch(uint32_t cpu) {
  switch (cpu) {
    case kCpuX86:
      return "386";
    case kCpuX86 | kCpuArch64:
      return "amd64";
    case kCpuArm:
      return "arm";
    case kCpuArm | kCpuArch64:
      return "arm64";
    case kCpuPpc:
      return "ppc";
    case kCpuPpc | kCpuArch64:
      return "ppc64";
  }
  return "";
}

std::string CpuName(uint32_t cpu) {
  switch (cpu) {
    case kCpuX86:
      return "i386";
    case kCpuX86 | kCpuArch64:
      return "x86_64";
    case kCpuArm:
      return "arm";
    case kCpuArm | kCpuArch64:
      return "arm64";
    case kCpuArm | 0x02000000:
      return "arm64_32";
    case kCpuPpc:
      return "ppc";
    case kCpuPpc | kCpuArch64:
      return "ppc64";
  }
  return "cputype " + Hex(cpu);
}

// An lc_str: a string at an offset from the start of the load command, inside it.
std::optional<std::string_view> LcString(Bytes cmd, uint64_t min_off, uint32_t off) {
  if (off < min_off || off >= cmd.size()) {
    return std::nullopt;
  }
  Bytes rest = cmd.subspan(off);
  std::string_view s = AsStringView(rest.first(std::min(rest.size(), kMaxPathName)));
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

class ThinReader {
 public:
  explicit ThinReader(Bytes data) : data_(data) {}

  Result<ObjectFile> Read() {
    uint32_t magic = static_cast<uint32_t>(LoadUint(data_.data(), 4, Endian::kBig));
    bool is64 = magic == kMagic64Be || magic == kMagic64Le;
    Endian e = (magic == kMagic32Be || magic == kMagic64Be) ? Endian::kBig : Endian::kLittle;
    uint64_t header_size = is64 ? 32 : 28;
    if (data_.size() < header_size) {
      return Status::Corrupt("Mach-O header truncated: " + Hex(data_.size()) + " bytes, need " +
                             Hex(header_size));
    }
    ByteReader r(data_, e);
    r.Skip(4);
    uint32_t cputype = *r.U32();
    r.Skip(4);  // cpusubtype
    uint32_t filetype = *r.U32();
    uint32_t ncmds = *r.U32();
    uint32_t sizeofcmds = *r.U32();
    uint32_t flags = *r.U32();

    obj_.format = Format::kMachO;
    obj_.os = "darwin";
    obj_.arch = CpuArch(cputype);
    obj_.machine = CpuName(cputype);
    obj_.endian = e;
    obj_.ptr_size = is64 ? 8 : 4;
    obj_.is_executable = filetype == kMhExecute || filetype == kMhDylib ||
                         filetype == kMhDylinker || filetype == kMhBundle;
    obj_.data = data_;
    obj_.linkage.pie = (flags & kMhPie) != 0;
    obj_.linkage.nx_stack = (flags & kMhAllowStackExecution) == 0;
    is64_ = is64;

    if (!RangeFits(header_size, sizeofcmds, data_.size())) {
      return Status::Corrupt("Mach-O header: load commands (sizeofcmds " + Hex(sizeofcmds) +
                             " at " + Hex(header_size) + ") run past the end of the file (" +
                             Hex(data_.size()) + " bytes)");
    }
    if (uint64_t{ncmds} * 8 > sizeofcmds) {
      return Status::Corrupt("Mach-O header: " + std::to_string(ncmds) +
                             " load commands cannot fit in sizeofcmds " + Hex(sizeofcmds));
    }
    Bytes cmds = *SubSpan(data_, header_size, sizeofcmds);
    uint64_t pos = 0;
    for (uint32_t i = 0; i < ncmds; ++i) {
      uint64_t at = header_size + pos;
      std::string where = "load command " + std::to_string(i) + " at " + Hex(at);
      if (cmds.size() - pos < 8) {
        return Status::Corrupt(where + ": runs past sizeofcmds " + Hex(sizeofcmds));
      }
      uint32_t cmd = static_cast<uint32_t>(LoadUint(cmds.data() + pos, 4, e));
      uint32_t cmdsize = static_cast<uint32_t>(LoadUint(cmds.data() + pos + 4, 4, e));
      if (cmdsize < 8 || cmdsize % 4 != 0) {
        return Status::Corrupt(
            where + ": cmdsize " + std::to_string(cmdsize) +
            (cmdsize == 0 ? " (a zero-size command)" : " is not a multiple of 4 of at least 8"));
      }
      if (cmdsize > cmds.size() - pos) {
        return Status::Corrupt(where + ": cmdsize " + Hex(cmdsize) + " runs past sizeofcmds " +
                               Hex(sizeofcmds));
      }
      Bytes body = cmds.subspan(pos, cmdsize);
      BK_RETURN_IF_ERROR(LoadCommand(cmd, body, at).WithContext(where));
      pos += cmdsize;
    }

    if (!obj_.linkage.needed.empty()) {
      obj_.linkage.kind = LinkKind::kDynamic;
    }
    if (main_entry_) {
      obj_.entry = text_vmaddr_ + *main_entry_;
    }
    if (auto upx = DetectUpx(data_)) {
      obj_.packer = "upx";
      obj_.packer_detail = upx->Describe();
    }
    return std::move(obj_);
  }

 private:
  Status LoadCommand(uint32_t cmd, Bytes body, uint64_t at) {
    ByteReader r(body, obj_.endian);
    r.Skip(8);
    switch (cmd) {
      case kLcSegment:
      case kLcSegment64:
        return SegmentCommand(cmd == kLcSegment64, body, at);
      case kLcSymtab: {
        if (body.size() < 24) {
          return Status::Corrupt("LC_SYMTAB shorter than 24 bytes");
        }
        uint64_t symoff = *r.U32(), nsyms = *r.U32(), stroff = *r.U32(), strsize = *r.U32();
        uint64_t entry = is64_ ? 16 : 12;
        if (!RangeFits(symoff, nsyms * entry, data_.size())) {
          return Status::Corrupt("LC_SYMTAB: " + std::to_string(nsyms) + " symbols at " +
                                 Hex(symoff) + " run past the end of the file (" +
                                 Hex(data_.size()) + " bytes)");
        }
        if (!RangeFits(stroff, strsize, data_.size())) {
          return Status::Corrupt("LC_SYMTAB: string table " + Hex(stroff) + "+" + Hex(strsize) +
                                 " runs past the end of the file (" + Hex(data_.size()) +
                                 " bytes)");
        }
        obj_.symtab = SymtabLocation{symoff, nsyms, entry, stroff, strsize};
        // Present means it defines something: Go's darwin binaries always carry LC_SYMTAB for
        // their dyld imports, so undefined entries alone do not count.
        for (uint64_t k = 0; k < nsyms && !obj_.has_symtab; ++k) {
          auto type = static_cast<uint8_t>(data_[symoff + k * entry + 4]);
          if ((type & kNStab) == 0 && (type & kNTypeMask) == kNSect) {
            obj_.has_symtab = true;
          }
        }
        return Status::Ok();
      }
      case kLcLoadDylib:
      case kLcLoadWeakDylib:
      case kLcReexportDylib:
      case kLcLazyLoadDylib:
      case kLcLoadUpwardDylib: {
        auto off = r.U32();
        auto name = off ? LcString(body, 24, *off) : std::nullopt;
        if (!name) {
          return Status::Corrupt("dylib name offset " + Hex(off.value_or(0)) +
                                 " is outside the command (" + Hex(body.size()) + " bytes)");
        }
        obj_.linkage.needed.emplace_back(*name);
        return Status::Ok();
      }
      case kLcLoadDylinker:
      case kLcRpath: {
        auto off = r.U32();
        auto name = off ? LcString(body, 12, *off) : std::nullopt;
        if (!name) {
          return Status::Corrupt("path offset " + Hex(off.value_or(0)) +
                                 " is outside the command (" + Hex(body.size()) + " bytes)");
        }
        if (cmd == kLcRpath) {
          obj_.linkage.rpath.emplace_back(*name);
        } else {
          obj_.linkage.interpreter = std::string(*name);
        }
        return Status::Ok();
      }
      case kLcMain: {
        auto entryoff = r.U64();
        if (!entryoff) {
          return Status::Corrupt("LC_MAIN shorter than 16 bytes");
        }
        main_entry_ = *entryoff;
        return Status::Ok();
      }
      case kLcUnixThread:
        UnixThread(r);
        return Status::Ok();
      case kLcBuildVersion: {
        auto platform = r.U32();
        if (platform && (*platform == kPlatformIos || *platform == kPlatformIosSimulator)) {
          obj_.os = "ios";
        }
        return Status::Ok();
      }
      case kLcVersionMinIphoneos:
        obj_.os = "ios";
        return Status::Ok();
      default:
        return Status::Ok();
    }
  }

  // The entry point of old-style executables: the pc register of the initial thread state.
  void UnixThread(ByteReader& r) {
    auto flavor = r.U32();
    auto count = r.U32();
    if (!flavor || !count) {
      return;
    }
    uint64_t index = 0;  // of the pc register, in words of the thread state
    int word = 8;
    if (obj_.arch == "amd64") {
      index = 16;  // x86_thread_state64: rip
    } else if (obj_.arch == "arm64") {
      index = 32;  // arm_thread_state64: pc
    } else if (obj_.arch == "386") {
      index = 10, word = 4;  // i386_thread_state: eip
    } else {
      return;
    }
    if (!r.Skip(index * static_cast<uint64_t>(word))) {
      return;
    }
    if (auto pc = r.ReadUint(static_cast<size_t>(word))) {
      obj_.entry = *pc;
    }
  }

  Status SegmentCommand(bool is64, Bytes body, uint64_t at) {
    uint64_t hdr = is64 ? 72 : 56, sect_size = is64 ? 80 : 68;
    const char* what = is64 ? "LC_SEGMENT_64" : "LC_SEGMENT";
    if (body.size() < hdr) {
      return Status::Corrupt(std::string(what) + " shorter than " + std::to_string(hdr) + " bytes");
    }
    ByteReader r(body, obj_.endian);
    r.Skip(8);
    Segment g;
    g.name = Name16(*r.Take(16));
    int w = is64 ? 8 : 4;
    g.vaddr = *r.Word(w);
    g.memsz = *r.Word(w);
    g.offset = *r.Word(w);
    g.filesz = *r.Word(w);
    r.Skip(4);  // maxprot
    uint32_t initprot = *r.U32();
    uint32_t nsects = *r.U32();
    g.readable = (initprot & kVmProtRead) != 0;
    g.writable = (initprot & kVmProtWrite) != 0;
    g.executable = (initprot & kVmProtExecute) != 0;
    if (g.filesz > 0 && !RangeFits(g.offset, g.filesz, data_.size())) {
      return Status::Corrupt("segment " + std::string(g.name) + ": file range " + Hex(g.offset) +
                             "+" + Hex(g.filesz) + " runs past the end of the file (" +
                             Hex(data_.size()) + " bytes)");
    }
    if (nsects > (body.size() - hdr) / sect_size) {
      return Status::Corrupt("segment " + std::string(g.name) + ": " + std::to_string(nsects) +
                             " sections do not fit in cmdsize " + Hex(body.size()));
    }
    if (g.name == "__TEXT") {
      text_vmaddr_ = g.vaddr;
    }
    bool dwarf_segment = g.name == "__DWARF";
    if (dwarf_segment) {
      obj_.has_dwarf = true;
    }
    obj_.segments.push_back(g);

    r.Seek(hdr);
    for (uint32_t k = 0; k < nsects; ++k) {
      uint64_t sat = at + hdr + k * sect_size;
      Section s;
      s.name = Name16(*r.Take(16));
      s.segment = Name16(*r.Take(16));
      s.addr = *r.Word(w);
      s.size = *r.Word(w);
      s.offset = *r.U32();
      r.Skip(12);  // align, reloff, nreloc
      s.flags = *r.U32();
      r.Skip(is64 ? 12 : 8);  // reserved1..3
      uint32_t type = static_cast<uint32_t>(s.flags) & kSectionTypeMask;
      bool zerofill = type == kSZerofill || type == kSGbZerofill || type == kSThreadLocalZerofill;
      s.file_size = zerofill ? 0 : s.size;
      if (zerofill) {
        s.offset = 0;
      }
      s.writable = g.writable;
      // Code is marked per section; __TEXT also holds read-only data such as __rodata.
      s.executable = (s.flags & (kSAttrPureInstructions | kSAttrSomeInstructions)) != 0;
      bool debug = dwarf_segment || (s.flags & kSAttrDebug) != 0 ||
                   StartsWith(s.name, "__debug_") || StartsWith(s.name, "__zdebug_");
      s.alloc = !debug;
      s.compressed = StartsWith(s.name, "__zdebug_");
      if (s.file_size > 0 && !RangeFits(s.offset, s.file_size, data_.size())) {
        return Status::Corrupt("section " + std::string(s.segment) + "," + std::string(s.name) +
                               " at " + Hex(sat) + ": file range " + Hex(s.offset) + "+" +
                               Hex(s.file_size) + " runs past the end of the file (" +
                               Hex(data_.size()) + " bytes)");
      }
      if (debug && (StartsWith(s.name, "__debug_") || StartsWith(s.name, "__zdebug_"))) {
        obj_.has_dwarf = true;
        obj_.dwarf_sections.push_back(s.name);
      }
      obj_.sections.push_back(s);
    }
    return Status::Ok();
  }

  Bytes data_;
  ObjectFile obj_;
  bool is64_ = true;
  uint64_t text_vmaddr_ = 0;
  std::optional<uint64_t> main_entry_;
};

bool IsThinMagic(uint32_t m) {
  return m == kMagic32Be || m == kMagic64Be || m == kMagic32Le || m == kMagic64Le;
}

Result<std::vector<ObjectFile>> ReadFat(Bytes data, bool fat64) {
  ByteReader r(data, Endian::kBig);
  r.Skip(4);
  uint32_t nfat = *r.U32();
  uint64_t entry = fat64 ? 32 : 20;
  if (!RangeFits(8, nfat * entry, data.size())) {
    return Status::Corrupt("fat header: " + std::to_string(nfat) +
                           " architectures run past the end of the file (" + Hex(data.size()) +
                           " bytes)");
  }
  std::vector<ObjectFile> out;
  for (uint32_t i = 0; i < nfat; ++i) {
    uint64_t at = 8 + i * entry;
    r.Seek(at);
    r.Skip(8);  // cputype, cpusubtype: the slice's own header says the same
    uint64_t offset = fat64 ? *r.U64() : *r.U32();
    uint64_t size = fat64 ? *r.U64() : *r.U32();
    std::string where = "fat_arch " + std::to_string(i) + " at " + Hex(at);
    auto slice = SubSpan(data, offset, size);
    if (!slice) {
      return Status::Corrupt(where + ": slice " + Hex(offset) + "+" + Hex(size) +
                             " runs past the end of the file (" + Hex(data.size()) + " bytes)");
    }
    if (slice->size() < 4 ||
        !IsThinMagic(static_cast<uint32_t>(LoadUint(slice->data(), 4, Endian::kBig)))) {
      return Status::Corrupt(where + ": slice at " + Hex(offset) + " is not a thin Mach-O file");
    }
    auto obj = ThinReader(*slice).Read();
    if (!obj.ok()) {
      return obj.status().WithContext("slice at " + Hex(offset));
    }
    obj->slice_offset = offset;
    out.push_back(std::move(obj).value());
  }
  return out;
}

}  // namespace

Result<std::vector<ObjectFile>> TryOpenMachO(Bytes data) {
  if (data.size() < 4) {
    return Status::NotMine("too short for Mach-O");
  }
  auto magic = static_cast<uint32_t>(LoadUint(data.data(), 4, Endian::kBig));
  if (IsThinMagic(magic)) {
    BK_ASSIGN_OR_RETURN(ObjectFile obj, ThinReader(data).Read());
    std::vector<ObjectFile> out;
    out.push_back(std::move(obj));
    return out;
  }
  if (magic != kFatMagic && magic != kFatMagic64) {
    return Status::NotMine("no Mach-O magic");
  }
  if (data.size() < 8) {
    return Status::Corrupt("fat header truncated: " + Hex(data.size()) + " bytes");
  }
  auto nfat = static_cast<uint32_t>(LoadUint(data.data() + 4, 4, Endian::kBig));
  // 0xcafebabe also starts Java class files, whose version (>= 45) sits where nfat_arch is.
  if (nfat == 0 || nfat >= kMaxFatArch) {
    return Status::NotMine("0xcafebabe with nfat_arch " + std::to_string(nfat) +
                           ": a Java class file, not a fat Mach-O");
  }
  return ReadFat(data, magic == kFatMagic64);
}

Result<std::vector<Symbol>> ReadMachOSymbols(const ObjectFile& obj) {
  std::vector<Symbol> out;
  if (!obj.symtab) {
    return out;
  }
  const SymtabLocation& loc = *obj.symtab;
  uint64_t entry = loc.entry_size;
  if (entry != 12 && entry != 16) {
    return Status::Corrupt("nlist entry size " + Hex(entry));
  }
  auto bytes = CheckedMul(loc.count, entry);
  auto table = bytes ? SubSpan(obj.data, loc.offset, *bytes) : std::nullopt;
  auto strtab = SubSpan(obj.data, loc.str_offset, loc.str_size);
  if (!table || !strtab) {
    return Status::Corrupt("LC_SYMTAB at " + Hex(loc.offset) + " runs past the end of the file");
  }
  ByteReader r(*table, obj.endian);
  for (uint64_t i = 0; i < loc.count; ++i) {
    uint32_t strx = *r.U32();
    uint8_t type = *r.U8();
    uint8_t sect = *r.U8();
    r.Skip(2);  // n_desc
    uint64_t value = *r.Word(entry == 16 ? 8 : 4);
    if ((type & kNStab) != 0 || (type & kNTypeMask) != kNSect || sect == 0) {
      continue;
    }
    auto name = CStringAt(*strtab, strx);
    if (!name) {
      return Status::Corrupt("nlist " + std::to_string(i) + " at " + Hex(loc.offset + i * entry) +
                             ": name offset " + Hex(strx) + " is outside the string table (" +
                             Hex(loc.str_size) + " bytes)");
    }
    Symbol sym;
    sym.name = *name;  // raw: Go's Mach-O symbols carry the C prefix '_' ("_main.main")
    sym.value = value;
    if (sect <= obj.sections.size()) {
      sym.is_text = obj.sections[sect - 1].executable;
      sym.is_function = sym.is_text;
    }
    out.push_back(sym);
  }
  return out;
}

}  // namespace barekit::exe
