#include "exe/elf.h"

#include <charconv>
#include <cstring>

#include "base/checked_math.h"
#include "exe/elf_internal.h"
#include "exe/upx.h"

namespace barekit::exe {
namespace elf {

std::string Hex(uint64_t v) {
  char buf[2 + 16];
  buf[0] = '0';
  buf[1] = 'x';
  auto r = std::to_chars(buf + 2, buf + sizeof buf, v, 16);
  return std::string(buf, r.ptr);
}

uint64_t Field(Bytes rec, size_t off, size_t n, Endian e) {
  if (off > rec.size() || n > rec.size() - off) return 0;  // callers size-check records first
  return LoadUint(rec.data() + off, n, e);
}

namespace {

constexpr size_t kIdentSize = 16;
constexpr size_t kEhdr32Size = 52, kEhdr64Size = 64;
constexpr size_t kPhdr32Size = 32, kPhdr64Size = 56;
constexpr size_t kShdr32Size = 40, kShdr64Size = 64;
constexpr uint16_t kPnXnum = 0xffff;
constexpr uint16_t kShnXindex = 0xffff;

// EI_OSABI values that name an OS.
constexpr uint8_t kOsabiNetbsd = 2, kOsabiSolaris = 6, kOsabiFreebsd = 9, kOsabiOpenbsd = 12;

struct MachineName {
  uint16_t em;
  const char* name;
};
constexpr MachineName kMachines[] = {
    {0, "EM_NONE"},         {2, "EM_SPARC"},        {3, "EM_386"},         {8, "EM_MIPS"},
    {10, "EM_MIPS_RS3_LE"}, {18, "EM_SPARC32PLUS"}, {20, "EM_PPC"},        {21, "EM_PPC64"},
    {22, "EM_S390"},        {40, "EM_ARM"},         {43, "EM_SPARCV9"},    {62, "EM_X86_64"},
    {183, "EM_AARCH64"},    {243, "EM_RISCV"},      {258, "EM_LOONGARCH"},
};

std::string MachineString(uint16_t em) {
  for (const MachineName& m : kMachines) {
    if (m.em == em) return m.name;
  }
  return "EM_" + Hex(em);
}

// Go's GOARCH for a machine; the 32-bit and big-endian variants that Go only reserves get the
// names Go reserves for them (armbe, arm64be, riscv, s390, mips64p32, amd64p32, ppc, sparc).
std::string_view GoArch(const Header& h) {
  const bool le = h.endian == Endian::kLittle;
  constexpr uint32_t kEfMipsAbi2 = 0x20;  // n32: 32-bit pointers on a 64-bit MIPS
  switch (h.machine) {
    case 3:
      return h.is64 ? "" : "386";
    case 62:
      return h.is64 ? "amd64" : "amd64p32";
    case 40:
      return h.is64 ? "" : (le ? "arm" : "armbe");
    case 183:
      return h.is64 ? (le ? "arm64" : "arm64be") : "";
    case 243:
      return h.is64 ? "riscv64" : "riscv";
    case 20:
      return !h.is64 && !le ? "ppc" : "";
    case 21:
      return h.is64 ? (le ? "ppc64le" : "ppc64") : "";
    case 22:
      return h.is64 ? "s390x" : "s390";
    case 8:
      if (h.is64) return le ? "mips64le" : "mips64";
      if (h.flags & kEfMipsAbi2) return le ? "mips64p32le" : "mips64p32";
      return le ? "mipsle" : "mips";
    case 10:
      return "mipsle";
    case 258:
      return h.is64 ? "loong64" : "";
    case 2:
    case 18:
      return "sparc";
    case 43:
      return "sparc64";
    default:
      return "";
  }
}

Status ParseHeader(Bytes data, Header& h) {
  const auto* d = reinterpret_cast<const unsigned char*>(data.data());
  if (data.size() < kIdentSize) {
    return Status::Corrupt("ELF identification truncated: file is " + Hex(data.size()) +
                           " bytes, need 0x10");
  }
  switch (d[4]) {
    case 1:
      h.is64 = false;
      break;
    case 2:
      h.is64 = true;
      break;
    default:
      return Status::Corrupt("unknown ELF class " + std::to_string(d[4]) + " at 0x4");
  }
  switch (d[5]) {
    case 1:
      h.endian = Endian::kLittle;
      break;
    case 2:
      h.endian = Endian::kBig;
      break;
    default:
      return Status::Corrupt("unknown ELF data encoding " + std::to_string(d[5]) + " at 0x5");
  }
  h.osabi = d[7];
  const size_t ehsize = h.is64 ? kEhdr64Size : kEhdr32Size;
  if (data.size() < ehsize) {
    return Status::Corrupt("ELF header runs past end of file (size " + Hex(data.size()) +
                           ", header needs " + Hex(ehsize) + ")");
  }
  Bytes eh = data.first(ehsize);
  const Endian e = h.endian;
  h.type = static_cast<uint16_t>(Field(eh, 16, 2, e));
  h.machine = static_cast<uint16_t>(Field(eh, 18, 2, e));
  const size_t w = h.is64 ? 8 : 4;
  h.entry = Field(eh, 24, w, e);
  h.phoff = Field(eh, 24 + w, w, e);
  h.shoff = Field(eh, 24 + 2 * w, w, e);
  const size_t rest = 24 + 3 * w;  // e_flags onwards
  h.flags = static_cast<uint32_t>(Field(eh, rest, 4, e));
  h.phentsize = Field(eh, rest + 6, 2, e);
  h.phnum = Field(eh, rest + 8, 2, e);
  h.shentsize = Field(eh, rest + 10, 2, e);
  h.shnum = Field(eh, rest + 12, 2, e);
  h.shstrndx = Field(eh, rest + 14, 2, e);
  return Status::Ok();
}

// Section header 0 extends three header fields when they overflow (gABI "Extended Section
// Numbering"); resolve them, then check both header tables lie inside the file.
Status ResolveTables(Bytes data, Header& h) {
  const uint64_t size = data.size();
  const uint64_t min_sh = h.is64 ? kShdr64Size : kShdr32Size;
  const uint64_t min_ph = h.is64 ? kPhdr64Size : kPhdr32Size;
  const size_t w = h.is64 ? 8 : 4;
  const uint64_t ehsize = h.is64 ? kEhdr64Size : kEhdr32Size;  // the last fields end here
  if (h.shoff == 0) {
    h.shnum = 0;
    h.shstrndx = 0;
  } else {
    if (h.shentsize < min_sh) {
      return Status::Corrupt("section header entry size " + Hex(h.shentsize) + " (e_shentsize at " +
                             Hex(ehsize - 4) + ") is smaller than " + Hex(min_sh));
    }
    if (!RangeFits(h.shoff, min_sh, size)) {
      return Status::Corrupt("section header table at " + Hex(h.shoff) +
                             " runs past end of file (size " + Hex(size) + ")");
    }
    Bytes sh0 = data.subspan(h.shoff, min_sh);
    if (h.shnum == 0) h.shnum = Field(sh0, h.is64 ? 32 : 20, w, h.endian);
    if (h.shstrndx == kShnXindex) h.shstrndx = Field(sh0, h.is64 ? 40 : 24, 4, h.endian);
    if (h.phnum == kPnXnum) h.phnum = Field(sh0, h.is64 ? 44 : 28, 4, h.endian);
    auto bytes = CheckedMul(h.shnum, h.shentsize);
    if (!bytes || !RangeFits(h.shoff, *bytes, size)) {
      return Status::Corrupt("section header table at " + Hex(h.shoff) + " (" +
                             std::to_string(h.shnum) + " entries of " + Hex(h.shentsize) +
                             " bytes) runs past end of file (size " + Hex(size) + ")");
    }
    if (h.shstrndx != 0 && h.shstrndx >= h.shnum) {
      return Status::Corrupt("section name table index " + std::to_string(h.shstrndx) +
                             " (e_shstrndx at " + Hex(ehsize - 2) +
                             ") is not below the section count " + std::to_string(h.shnum));
    }
  }
  if (h.phnum == kPnXnum && h.shoff == 0) {
    return Status::Corrupt("program header count 0xffff needs section header 0, but there is none");
  }
  if (h.phoff == 0) h.phnum = 0;
  if (h.phnum > 0) {
    if (h.phentsize < min_ph) {
      return Status::Corrupt("program header entry size " + Hex(h.phentsize) + " (e_phentsize at " +
                             Hex(ehsize - 10) + ") is smaller than " + Hex(min_ph));
    }
    auto bytes = CheckedMul(h.phnum, h.phentsize);
    if (!bytes || !RangeFits(h.phoff, *bytes, size)) {
      return Status::Corrupt("program header table at " + Hex(h.phoff) + " (" +
                             std::to_string(h.phnum) + " entries of " + Hex(h.phentsize) +
                             " bytes) runs past end of file (size " + Hex(size) + ")");
    }
  }
  return Status::Ok();
}

std::string_view SegmentTypeName(uint32_t t) {
  switch (t) {
    case kPtLoad:
      return "PT_LOAD";
    case kPtDynamic:
      return "PT_DYNAMIC";
    case kPtInterp:
      return "PT_INTERP";
    case kPtNote:
      return "PT_NOTE";
    default:
      return "";
  }
}

Status ParseSegments(Bytes data, const Header& h, ObjectFile& obj) {
  obj.segments.reserve(h.phnum);
  bool have_load = false;
  for (uint64_t i = 0; i < h.phnum; ++i) {
    const uint64_t at = h.phoff + i * h.phentsize;
    Bytes rec = data.subspan(at, h.phentsize);
    const Endian e = h.endian;
    Segment g;
    g.type = static_cast<uint32_t>(Field(rec, 0, 4, e));
    uint32_t flags;
    if (h.is64) {
      flags = static_cast<uint32_t>(Field(rec, 4, 4, e));
      g.offset = Field(rec, 8, 8, e);
      g.vaddr = Field(rec, 16, 8, e);
      g.filesz = Field(rec, 32, 8, e);
      g.memsz = Field(rec, 40, 8, e);
    } else {
      g.offset = Field(rec, 4, 4, e);
      g.vaddr = Field(rec, 8, 4, e);
      g.filesz = Field(rec, 16, 4, e);
      g.memsz = Field(rec, 20, 4, e);
      flags = static_cast<uint32_t>(Field(rec, 24, 4, e));
    }
    g.readable = flags & kPfR;
    g.writable = flags & kPfW;
    g.executable = flags & kPfX;
    if (g.filesz > 0 && !RangeFits(g.offset, g.filesz, data.size())) {
      std::string_view tn = SegmentTypeName(g.type);
      return Status::Corrupt("program header " + std::to_string(i) + " at " + Hex(at) + " (" +
                             (tn.empty() ? "type " + Hex(g.type) : std::string(tn)) +
                             "): file bytes " + Hex(g.offset) + "+" + Hex(g.filesz) +
                             " run past end of file (size " + Hex(data.size()) + ")");
    }
    if (g.type == kPtLoad && (!have_load || g.vaddr < obj.image_base)) {
      obj.image_base = g.vaddr;
      have_load = true;
    }
    obj.segments.push_back(g);
  }
  return Status::Ok();
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

Status ParseSections(Bytes data, const Header& h, ObjectFile& obj, std::vector<RawSection>& raw) {
  if (h.shnum == 0) return Status::Ok();
  const Endian e = h.endian;
  const size_t w = h.is64 ? 8 : 4;
  // Field offsets of Elf32_Shdr / Elf64_Shdr.
  const size_t o_flags = 8, o_addr = 8 + w, o_offset = 8 + 2 * w, o_size = 8 + 3 * w,
               o_link = 8 + 4 * w, o_info = o_link + 4, o_entsize = o_info + 4 + w;

  Bytes names;  // the section name string table
  if (h.shstrndx != 0) {
    const uint64_t at = h.shoff + h.shstrndx * h.shentsize;
    Bytes rec = data.subspan(at, h.shentsize);
    const uint64_t off = Field(rec, o_offset, w, e), sz = Field(rec, o_size, w, e);
    auto span = SubSpan(data, off, sz);
    if (!span) {
      return Status::Corrupt("section name table (section " + std::to_string(h.shstrndx) +
                             ", header at " + Hex(at) + ") at " + Hex(off) + "+" + Hex(sz) +
                             " runs past end of file (size " + Hex(data.size()) + ")");
    }
    names = *span;
  }

  obj.sections.reserve(h.shnum);
  raw.reserve(h.shnum);
  for (uint64_t i = 0; i < h.shnum; ++i) {
    const uint64_t at = h.shoff + i * h.shentsize;
    Bytes rec = data.subspan(at, h.shentsize);
    Section s;
    RawSection r;
    r.header_offset = at;
    s.type = static_cast<uint32_t>(Field(rec, 4, 4, e));
    if (s.type == kShtNull) {  // header 0 holds extended counts, not a section
      obj.sections.push_back(s);
      raw.push_back(r);
      continue;
    }
    const uint64_t name_off = Field(rec, 0, 4, e);
    if (!names.empty() || name_off != 0) {
      auto name = CStringAt(names, name_off);
      if (!name) {
        return Status::Corrupt(
            "section " + std::to_string(i) + " header at " + Hex(at) + ": name offset " +
            Hex(name_off) + " is outside the section name table (size " + Hex(names.size()) + ")");
      }
      s.name = *name;
    }
    s.flags = Field(rec, o_flags, w, e);
    s.addr = Field(rec, o_addr, w, e);
    s.offset = Field(rec, o_offset, w, e);
    s.size = Field(rec, o_size, w, e);
    s.file_size = s.type == kShtNobits ? 0 : s.size;
    s.alloc = s.flags & kShfAlloc;
    s.writable = s.flags & kShfWrite;
    s.executable = s.flags & kShfExecinstr;
    s.compressed = (s.flags & kShfCompressed) || StartsWith(s.name, ".zdebug_");
    r.link = static_cast<uint32_t>(Field(rec, o_link, 4, e));
    r.info = static_cast<uint32_t>(Field(rec, o_info, 4, e));
    r.entsize = Field(rec, o_entsize, w, e);
    if (s.file_size > 0 && !RangeFits(s.offset, s.file_size, data.size())) {
      return Status::Corrupt("section " + std::to_string(i) + " (" + std::string(s.name) +
                             ", header at " + Hex(at) + ") at " + Hex(s.offset) + "+" +
                             Hex(s.file_size) + " runs past end of file (size " + Hex(data.size()) +
                             ")");
    }
    obj.sections.push_back(s);
    raw.push_back(r);
  }
  return Status::Ok();
}

// Walks the notes of one SHT_NOTE section or PT_NOTE segment. Each note is namesz, descsz, type
// (4 bytes each), then the name and the descriptor, each padded to `align` (4, or 8 for notes
// in 8-aligned 64-bit segments such as .note.gnu.property).
template <typename Fn>
void ForEachNote(Bytes region, Endian e, uint64_t align, Fn&& fn) {
  if (align != 8) align = 4;
  auto pad = [align](uint64_t n) { return (n + align - 1) & ~(align - 1); };
  ByteReader r(region, e);
  while (r.remaining() >= 12) {
    uint32_t namesz = *r.U32(), descsz = *r.U32(), type = *r.U32();
    auto name = r.Take(namesz);
    if (!name || !r.Skip(pad(namesz) - namesz)) return;
    auto desc = r.Take(descsz);
    if (!desc) return;
    std::string_view n = AsStringView(*name);
    while (!n.empty() && n.back() == '\0') n.remove_suffix(1);  // Go pads "Go" to 4 bytes
    fn(n, type, *desc);
    if (!r.Skip(std::min<uint64_t>(pad(descsz) - descsz, r.remaining()))) return;
  }
}

struct NoteFacts {
  std::string_view go_build_id;
  std::string_view os;
};

void ScanNote(std::string_view name, uint32_t type, Bytes desc, Endian e, NoteFacts& f) {
  constexpr uint32_t kNtGoBuildId = 4, kNtAbiTag = 1;
  if (name == "Go" && type == kNtGoBuildId && f.go_build_id.empty()) {
    f.go_build_id = AsStringView(desc);
    return;
  }
  if (type != kNtAbiTag || !f.os.empty()) return;
  if (name == "FreeBSD")
    f.os = "freebsd";
  else if (name == "NetBSD")
    f.os = "netbsd";
  else if (name == "OpenBSD")
    f.os = "openbsd";
  else if (name == "DragonFly")
    f.os = "dragonfly";
  else if (name == "Android")
    f.os = "android";
  else if (name == "GNU" && desc.size() >= 4) {
    // .note.ABI-tag: the first word names the kernel.
    switch (LoadUint(desc.data(), 4, e)) {
      case 0:
        f.os = "linux";
        break;
      case 1:
        f.os = "hurd";
        break;
      case 2:
        f.os = "solaris";
        break;
      case 3:
        f.os = "freebsd";
        break;
      default:
        break;
    }
  }
}

NoteFacts ScanNotes(const ObjectFile& obj, const Header& h) {
  NoteFacts f;
  bool any_note_section = false;
  for (const Section& s : obj.sections) {
    if (s.type != kShtNote) continue;
    any_note_section = true;
    auto bytes = obj.SectionData(s);
    if (!bytes) continue;
    // sh_addralign is not kept; an 8-byte-aligned note section is one whose name says GNU
    // property, the only 8-aligned note in practice.
    ForEachNote(*bytes, h.endian, s.name == ".note.gnu.property" ? 8 : 4,
                [&](std::string_view n, uint32_t t, Bytes d) { ScanNote(n, t, d, h.endian, f); });
  }
  if (any_note_section) return f;
  for (size_t i = 0; i < obj.segments.size(); ++i) {
    const Segment& g = obj.segments[i];
    if (g.type != kPtNote) continue;
    auto bytes = SubSpan(obj.data, g.offset, g.filesz);
    if (!bytes) continue;
    Bytes rec = obj.data.subspan(h.phoff + i * h.phentsize, h.phentsize);
    uint64_t align = h.is64 ? Field(rec, 48, 8, h.endian) : Field(rec, 28, 4, h.endian);
    ForEachNote(*bytes, h.endian, align,
                [&](std::string_view n, uint32_t t, Bytes d) { ScanNote(n, t, d, h.endian, f); });
  }
  return f;
}

std::string_view OsFromInterpreter(std::string_view interp) {
  if (StartsWith(interp, "/system/bin/linker")) return "android";
  if (interp == "/usr/libexec/ld.so") return "openbsd";
  if (interp == "/libexec/ld-elf.so.1") return "freebsd";
  if (interp == "/usr/libexec/ld.elf_so") return "netbsd";
  if (interp == "/usr/libexec/ld-elf.so.2") return "dragonfly";
  // Solaris and illumos runtime linkers (Go uses /lib/amd64/ld.so.1 for both). The bare
  // /lib/ld.so.1 is glibc's on 32-bit MIPS and PowerPC, so only 64-bit paths count.
  for (std::string_view p :
       {"/lib/amd64/ld.so.1", "/usr/lib/amd64/ld.so.1", "/lib/64/ld.so.1", "/usr/lib/64/ld.so.1",
        "/lib/sparcv9/ld.so.1", "/usr/lib/sparcv9/ld.so.1", "/usr/lib/ld.so.1"}) {
    if (interp == p) return "solaris";
  }
  return "";
}

std::string_view GoOs(const ObjectFile& obj, const Header& h, const NoteFacts& notes) {
  switch (h.osabi) {
    case kOsabiFreebsd:
      return "freebsd";
    case kOsabiOpenbsd:
      return "openbsd";
    case kOsabiNetbsd:
      return "netbsd";
    case kOsabiSolaris:
      return "solaris";
    default:
      break;
  }
  std::string_view by_interp = OsFromInterpreter(obj.linkage.interpreter);
  if (by_interp == "android") return by_interp;  // Android binaries also carry a GNU-ish note
  if (!notes.os.empty()) return notes.os;
  if (!by_interp.empty()) return by_interp;
  for (const Section& s : obj.sections) {
    if (StartsWith(s.name, ".SUNW_")) return "solaris";
  }
  if (h.type == kEtExec || h.type == kEtDyn) return "linux";
  return "";
}

void ReadSymbolFacts(const Header& h, const std::vector<RawSection>& raw, ObjectFile& obj) {
  const uint64_t min_sym = h.is64 ? 24 : 16;
  for (size_t i = 0; i < obj.sections.size(); ++i) {
    const Section& s = obj.sections[i];
    if (StartsWith(s.name, ".debug_") || StartsWith(s.name, ".zdebug_")) {
      obj.has_dwarf = true;
      obj.dwarf_sections.push_back(s.name);
    }
    if (s.type != kShtSymtab && s.type != kShtDynsym) continue;
    const uint64_t entsize = raw[i].entsize >= min_sym ? raw[i].entsize : min_sym;
    const uint64_t count = s.file_size / entsize;
    if (count == 0) continue;
    if (s.type == kShtDynsym) {
      obj.has_dynsym = true;
      continue;
    }
    if (obj.has_symtab) continue;  // only the first static table is read
    obj.has_symtab = true;
    const uint32_t link = raw[i].link;
    if (link == 0 || link >= obj.sections.size()) continue;  // ReadElfSymbols reports it
    const Section& str = obj.sections[link];
    SymtabLocation loc;
    loc.offset = s.offset;
    loc.count = count;
    loc.entry_size = entsize;
    loc.str_offset = str.offset;
    loc.str_size = str.file_size;
    obj.symtab = loc;
  }
}

Result<ObjectFile> Open(Bytes data) {
  if (data.size() < 4 || std::memcmp(data.data(),
                                     "\x7f"
                                     "ELF",
                                     4) != 0) {
    return Status::NotMine("not ELF");
  }
  Header h;
  BK_RETURN_IF_ERROR(ParseHeader(data, h));
  BK_RETURN_IF_ERROR(ResolveTables(data, h));

  ObjectFile obj;
  obj.format = Format::kElf;
  obj.data = data;
  obj.endian = h.endian;
  obj.ptr_size = h.is64 ? 8 : 4;
  obj.arch = GoArch(h);
  obj.machine = MachineString(h.machine);
  obj.is_executable = h.type == kEtExec || h.type == kEtDyn;
  obj.entry = h.entry;

  std::vector<RawSection> raw;
  BK_RETURN_IF_ERROR(ParseSegments(data, h, obj));
  BK_RETURN_IF_ERROR(ParseSections(data, h, obj, raw));
  ReadSymbolFacts(h, raw, obj);
  BK_RETURN_IF_ERROR(ReadElfLinkage(h, raw, obj));

  NoteFacts notes = ScanNotes(obj, h);
  obj.go_build_id_note = notes.go_build_id;
  obj.os = GoOs(obj, h, notes);

  if (auto upx = DetectUpx(data)) {
    obj.packer = "upx";
    obj.packer_detail = upx->Describe();
  }
  return obj;
}

}  // namespace
}  // namespace elf

Result<ObjectFile> TryOpenElf(Bytes data) { return elf::Open(data); }

}  // namespace barekit::exe
