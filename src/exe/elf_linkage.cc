// ELF linkage facts: interpreter, the dynamic table (DT_NEEDED, RPATH/RUNPATH, flags), the GNU
// version-needs table, the C library and the hardening flags. See doc/formats/elf.md.
#include <algorithm>
#include <charconv>

#include "exe/elf_internal.h"

namespace barekit::exe::elf {
namespace {

constexpr uint64_t kDtSymtab = 6;

std::string_view Basename(std::string_view p) {
  size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Compares the dotted numbers inside two version names ("GLIBC_2.34" > "GLIBC_2.2.5").
// Names without any digit ("GLIBC_PRIVATE") sort below every numbered one.
int CompareVersionNames(std::string_view a, std::string_view b) {
  auto first_digit = [](std::string_view s) { return s.find_first_of("0123456789"); };
  size_t ia = first_digit(a), ib = first_digit(b);
  if (ia == std::string_view::npos || ib == std::string_view::npos) {
    return (ia != std::string_view::npos) - (ib != std::string_view::npos);
  }
  while (ia < a.size() || ib < b.size()) {
    uint64_t na = 0, nb = 0;
    auto ra = std::from_chars(a.data() + std::min(ia, a.size()), a.data() + a.size(), na);
    auto rb = std::from_chars(b.data() + std::min(ib, b.size()), b.data() + b.size(), nb);
    if (na != nb) return na < nb ? -1 : 1;
    ia = ra.ptr - a.data();
    ib = rb.ptr - b.data();
    // Skip one separator; anything else ends the numeric part.
    bool more_a = ia < a.size() && a[ia] == '.', more_b = ib < b.size() && b[ib] == '.';
    if (!more_a && !more_b) break;
    if (more_a != more_b) return more_a ? 1 : -1;
    ++ia;
    ++ib;
  }
  return 0;
}

// Whether the Linux kernel maps the stack executable when PT_GNU_STACK is absent: it does on
// 32-bit x86 and ARM, on every MIPS and on 32-bit PowerPC (elf_read_implies_exec); the 64-bit
// ports below default to a non-executable stack.
bool StackNxWithoutGnuStack(uint16_t machine, bool is64) {
  switch (machine) {
    case 62:   // x86-64 (READ_IMPLIES_EXEC only for ia32 since Linux 5.8)
    case 183:  // AArch64
    case 21:   // PPC64
    case 22:   // s390x
    case 243:  // RISC-V
    case 258:  // LoongArch
      return is64;
    default:
      return false;
  }
}

struct DynamicFacts {
  std::vector<uint64_t> needed, rpath, runpath;  // string-table offsets
  uint64_t strtab = 0, strsz = 0, verneed = 0, verneednum = 0, flags = 0, flags1 = 0;
  bool have_strtab = false, have_verneed = false, have_symtab = false, bind_now = false;
  uint64_t table_offset = 0;  // file offset of the dynamic table, for messages
  bool present = false;
};

Status ReadDynamic(const Header& h, const ObjectFile& obj, const std::vector<RawSection>& raw,
                   DynamicFacts& f, Bytes& strtab) {
  Bytes table;
  int dyn_section = -1;
  for (const Segment& g : obj.segments) {
    if (g.type != kPtDynamic) continue;
    table = SubSpan(obj.data, g.offset, g.filesz).value_or(Bytes{});
    f.table_offset = g.offset;
    f.present = true;
    break;
  }
  for (size_t i = 0; i < obj.sections.size(); ++i) {
    if (obj.sections[i].type != kShtDynamic) continue;
    dyn_section = static_cast<int>(i);
    if (!f.present) {
      table = obj.SectionData(obj.sections[i]).value_or(Bytes{});
      f.table_offset = obj.sections[i].offset;
      f.present = true;
    }
    break;
  }
  if (!f.present) return Status::Ok();

  const size_t w = h.is64 ? 8 : 4;
  const size_t n = table.size() / (2 * w);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t tag = LoadUint(table.data() + i * 2 * w, w, h.endian);
    const uint64_t val = LoadUint(table.data() + i * 2 * w + w, w, h.endian);
    if (tag == kDtNull) break;
    switch (tag) {
      case kDtNeeded:
        f.needed.push_back(val);
        break;
      case kDtRpath:
        f.rpath.push_back(val);
        break;
      case kDtRunpath:
        f.runpath.push_back(val);
        break;
      case kDtStrtab:
        f.strtab = val;
        f.have_strtab = true;
        break;
      case kDtStrsz:
        f.strsz = val;
        break;
      case kDtVerneed:
        f.verneed = val;
        f.have_verneed = true;
        break;
      case kDtVerneednum:
        f.verneednum = val;
        break;
      case kDtFlags:
        f.flags |= val;
        break;
      case kDtFlags1:
        f.flags1 |= val;
        break;
      case kDtBindNow:
        f.bind_now = true;
        break;
      case kDtSymtab:
        f.have_symtab = true;
        break;
      default:
        break;
    }
  }

  // The dynamic string table: DT_STRTAB through the address map, else the section link.
  if (f.have_strtab) {
    if (auto bytes = obj.ReadFrom(f.strtab)) {
      strtab = f.strsz > 0 && f.strsz < bytes->size() ? bytes->first(f.strsz) : *bytes;
    }
  }
  if (strtab.empty() && dyn_section >= 0) {
    uint32_t link = raw[dyn_section].link;
    if (link != 0 && link < obj.sections.size()) {
      if (auto bytes = obj.SectionData(obj.sections[link])) strtab = *bytes;
    }
  }
  const bool needs_strings = !f.needed.empty() || !f.rpath.empty() || !f.runpath.empty();
  if (needs_strings && strtab.empty()) {
    return Status::Corrupt("dynamic table at " + Hex(f.table_offset) + ": string table " +
                           (f.have_strtab ? "address " + Hex(f.strtab) + " is not in the file"
                                          : std::string("(DT_STRTAB) is missing")));
  }
  return Status::Ok();
}

Result<std::string_view> DynString(const DynamicFacts& f, Bytes strtab, uint64_t off,
                                   std::string_view what) {
  auto s = CStringAt(strtab, off);
  if (!s) {
    return Status::Corrupt("dynamic table at " + Hex(f.table_offset) + ": " + std::string(what) +
                           " name offset " + Hex(off) + " is outside the string table (size " +
                           Hex(strtab.size()) + ")");
  }
  return *s;
}

void SplitPath(std::string_view s, std::vector<std::string>& out) {
  while (true) {
    size_t colon = s.find(':');
    out.emplace_back(s.substr(0, colon));
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
  }
}

// Walks Elf_Verneed records (vn_version, vn_cnt, vn_file, vn_aux, vn_next) and their
// Elf_Vernaux entries (vna_hash, vna_flags, vna_other, vna_name, vna_next), 16 bytes each.
Status ReadVersionNeeds(Bytes table, uint64_t table_offset, uint64_t count, Bytes strings, Endian e,
                        std::vector<VersionNeed>& out) {
  constexpr uint64_t kRec = 16;
  uint64_t budget = table.size() / kRec + 1;  // caps the total records visited
  auto where = [&](uint64_t pos) {
    return "version needs at " + Hex(table_offset) + ": record at " + Hex(table_offset + pos);
  };
  auto str = [&](uint64_t pos, uint64_t off) -> Result<std::string_view> {
    auto s = CStringAt(strings, off);
    if (!s) {
      return Status::Corrupt(where(pos) + ": name offset " + Hex(off) +
                             " is outside the string table (size " + Hex(strings.size()) + ")");
    }
    return *s;
  };
  uint64_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (budget-- == 0) return Status::Corrupt(where(pos) + ": too many records");
    auto rec = SubSpan(table, pos, kRec);
    if (!rec) {
      return Status::Corrupt(where(pos) + " runs past the end of the table (size " +
                             Hex(table.size()) + ")");
    }
    const uint64_t cnt = Field(*rec, 2, 2, e), file = Field(*rec, 4, 4, e),
                   aux = Field(*rec, 8, 4, e), next = Field(*rec, 12, 4, e);
    VersionNeed need;
    BK_ASSIGN_OR_RETURN(std::string_view lib, str(pos, file));
    need.library = lib;
    uint64_t apos = pos + aux;
    std::string_view highest;
    for (uint64_t j = 0; j < cnt; ++j) {
      if (budget-- == 0) return Status::Corrupt(where(apos) + ": too many records");
      auto arec = SubSpan(table, apos, kRec);
      if (!arec) {
        return Status::Corrupt(where(apos) + " runs past the end of the table (size " +
                               Hex(table.size()) + ")");
      }
      BK_ASSIGN_OR_RETURN(std::string_view name, str(apos, Field(*arec, 8, 4, e)));
      need.versions.emplace_back(name);
      if (name.find_first_of("0123456789") != std::string_view::npos &&
          (highest.empty() || CompareVersionNames(name, highest) > 0)) {
        highest = name;
      }
      const uint64_t anext = Field(*arec, 12, 4, e);
      if (anext == 0) break;
      apos += anext;
    }
    need.highest = highest;
    out.push_back(std::move(need));
    if (next == 0) break;
    pos += next;
  }
  return Status::Ok();
}

std::string_view LibcOf(const Linkage& l) {
  std::string_view interp = Basename(l.interpreter);
  if (StartsWith(interp, "ld-musl-")) return "musl";
  for (const std::string& n : l.needed) {
    if (StartsWith(n, "libc.musl-") || StartsWith(n, "ld-musl-")) return "musl";
  }
  if (StartsWith(interp, "ld-linux") || interp == "ld64.so.1" || interp == "ld64.so.2" ||
      l.interpreter == "/lib/ld.so.1" || l.interpreter == "/lib64/ld.so.1") {  // MIPS, PPC32
    return "glibc";
  }
  for (const std::string& n : l.needed) {
    if (n == "libc.so.6" || StartsWith(n, "ld-linux")) return "glibc";
  }
  return "";
}

}  // namespace

Status ReadElfLinkage(const Header& h, const std::vector<RawSection>& raw, ObjectFile& obj) {
  Linkage& l = obj.linkage;
  bool have_gnu_stack = false, stack_exec = false, have_relro = false;
  for (const Segment& g : obj.segments) {
    switch (g.type) {
      case kPtInterp:
        if (l.interpreter.empty()) {
          std::string_view s =
              AsStringView(SubSpan(obj.data, g.offset, g.filesz).value_or(Bytes{}));
          l.interpreter = s.substr(0, s.find('\0'));
        }
        break;
      case kPtGnuStack:
        have_gnu_stack = true;
        stack_exec = g.executable;
        break;
      case kPtGnuRelro:
        have_relro = true;
        break;
      default:
        break;
    }
  }

  DynamicFacts dyn;
  Bytes strtab;
  BK_RETURN_IF_ERROR(ReadDynamic(h, obj, raw, dyn, strtab));
  for (uint64_t off : dyn.needed) {
    BK_ASSIGN_OR_RETURN(std::string_view s, DynString(dyn, strtab, off, "DT_NEEDED"));
    l.needed.emplace_back(s);
  }
  for (uint64_t off : dyn.rpath) {
    BK_ASSIGN_OR_RETURN(std::string_view s, DynString(dyn, strtab, off, "DT_RPATH"));
    SplitPath(s, l.rpath);
  }
  for (uint64_t off : dyn.runpath) {
    BK_ASSIGN_OR_RETURN(std::string_view s, DynString(dyn, strtab, off, "DT_RUNPATH"));
    SplitPath(s, l.runpath);
  }
  if (obj.sections.empty() && dyn.have_symtab) obj.has_dynsym = true;

  // Version needs: the SHT_GNU_verneed section, else DT_VERNEED through the segments.
  bool verneed_done = false;
  for (size_t i = 0; i < obj.sections.size(); ++i) {
    const Section& s = obj.sections[i];
    if (s.type != kShtGnuVerneed) continue;
    Bytes strings = strtab;
    if (raw[i].link != 0 && raw[i].link < obj.sections.size()) {
      if (auto b = obj.SectionData(obj.sections[raw[i].link])) strings = *b;
    }
    Bytes table = obj.SectionData(s).value_or(Bytes{});
    BK_RETURN_IF_ERROR(
        ReadVersionNeeds(table, s.offset, raw[i].info, strings, h.endian, l.version_needs));
    verneed_done = true;
    break;
  }
  if (!verneed_done && dyn.have_verneed && dyn.verneednum > 0) {
    auto off = obj.AddrToOffset(dyn.verneed);
    auto table = obj.ReadFrom(dyn.verneed);
    if (!off || !table) {
      return Status::Corrupt("dynamic table at " + Hex(dyn.table_offset) + ": DT_VERNEED " +
                             Hex(dyn.verneed) + " is not in the file");
    }
    BK_RETURN_IF_ERROR(
        ReadVersionNeeds(*table, *off, dyn.verneednum, strtab, h.endian, l.version_needs));
  }

  if (!l.interpreter.empty() || !l.needed.empty()) {
    l.kind = LinkKind::kDynamic;
  } else if (h.type == kEtDyn && (dyn.present || (dyn.flags1 & kDf1Pie))) {
    l.kind = LinkKind::kStaticPie;
  } else {
    l.kind = LinkKind::kStatic;
  }
  l.libc = LibcOf(l);
  l.pie = h.type == kEtDyn && ((dyn.flags1 & kDf1Pie) || !l.interpreter.empty());
  l.bind_now = dyn.bind_now || (dyn.flags & kDfBindNow) || (dyn.flags1 & kDf1Now);
  l.nx_stack = have_gnu_stack ? !stack_exec : StackNxWithoutGnuStack(h.machine, h.is64);
  l.relro = !have_relro ? Relro::kNone : (l.bind_now ? Relro::kFull : Relro::kPartial);
  return Status::Ok();
}

}  // namespace barekit::exe::elf
