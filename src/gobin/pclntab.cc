#include "gobin/pclntab.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "base/checked_math.h"
#include "base/file_window.h"
#include "base/page_hints.h"
#include "base/reused_buffer.h"
#include "fmt/format.h"
#include "gobin/moduledata.h"

namespace barekit::gobin {
namespace {

constexpr uint32_t kMagic12 = 0xfffffffb;
constexpr uint32_t kMagic116 = 0xfffffffa;
constexpr uint32_t kMagic118 = 0xfffffff0;
constexpr uint32_t kMagic120 = 0xfffffff1;

bool MagicVersion(uint32_t magic, PclntabVersion* v) {
  switch (magic) {
    case kMagic12:
      *v = PclntabVersion::kGo12;
      return true;
    case kMagic116:
      *v = PclntabVersion::kGo116;
      return true;
    case kMagic118:
      *v = PclntabVersion::kGo118;
      return true;
    case kMagic120:
      *v = PclntabVersion::kGo120;
      return true;
  }
  return false;
}

Status TableError(std::string_view where, uint64_t file_offset, uint64_t off,
                  std::string_view what) {
  return Status::Corrupt(
      fmt::format("{}: pclntab at {:#x}: {} (table offset {:#x})", where, file_offset, what, off));
}

// Maps a 1.18+ entry offset to an address through textsectmap (runtime textOff).
uint64_t TextOff(uint64_t off, uint64_t text_start, const std::vector<TextSection>& sects) {
  if (sects.size() > 1) {
    for (size_t i = 0; i < sects.size(); ++i) {
      const TextSection& s = sects[i];
      if ((off >= s.vaddr && off < s.end) || (i + 1 == sects.size() && off == s.end)) {
        return s.base_addr + (off - s.vaddr);
      }
    }
  }
  return text_start + off;
}

}  // namespace

std::string_view PclntabVersionName(PclntabVersion v) {
  switch (v) {
    case PclntabVersion::kGo12:
      return "1.2";
    case PclntabVersion::kGo116:
      return "1.16";
    case PclntabVersion::kGo118:
      return "1.18";
    case PclntabVersion::kGo120:
      return "1.20";
  }
  return "?";
}

std::string_view TableSourceName(TableSource s) {
  switch (s) {
    case TableSource::kSection:
      return "section";
    case TableSource::kSymbol:
      return "symbol";
    case TableSource::kMagicScan:
      return "magic-scan";
    case TableSource::kModuleData:
      return "moduledata";
    case TableSource::kRawBytes:
      return "raw-bytes";
  }
  return "?";
}

bool LooksLikePclntabHeader(Bytes b, Endian* endian) {
  if (b.size() < 16) return false;
  PclntabVersion v;
  Endian e = Endian::kLittle;
  if (!MagicVersion(static_cast<uint32_t>(LoadUint(b.data(), 4, e)), &v)) {
    e = Endian::kBig;
    if (!MagicVersion(static_cast<uint32_t>(LoadUint(b.data(), 4, e)), &v)) return false;
  }
  auto q = static_cast<uint8_t>(b[6]);
  auto p = static_cast<uint8_t>(b[7]);
  if (b[4] != std::byte{0} || b[5] != std::byte{0}) return false;
  if (q != 1 && q != 2 && q != 4) return false;
  if (p != 4 && p != 8) return false;
  if (endian != nullptr) *endian = e;
  return true;
}

Result<PclntabHeader> ParsePclntabHeader(Bytes table, std::string_view where, uint64_t file_offset,
                                         std::optional<uint32_t> assume_magic,
                                         Endian assume_endian) {
  PclntabHeader h;
  if (assume_magic) {
    PclntabVersion v;
    if (table.size() < 16) return TableError(where, file_offset, 0, "header truncated");
    auto q = static_cast<uint8_t>(table[6]);
    auto p = static_cast<uint8_t>(table[7]);
    if (!MagicVersion(*assume_magic, &v) || table[4] != std::byte{0} || table[5] != std::byte{0} ||
        (q != 1 && q != 2 && q != 4) || (p != 4 && p != 8)) {
      return TableError(where, file_offset, 4, "no valid pclntab header");
    }
    h.endian = assume_endian;
  } else if (!LooksLikePclntabHeader(table, &h.endian)) {
    if (table.size() < 16) return TableError(where, file_offset, 0, "header truncated");
    return TableError(where, file_offset, 0, "no valid pclntab magic and header");
  }
  ByteReader r(table, h.endian);
  h.magic = *r.U32();
  if (assume_magic) h.magic = *assume_magic;
  MagicVersion(h.magic, &h.version);
  r.Skip(2);
  h.quantum = *r.U8();
  h.ptr_size = *r.U8();
  const int ps = h.ptr_size;
  auto word = [&](int i) -> std::optional<uint64_t> {
    if (!r.Seek(8 + static_cast<uint64_t>(i) * ps)) return std::nullopt;
    return r.Word(ps);
  };
  const uint64_t size = table.size();
  auto need = [&](int words) -> Status {
    if (8 + static_cast<uint64_t>(words) * ps > size) {
      return TableError(where, file_offset, 8, "header truncated");
    }
    return Status::Ok();
  };
  switch (h.version) {
    case PclntabVersion::kGo12:
      BK_RETURN_IF_ERROR(need(1));
      h.nfunc = *word(0);
      h.functab_off = 8 + static_cast<uint64_t>(ps);
      h.functab_field = ps;
      break;
    case PclntabVersion::kGo116:
      BK_RETURN_IF_ERROR(need(7));
      h.nfunc = *word(0);
      h.nfiles = *word(1);
      h.funcname_off = *word(2);
      h.cu_off = *word(3);
      h.filetab_off = *word(4);
      h.pctab_off = *word(5);
      h.functab_off = *word(6);
      h.functab_field = ps;
      break;
    case PclntabVersion::kGo118:
    case PclntabVersion::kGo120:
      BK_RETURN_IF_ERROR(need(8));
      h.nfunc = *word(0);
      h.nfiles = *word(1);
      h.header_text_start = *word(2);
      h.funcname_off = *word(3);
      h.cu_off = *word(4);
      h.filetab_off = *word(5);
      h.pctab_off = *word(6);
      h.functab_off = *word(7);
      h.functab_field = 4;
      break;
  }
  const uint64_t offs[] = {h.funcname_off, h.cu_off, h.filetab_off, h.pctab_off, h.functab_off};
  static constexpr const char* kNames[] = {"funcnametab", "cutab", "filetab", "pctab", "functab"};
  for (int i = 0; i < 5; ++i) {
    if (offs[i] > size) {
      return TableError(
          where, file_offset, 8,
          fmt::format("{} offset {:#x} lies past the table end {:#x}", kNames[i], offs[i], size));
    }
  }
  auto fields = CheckedMul(h.nfunc, 2);
  auto bytes = fields ? CheckedMul(*fields + 1, h.functab_field) : std::nullopt;
  if (!bytes || !RangeFits(h.functab_off, *bytes, size)) {
    return TableError(
        where, file_offset, h.functab_off,
        fmt::format("function table of {} functions runs past the table end {:#x}", h.nfunc, size));
  }
  const std::byte* ft = table.data() + h.functab_off;
  const auto fs = static_cast<size_t>(h.functab_field);
  h.first_entry_raw = LoadUint(ft, fs, h.endian);
  h.end_entry_raw = LoadUint(ft + static_cast<size_t>(h.nfunc) * 2 * fs, fs, h.endian);
  if (h.end_entry_raw < h.first_entry_raw) {
    return TableError(where, file_offset, h.functab_off + h.nfunc * 2 * fs,
                      "end sentinel lies before the first function");
  }
  return h;
}

namespace {

// What the per-function loop reads, gathered from the header, the table and the options: the
// loop copies it into locals, which the compiler keeps in registers across the visitor's call
// rather than reloading them through the enclosing function's frame.
struct DecodeInput {
  std::string_view where;
  uint64_t foff = 0;
  Bytes table;
  Bytes names;  // [0, end of the name table)
  uint64_t nfunc = 0, functab_off = 0, first_raw = 0, func_base = 0, name_base = 0;
  bool relative = false;  // entries are offsets from the text base (1.18+)
  uint64_t text_start = 0;
  const std::vector<TextSection>* sections = nullptr;
  // The three windows of a one-pass listing (all null when the table's bytes are read in place).
  FileWindow* ft_win = nullptr;
  FileWindow* rec_win = nullptr;
  FileWindow* name_win = nullptr;
  bool release = false;  // drop decoded pages of a file mapping read in place
};

// Decodes every function into sink(f), which returns false to end the loop early, specialised for
// the table's word width (kW: entries and record entries are as wide as a functab word, 4 bytes
// from 1.18, the pointer size before) and byte order, and for reading through windows or in place.
// The first broken function ends the loop with Corrupt and the offset of the broken field.
template <size_t kW, bool kSwap, bool kWindowed, typename Sink>
Status DecodeFunctions(const DecodeInput& in, Sink& sink) {
  const std::byte* const base = in.table.data();
  const uint64_t size = in.table.size();
  const std::byte* const ft = base + in.functab_off;
  const std::byte* const names = in.names.data();
  const uint64_t names_size = in.names.size();
  const uint64_t nfunc = in.nfunc, func_base = in.func_base, name_base = in.name_base;
  const uint64_t text_start = in.text_start;
  // One text section (all but the largest arm64/ppc64 programs): entry = base + offset.
  const bool simple_text = !in.relative || in.sections->size() <= 1;
  const uint64_t add = in.relative ? text_start : 0;
  FileWindow* const ft_win = in.ft_win;
  FileWindow* const rec_win = in.rec_win;
  FileWindow* const name_win = in.name_win;
  uint64_t prev_raw = in.first_raw;
  uint64_t released_rec = in.functab_off, released_name = name_base;
  for (uint64_t i = 0; i < nfunc; ++i) {
    const std::byte* p = ft + static_cast<size_t>(i) * 2 * kW;
    if constexpr (kWindowed) p = ft_win->At(p, 3 * kW);
    const uint64_t raw = LoadUintAs<kW, kSwap>(p);
    const uint64_t funcoff = LoadUintAs<kW, kSwap>(p + kW);
    const uint64_t next_raw = LoadUintAs<kW, kSwap>(p + 2 * kW);
    if (raw < prev_raw || next_raw < raw) [[unlikely]] {
      return TableError(in.where, in.foff, in.functab_off + i * 2 * kW,
                        fmt::format("function {} entry {:#x} out of order", i, raw));
    }
    prev_raw = raw;
    const uint64_t rec = func_base + funcoff;
    if (rec < func_base || !RangeFits(rec, kW + 4, size)) [[unlikely]] {
      return TableError(
          in.where, in.foff, in.functab_off + i * 2 * kW,
          fmt::format("function {} record offset {:#x} lies past the table end", i, funcoff));
    }
    const std::byte* fp = base + rec;
    if constexpr (kWindowed) fp = rec_win->At(fp, kW + 4);
    const uint64_t rec_entry = LoadUintAs<kW, kSwap>(fp);
    if (rec_entry != raw) [[unlikely]] {
      return TableError(in.where, in.foff, rec,
                        fmt::format("function {} record entry {:#x} differs from functab entry "
                                    "{:#x}",
                                    i, rec_entry, raw));
    }
    const uint64_t name_off = LoadUintAs<4, kSwap>(fp + kW);
    const uint64_t name_at = name_base + name_off;
    std::optional<std::string_view> name;
    if constexpr (kWindowed) {
      if (name_at < names_size) {
        name = name_win->CStringAt(names + name_at, names + names_size, 1 << 16);
      }
    } else {
      name = CStringAt(in.names, name_at, 1 << 16);
    }
    if (!name) [[unlikely]] {
      return TableError(
          in.where, in.foff, rec + kW,
          fmt::format("function {} name offset {:#x} outside the name table", i, name_off));
    }
    uint64_t entry = add + raw, end = add + next_raw;
    if (!simple_text) [[unlikely]] {
      entry = TextOff(raw, text_start, *in.sections);
      end = TextOff(next_raw, text_start, *in.sections);
    }
    if (end < entry || end - entry > UINT32_MAX) [[unlikely]] {
      return TableError(in.where, in.foff, in.functab_off + i * 2 * kW,
                        fmt::format("function {} at {:#x} spans more than 4 GB", i, entry));
    }
    Function f;
    f.entry = entry;
    f.size = static_cast<uint32_t>(end - entry);
    f.name = *name;
    f.func_offset = static_cast<uint32_t>(rec);
    if (!sink(f)) break;
    if (!kWindowed && in.release && (i & 1023) == 1023) {
      // Records and names are laid out in function order: what lies behind is done.
      if (rec > released_rec + (256 << 10)) {
        ReleaseFilePages(in.table.subspan(released_rec, rec - released_rec));
        released_rec = rec;
      }
      if (name_at > released_name + (256 << 10)) {
        ReleaseFilePages(in.table.subspan(released_name, name_at - released_name));
        released_name = name_at;
      }
    }
  }
  return Status::Ok();
}

// DecodeFunctions for a table's width, byte order and reading.
template <typename Sink>
Status DecodeAll(const DecodeInput& in, size_t width, bool swap, Sink& sink) {
  const bool w = in.ft_win != nullptr;
  if (width == 4) {
    if (swap) {
      return w ? DecodeFunctions<4, true, true>(in, sink)
               : DecodeFunctions<4, true, false>(in, sink);
    }
    return w ? DecodeFunctions<4, false, true>(in, sink)
             : DecodeFunctions<4, false, false>(in, sink);
  }
  if (swap) {
    return w ? DecodeFunctions<8, true, true>(in, sink) : DecodeFunctions<8, true, false>(in, sink);
  }
  return w ? DecodeFunctions<8, false, true>(in, sink) : DecodeFunctions<8, false, false>(in, sink);
}

}  // namespace

Result<FunctionTable> ParsePclntab(Bytes table, const ParseOptions& opts) {
  const std::string_view where = opts.label;
  const uint64_t foff = opts.file_offset;
  FunctionTable t;
  BK_ASSIGN_OR_RETURN(
      t.header, ParsePclntabHeader(table, where, foff, opts.assume_magic, opts.assume_endian));
  const PclntabHeader& h = t.header;
  // Names live in funcnametab, which ends where the next sub-table starts (1.16+).
  uint64_t name_end = table.size();
  if (h.version != PclntabVersion::kGo12) {
    for (uint64_t o : {h.cu_off, h.filetab_off, h.pctab_off, h.functab_off}) {
      if (o > h.funcname_off && o < name_end) name_end = o;
    }
  }
  t.data = table;
  t.size = table.size();
  t.file_offset = foff;
  t.source = opts.source;
  t.source_detail = opts.source_detail;
  t.addr = opts.addr;
  t.text_sections = opts.text_sections;
  const bool relative = h.version >= PclntabVersion::kGo118;
  if (!relative) {
    t.text_start = opts.text_start.value_or(0);
    t.text_source = "absolute entries";
  } else if (opts.text_start) {
    t.text_start = *opts.text_start;
    t.text_source = opts.text_source;
  } else {
    t.text_start = h.header_text_start;
    t.text_source = "pcHeader.textStart";
  }
  const auto fs = static_cast<size_t>(h.functab_field);
  // Entries and record entries are as wide as a functab word: 4 bytes from 1.18, the pointer
  // size before.
  const uint64_t entry_field = relative ? 4 : static_cast<uint64_t>(h.ptr_size);
  DecodeInput in;
  in.where = where;
  in.foff = foff;
  in.table = table;
  in.names = table.subspan(0, static_cast<size_t>(name_end));
  in.nfunc = h.nfunc;
  in.functab_off = h.functab_off;
  in.first_raw = h.first_entry_raw;
  // _func records are relative to the functab (1.16+) or to the table start (1.2).
  in.func_base = h.version == PclntabVersion::kGo12 ? 0 : h.functab_off;
  in.name_base = h.version == PclntabVersion::kGo12 ? 0 : h.funcname_off;
  in.relative = relative;
  in.text_start = t.text_start;
  in.sections = &t.text_sections;

  t.end_pc = relative ? TextOff(h.end_entry_raw, t.text_start, t.text_sections) : h.end_entry_raw;
  if (opts.begin != nullptr) opts.begin(opts.visit_ctx, t);
  if (opts.visit == nullptr) {
    t.funcs.reserve(static_cast<size_t>(h.nfunc));
    PrefaultForWrite(t.funcs.data(), t.funcs.capacity() * sizeof(Function));
  }
  // A one-pass listing reads the functab, the records and the names through three windows
  // filled with pread (base/file_window.h) rather than faulting in the mapping: the three are
  // laid out in function order, so each window moves forward. A stored table reads the mapping
  // in place: its names stay views into it. The windows' pages are mapped up front
  // (AnonBuffer::Populated): 24 page faults fewer. They are kept for the next table
  // (base/reused_buffer.h). Should even that mapping fail, the mapping is read directly.
  // Names shared with an earlier function lie behind the name window: those up to 4 KB are read
  // into a side buffer rather than faulted in through the mapping (restic: 5 page faults).
  constexpr size_t kWindow = 32 << 10, kSide = 4 << 10;
  static ReusedBuffer window_mem;
  std::optional<ReusedBuffer::Lease> window_buf;
  if (opts.visit != nullptr && opts.file != nullptr) {
    window_buf.emplace(window_mem.Borrow(3 * kWindow + kSide));
    if (!*window_buf) window_buf.reset();
  }
  std::optional<FileWindow> ft_win, rec_win, name_win;
  if (window_buf) {
    std::byte* w = window_buf->bytes().data();
    in.ft_win = &ft_win.emplace(opts.file, std::span(w, kWindow));
    in.rec_win = &rec_win.emplace(opts.file, std::span(w + kWindow, kWindow));
    in.name_win = &name_win.emplace(opts.file, std::span(w + 2 * kWindow, kWindow),
                                    std::span(w + 3 * kWindow, kSide));
  }
  in.release = opts.release_file_pages && !window_buf;
  const bool swap = NeedsByteSwap(h.endian);
  if (entry_field != fs || (fs != 4 && fs != 8)) {
    return TableError(where, foff, 8, fmt::format("function table word of {} bytes", fs));
  }
  Status st;
  if (opts.visit != nullptr) {
    auto visit = [v = opts.visit, ctx = opts.visit_ctx, stop = opts.stop](const Function& f) {
      v(ctx, f);
      return stop == nullptr || !*stop;
    };
    st = DecodeAll(in, fs, swap, visit);
  } else {
    auto store = [&funcs = t.funcs](const Function& f) {
      funcs.push_back(f);
      return true;
    };
    st = DecodeAll(in, fs, swap, store);
  }
  if (!st.ok()) return st;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Package names

char* FormatGosymLine(const Function& f, char* p) {
  char* const room_end = p + kGosymLineFixed + f.name.size();  // what the caller guarantees
  p[0] = '0';
  p[1] = 'x';
  p = std::to_chars(p + 2, room_end, f.entry, 16).ptr;
  *p++ = ' ';
  p = std::to_chars(p, room_end, f.size).ptr;
  *p++ = ' ';
  std::memcpy(p, f.name.data(), f.name.size());
  p += f.name.size();
  *p++ = '\n';
  return p;
}

void AppendGosymLine(const Function& f, std::string* out) {
  const size_t at = out->size();
  out->resize(at + kGosymLineFixed + f.name.size());
  char* end = FormatGosymLine(f, out->data() + at);
  out->resize(static_cast<size_t>(end - out->data()));
}

std::string_view PackageOfFunction(std::string_view name) {
  if (name.starts_with("go:") || name.starts_with("type:") || name.starts_with("type.")) return {};
  // Generic instantiations: the type arguments may hold dots and slashes of other packages.
  // memchr/memrchr: names run long (type..eq.struct { ... }) and this runs for every function.
  const char* p = name.data();
  const void* bracket = std::memchr(p, '[', name.size());
  const size_t head =
      bracket ? static_cast<size_t>(static_cast<const char*>(bracket) - p) : name.size();
  const void* last_slash = memrchr(p, '/', head);
  if (name.starts_with("go.")) {
    // go.buildid, go.itab.*, go.(*struct{...}).M are generated; go.uber.org/zap.F is a package.
    if (last_slash == nullptr) return {};
    const auto* first_slash = static_cast<const char*>(std::memchr(p, '/', head));
    if (std::string_view(p, static_cast<size_t>(first_slash - p)).find_first_of("(* {") !=
        std::string_view::npos) {
      return {};
    }
  }
  const size_t from =
      last_slash ? static_cast<size_t>(static_cast<const char*>(last_slash) - p) + 1 : 0;
  const void* dot = std::memchr(p + from, '.', head - from);
  if (dot == nullptr) return {};
  return name.substr(0, static_cast<size_t>(static_cast<const char*>(dot) - p));
}

std::string_view PackageCache::Of(std::string_view name) {
  const size_t n = last_.size();
  if (n != 0 && name.size() > n && name[n] == '.' && name.starts_with(last_)) {
    // The same package unless a '/' follows outside type arguments: one search in the common
    // case (no '/' at all), where PackageOfFunction makes three.
    const char* rest = name.data() + n + 1;
    const auto* slash = static_cast<const char*>(std::memchr(rest, '/', name.size() - n - 1));
    if (slash == nullptr || std::memchr(rest, '[', static_cast<size_t>(slash - rest)) != nullptr) {
      repeated_ = true;
      return last_;
    }
  }
  repeated_ = false;
  last_.assign(PackageOfFunction(name));
  return last_;
}

std::string UnescapePackage(std::string_view pkg) {
  // Nearly every path has no escape: one search instead of a byte-by-byte copy.
  if (pkg.find('%') == std::string_view::npos) return std::string(pkg);
  std::string out;
  out.reserve(pkg.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < pkg.size(); ++i) {
    if (pkg[i] == '%' && i + 2 < pkg.size()) {
      int a = hex(pkg[i + 1]), b = hex(pkg[i + 2]);
      if (a >= 0 && b >= 0) {
        out.push_back(static_cast<char>(a * 16 + b));
        i += 2;
        continue;
      }
    }
    out.push_back(pkg[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Finding the table in an object

namespace {

struct Candidate {
  Bytes bytes;
  uint64_t addr = 0;
  uint64_t file_offset = 0;
  TableSource source = TableSource::kSection;
  std::string detail;
};

uint64_t FileOffsetOf(const exe::ObjectFile& obj, Bytes b) {
  return static_cast<uint64_t>(b.data() - obj.data.data()) + obj.slice_offset;
}

std::optional<Candidate> FromSection(const exe::ObjectFile& obj) {
  for (std::string_view n : {".gopclntab", ".data.rel.ro.gopclntab", "__gopclntab"}) {
    const exe::Section* s = obj.FindSection(n);
    if (s == nullptr) continue;
    auto d = obj.SectionData(*s);
    if (!d || d->empty()) continue;
    return Candidate{*d, s->addr, s->offset, TableSource::kSection, std::string(n)};
  }
  return std::nullopt;
}

std::optional<Candidate> FromSymbols(const exe::ObjectFile& obj,
                                     const std::vector<exe::Symbol>& syms) {
  uint64_t start = 0, end = 0;
  for (const exe::Symbol& s : syms) {
    if (s.name == "runtime.pclntab" || s.name == "runtime.pcheader") start = s.value;
    if (s.name == "runtime.epclntab") end = s.value;
  }
  if (start == 0) return std::nullopt;
  std::optional<Bytes> b;
  if (end > start) b = obj.ReadAt(start, end - start);
  if (!b) b = obj.ReadFrom(start);
  if (!b) return std::nullopt;
  return Candidate{*b, start, FileOffsetOf(obj, *b), TableSource::kSymbol, "runtime.pclntab"};
}

// Whether a 4-byte-aligned word among the 8 bytes at `p` has 0xff at its bytes 1 and 2, where
// every pclntab magic has them in either byte order. No false negatives; false positives only
// cost the exact check. Lets the scan skip 64 bytes with a few word operations, so that a
// 300 MB program without Go is scanned at memory speed rather than 4 bytes at a time.
inline bool MayHoldMagic(const std::byte* p) {
  if constexpr (std::endian::native != std::endian::little) return true;
  uint64_t x;
  std::memcpy(&x, p, 8);
  const uint64_t inv = ~x;  // a zero byte where x has 0xff
  const uint64_t zero = (inv - 0x0101010101010101) & ~inv & 0x8080808080808080;
  // Bytes 1 and 2 of each word: bits 15 and 23, 47 and 55.
  return (zero & (zero >> 8) & 0x0000800000008000) != 0;
}

// The first 8 bytes of a header at `p`, by masks: the magic (0xfffffff?) in either byte order,
// two zero pad bytes, quantum and pointer size small. A superset of LooksLikePclntabHeader for a
// single load and compare: machine code is full of 0xffff (negative call offsets), and this
// keeps the exact check for the rare word that looks like a whole header.
inline bool MayBeHeader(const std::byte* p) {
  if constexpr (std::endian::native != std::endian::little) return true;
  uint64_t x;
  std::memcpy(&x, p, 8);
  constexpr uint64_t kLittleMask = 0xf3f8fffffffffff0, kLittle = 0x00000000fffffff0;
  constexpr uint64_t kBigMask = 0xf3f8fffff0ffffff, kBig = 0x00000000f0ffffff;
  return (x & kLittleMask) == kLittle || (x & kBigMask) == kBig;
}

// Scans loaded sections with file bytes, 4-byte aligned, for a header whose functab bounds also
// validate: read-only data first (where Go puts the table), then, in PE files only, executable
// sections. Go's PE linker put read-only data into .text before Go 1.11 and still marks .rdata
// executable (golang/go#25926); ELF and Mach-O Go binaries never hold the table in code, which
// is most of a large C++ program's bytes.
std::optional<Candidate> FromMagicScan(const exe::ObjectFile& obj) {
  const int passes = obj.format == exe::Format::kPe ? 2 : 1;
  for (int pass = 0; pass < passes; ++pass) {
    for (const exe::Section& s : obj.sections) {
      if (s.file_size == 0 || !s.alloc || s.executable != (pass == 1) ||
          s.name.starts_with(".debug")) {
        continue;
      }
      auto d = obj.SectionData(s);
      if (!d) continue;
      const std::byte* p = d->data();
      const size_t n = d->size();
      size_t i = 0;
      while (i + 16 <= n) {
        if (i + 64 <= n) {
          bool maybe = false;
          for (size_t k = 0; k < 64; k += 8) maybe |= MayHoldMagic(p + i + k);
          if (!maybe) {
            i += 64;
            continue;
          }
        }
        for (const size_t stop = std::min(i + 64, n - 15); i < stop; i += 4) {
          if (!MayBeHeader(p + i)) continue;
          Bytes rest = d->subspan(i);
          if (!LooksLikePclntabHeader(rest)) continue;
          if (!ParsePclntabHeader(rest).ok()) continue;
          return Candidate{rest, s.addr + i, s.offset + i, TableSource::kMagicScan,
                           std::string(s.name)};
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Result<FunctionTable> ReadFunctionTable(const exe::ObjectFile& obj, const ReadOptions& ropts) {
  std::vector<exe::Symbol> syms;
  if (obj.has_symtab) {
    auto r = exe::ReadSymbols(obj);
    if (r.ok()) syms = std::move(r).value();
  }
  std::optional<Candidate> c = FromSection(obj);
  if (!c && !syms.empty()) c = FromSymbols(obj, syms);
  if (!c) c = FromMagicScan(obj);
  std::optional<uint32_t> assume_magic;
  if (!c) {
    if (auto ptr = FindPclntabThroughModuleData(obj)) {
      if (auto b = obj.ReadFrom(ptr->addr)) {
        c = Candidate{*b, ptr->addr, FileOffsetOf(obj, *b), TableSource::kModuleData,
                      "moduledata in " + ptr->where};
        assume_magic = ptr->magic;
      }
    }
  }
  if (!c) return Status::NotFound("no Go function table (pclntab) found");

  BK_ASSIGN_OR_RETURN(PclntabHeader h, ParsePclntabHeader(c->bytes, c->detail, c->file_offset,
                                                          assume_magic, obj.endian));
  ParseOptions opts;
  opts.assume_magic = assume_magic;
  opts.assume_endian = obj.endian;
  opts.release_file_pages = ropts.release_file_pages;
  opts.file = ropts.file;
  opts.visit = ropts.visit;
  opts.visit_ctx = ropts.visit_ctx;
  opts.stop = ropts.stop;
  opts.begin = ropts.begin;
  opts.source = c->source;
  opts.source_detail = c->detail;
  opts.addr = c->addr;
  opts.label = c->detail;
  opts.file_offset = c->file_offset;
  // Text base: moduledata, runtime.text, pcHeader.textStart, .text.
  auto md = FindModuleData(obj, c->addr, h);
  if (md.ok() && md->text != 0) {
    opts.text_start = md->text;
    opts.text_source = "moduledata (" + md->where + ")";
    opts.text_sections = md->text_sections;
  } else {
    for (const exe::Symbol& s : syms) {
      if (s.name == "runtime.text") {
        opts.text_start = s.value;
        opts.text_source = "runtime.text symbol";
        break;
      }
    }
    if (!opts.text_start && h.header_text_start == 0) {
      for (std::string_view n : {".text", "__text"}) {
        if (const exe::Section* s = obj.FindSection(n)) {
          opts.text_start = s->addr;
          opts.text_source = std::string(n) + " section";
          break;
        }
      }
    }
  }
  return ParsePclntab(c->bytes, opts);
}

}  // namespace barekit::gobin
