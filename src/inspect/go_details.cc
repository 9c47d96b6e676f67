#include "inspect/go_details.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <memory>
#include <optional>

#include "base/reused_buffer.h"
#include "base/write_all.h"

namespace barekit::inspect {
namespace {

using Json = nlohmann::ordered_json;

const gobin::BuildInfo* InfoOf(const SliceReport& s) {
  return s.go && s.go->build_info ? &*s.go->build_info : nullptr;
}

double Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// Columns of the package and size tables, written by hand: through fmt, the width of every
// padded string is measured in display columns (a UTF-8 decode) and each line cost about 4000
// instructions, as much as the whole size map of restic's 1350 lines. The output is the same.
//
// `v` right-aligned in `width` columns, as "{:>width}".
void AppendRight(uint64_t v, size_t width, fmt::memory_buffer* out) {
  char dec[20];
  char* const end = std::to_chars(dec, dec + sizeof dec, v).ptr;
  for (auto n = static_cast<size_t>(end - dec); n < width; ++n) out->push_back(' ');
  out->append(dec, end);
}

// `s` left-aligned in `width` columns, as "{:<width}": padded by bytes when it is ASCII (one
// byte, one column), else by fmt, which counts display columns.
void AppendLeft(std::string_view s, size_t width, fmt::memory_buffer* out);

// Percent(part, whole) as "{:>6.2f}" formats it. The hundredths are found with integers: the
// double 100*part/whole is the exact ratio correctly rounded, and the two round to the same
// hundredth unless the exact ratio lies on a half (or the numbers are too large for the error
// bound below), where fmt formats the double itself.
void AppendPercent(uint64_t part, uint64_t whole, fmt::memory_buffer* out) {
  // Not a half: |10000*part/whole - (k + 1/2)| >= 1/(2*whole), more than the double's error of
  // 10000 * 2^-53 while whole < 2^53 / 20000; 10000*part must not overflow.
  constexpr uint64_t kMax = (uint64_t{1} << 53) / 20000;
  if (whole != 0 && whole < kMax && part <= whole) {
    const uint64_t num = part * 10000;
    uint64_t q = num / whole;
    const uint64_t r2 = 2 * (num % whole);
    if (r2 != whole) {
      if (r2 > whole) ++q;
      AppendRight(q / 100, 3, out);
      const auto h = static_cast<unsigned>(q % 100);
      out->push_back('.');
      out->push_back(static_cast<char>('0' + h / 10));
      out->push_back(static_cast<char>('0' + h % 10));
      return;
    }
  }
  fmt::format_to(fmt::appender(*out), FMT_COMPILE("{:>6.2f}"), Percent(part, whole));
}

void SizeTreeText(const gobin::SizeNode& n, uint64_t total, int depth, fmt::memory_buffer* out) {
  AppendRight(n.file_bytes, 12, out);
  out->push_back(' ');
  AppendPercent(n.file_bytes, total, out);
  out->append(std::string_view("%  "));
  for (int i = 0; i < depth * 2; ++i) out->push_back(' ');
  out->append(n.name);
  if (n.estimate) out->append(std::string_view("  (estimate)"));
  out->push_back('\n');
  for (const auto& c : n.children) SizeTreeText(c, total, depth + 1, out);
}

std::string FunctionsHeader(const gobin::FunctionTable& t, uint64_t count) {
  std::string out;
  fmt::format_to(std::back_inserter(out),
                 "  {} functions (pclntab {} layout, {} {}, at file offset {:#x}; text base {:#x} "
                 "from {})\n",
                 count, gobin::PclntabVersionName(t.header.version),
                 gobin::TableSourceName(t.source), t.source_detail, t.file_offset, t.text_start,
                 t.text_source);
  fmt::format_to(std::back_inserter(out), "  {:<18} {:>9}  {:<32} {}\n", "entry", "size", "package",
                 "name");
  return out;
}

// Room a listing line needs beyond its package and name: "  0x" + 16 hex digits + " " + a size
// (10 digits at most, right-aligned in 9 columns) + "  " + padding to 32 + " " + "\n".
constexpr size_t kLineFixed = 4 + 16 + 1 + 10 + 2 + 32 + 1 + 1;

bool IsAscii(std::string_view s) {
  uint64_t any = 0;
  if (s.size() < 8) {
    for (char c : s) any |= static_cast<unsigned char>(c);
    return (any & 0x80) == 0;
  }
  // Eight bytes at a time; the last word overlaps the one before it instead of a byte loop.
  uint64_t w;
  for (size_t i = 0; i + 8 < s.size(); i += 8) {
    std::memcpy(&w, s.data() + i, 8);
    any |= w;
  }
  std::memcpy(&w, s.data() + s.size() - 8, 8);
  any |= w;
  return (any & 0x8080808080808080ULL) == 0;
}

void AppendLeft(std::string_view s, size_t width, fmt::memory_buffer* out) {
  if (!IsAscii(s)) {
    fmt::format_to(fmt::appender(*out), "{:<{}}", s, width);
    return;
  }
  out->append(s);
  for (size_t i = s.size(); i < width; ++i) out->push_back(' ');
}

// The eight hex digits of `v`, most significant first, as the 8 bytes to store: each nibble is
// spread into a byte of its own, then mapped to '0'-'9' / 'a'-'f' in all eight bytes at once.
uint64_t HexDigits8(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000ffff0000ffffULL;
  x = (x | (x << 8)) & 0x00ff00ff00ff00ffULL;
  x = (x | (x << 4)) & 0x0f0f0f0f0f0f0f0fULL;  // byte i holds nibble i, least significant first
  if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap64(x);
  const uint64_t letters = ((x + 0x0606060606060606ULL) >> 4) & 0x0101010101010101ULL;
  return x + 0x3030303030303030ULL + letters * ('a' - '0' - 10);
}

// One listing line, "  {:#018x} {:>9}  {:<32} {}\n" of entry, size, package ("-" when none) and
// name, written at `p` by hand: fmt's parsing and padding cost more than the rest of a listing.
// The caller guarantees kLineFixed + pkg.size() + f.name.size() bytes of room and an ASCII
// package (fmt pads other text by display width). Returns the end of the line.
char* FormatFunctionLine(const gobin::Function& f, std::string_view pkg, char* p) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  p[0] = ' ';
  p[1] = ' ';
  p[2] = '0';
  p[3] = 'x';
  const uint64_t hi = HexDigits8(static_cast<uint32_t>(f.entry >> 32));
  const uint64_t lo = HexDigits8(static_cast<uint32_t>(f.entry));
  std::memcpy(p + 4, &hi, 8);
  std::memcpy(p + 12, &lo, 8);
  p[20] = ' ';
  p += 21;
  // The size, right-aligned in 9 columns, written backwards two digits at a time.
  char dec[10];
  char* d = dec + 10;
  uint32_t size = f.size;
  while (size >= 100) {
    d -= 2;
    std::memcpy(d, kPairs + size_t{2} * (size % 100), 2);
    size /= 100;
  }
  if (size >= 10) {
    d -= 2;
    std::memcpy(d, kPairs + size_t{2} * size, 2);
  } else {
    *--d = static_cast<char>('0' + size);
  }
  const auto n = static_cast<size_t>(dec + 10 - d);
  if (n < 9) {
    std::memset(p, ' ', 9);
    p += 9 - n;
  }
  std::memcpy(p, d, n);
  p += n;
  std::memset(p, ' ', 2 + 32);
  std::memcpy(p + 2, pkg.data(), pkg.size());
  p += 2 + std::max<size_t>(32, pkg.size());
  *p++ = ' ';
  std::memcpy(p, f.name.data(), f.name.size());
  p += f.name.size();
  *p++ = '\n';
  return p;
}

// The package column of a function whose package (PackageOfFunction) is `pkg`.
std::string_view PackageColumn(std::string_view pkg) {
  return pkg.empty() ? std::string_view("-") : pkg;
}

void AppendFunctionLine(const gobin::Function& f, std::string_view pkg, std::string* out) {
  if (!IsAscii(pkg)) {
    fmt::format_to(std::back_inserter(*out), "  {:#018x} {:>9}  {:<32} {}\n", f.entry, f.size, pkg,
                   f.name);
    return;
  }
  const size_t at = out->size();
  out->resize(at + kLineFixed + pkg.size() + f.name.size());
  char* end = FormatFunctionLine(f, pkg, out->data() + at);
  out->resize(static_cast<size_t>(end - out->data()));
}

}  // namespace

GoDetails ReadGoDetails(const SliceReport& slice, unsigned flags) {
  GoDetails d;
  gobin::TableSizes ts =
      gobin::ReadTableSizes(slice.object, InfoOf(slice), (flags & kDetailPackages) != 0,
                            (flags & kDetailSize) != 0, (flags & kDetailFunctions) != 0);
  if (ts.table.ok()) {
    d.table = std::move(ts.table).value();
  } else {
    d.table_error = ts.table.status().message();
  }
  d.functions = ts.functions;
  d.packages = std::move(ts.packages);
  d.size = std::move(ts.size);
  return d;
}

std::string FunctionsToText(const GoDetails& d) {
  if (!d.table) return "  functions: " + d.table_error + "\n";
  std::string out = FunctionsHeader(*d.table, d.table->funcs.size());
  out.reserve(out.size() + d.table->funcs.size() * 100);
  gobin::PackageCache packages;
  for (const gobin::Function& f : d.table->funcs) {
    AppendFunctionLine(f, PackageColumn(packages.Of(f.name)), &out);
  }
  return out;
}

namespace {

// The listing on its way out: lines are formatted straight into one buffer that goes to `out`
// in large writes. The buffer's pages are mapped up front (AnonBuffer::Populated; 16 page faults
// fewer) and kept for the next listing (base/reused_buffer.h), or taken from the heap should
// that fail. Each full buffer is one write(2) to out's descriptor: through stdio, a 64 KB fwrite
// after stdio's own buffer had bytes in it became two. After a failed write, the rest of the
// listing is dropped (as stdio would set its error flag).
struct FunctionStream {
  static constexpr size_t kChunk = 64 << 10;
  static ReusedBuffer& KeptChunk() {
    static ReusedBuffer chunk;
    return chunk;
  }
  std::FILE* out;
  bool stdio_flushed = false;
  bool write_failed = false;
  ReusedBuffer::Lease mapped = KeptChunk().Borrow(kChunk);
  std::unique_ptr<char[]> heap = mapped ? nullptr : std::make_unique_for_overwrite<char[]>(kChunk);
  char* const buf = mapped ? reinterpret_cast<char*>(mapped.bytes().data()) : heap.get();
  size_t used = 0;
  gobin::PackageCache packages;
  bool ascii = true;  // whether the current package is ASCII: checked when the package changes

  void Write(std::string_view s) {
    if (!stdio_flushed) {  // what the caller printed before the listing goes first
      std::fflush(out);
      stdio_flushed = true;
    }
    if (!write_failed && !s.empty()) {
      write_failed = !WriteAll(fileno(out), AsBytes(s), "standard output").ok();
    }
  }
  void Flush() {
    Write(std::string_view(buf, used));
    used = 0;
  }
  void Append(std::string_view s) {
    if (s.size() > kChunk - used) Flush();
    if (s.size() > kChunk) {
      Write(s);
      return;
    }
    std::memcpy(buf + used, s.data(), s.size());
    used += s.size();
  }
  static void Begin(void* ctx, const gobin::FunctionTable& t) {
    static_cast<FunctionStream*>(ctx)->Append(FunctionsHeader(t, t.header.nfunc));
  }
  static void Visit(void* ctx, const gobin::Function& f) {
    auto* s = static_cast<FunctionStream*>(ctx);
    const std::string_view pkg = PackageColumn(s->packages.Of(f.name));
    if (!s->packages.repeated()) s->ascii = IsAscii(pkg);
    const size_t need = kLineFixed + pkg.size() + f.name.size();
    if (need > kChunk - s->used) s->Flush();
    if (need > kChunk || !s->ascii) {  // a name of tens of KB, or a non-ASCII package
      std::string line;
      AppendFunctionLine(f, pkg, &line);
      s->Append(line);
      return;
    }
    s->used = static_cast<size_t>(FormatFunctionLine(f, pkg, s->buf + s->used) - s->buf);
  }
};

}  // namespace

void StreamFunctionsText(const SliceReport& slice, const MappedFile* file, std::FILE* out) {
  FunctionStream s{out};
  gobin::ReadOptions ro;
  // The slice's bytes are InspectFile's read-only file mapping: read through windows when the
  // mapping is known, else records and names already printed may leave the resident set.
  ro.file = file;
  ro.release_file_pages = true;
  ro.visit = &FunctionStream::Visit;
  ro.begin = &FunctionStream::Begin;
  ro.visit_ctx = &s;
  auto t = gobin::ReadFunctionTable(slice.object, ro);
  if (!t.ok()) {
    // Nothing is written before a whole chunk gathered: a small broken table prints the error
    // alone, as FunctionsToText does.
    s.used = 0;
    s.Append("  functions: " + t.status().message() + "\n");
  }
  s.Flush();
}

std::string PackagesToText(const GoDetails& d) {
  if (!d.packages) return "  packages: " + d.table_error + "\n";
  // fmt's own buffer, written through fmt::appender (as SizeToText does): formatting into a
  // std::string through std::back_inserter goes through an intermediate buffer, and these tables
  // run to thousands of lines.
  fmt::memory_buffer out;
  const gobin::PackageReport& p = *d.packages;
  out.reserve(300 + (p.packages.size() + p.modules.size()) * 120);
  fmt::format_to(fmt::appender(out), "  {:>12} {:>7} {:>7}  {:<44} {}\n", "code bytes", "%",
                 "funcs", "package", "module");
  // "  {:>12} {:>6.2f}% {:>7}  {:<44} {}\n" of bytes, percent, functions, name and last column.
  auto row = [&out, total = p.total_code_bytes](uint64_t bytes, uint64_t funcs,
                                                std::string_view name, std::string_view kind,
                                                std::string_view last) {
    out.append(std::string_view("  "));
    AppendRight(bytes, 12, &out);
    out.push_back(' ');
    AppendPercent(bytes, total, &out);
    out.append(std::string_view("% "));
    AppendRight(funcs, 7, &out);
    out.append(std::string_view("  "));
    if (kind.empty()) {
      AppendLeft(name, 44, &out);
    } else {  // "module (kind)"
      const std::string label = fmt::format("{} ({})", name, kind);
      AppendLeft(label, 44, &out);
    }
    out.push_back(' ');
    out.append(last);
    out.push_back('\n');
  };
  for (const auto& pk : p.packages) row(pk.code_bytes, pk.functions, pk.package, {}, pk.module);
  fmt::format_to(fmt::appender(out), "\n  {:>12} {:>7} {:>7}  {:<44} {}\n", "code bytes", "%",
                 "funcs", "module", "packages");
  for (const auto& m : p.modules) {
    char count[20];
    const auto* end = std::to_chars(count, count + sizeof count, m.packages).ptr;
    row(m.code_bytes, m.functions, m.module, gobin::ModuleKindName(m.kind),
        std::string_view(count, static_cast<size_t>(end - count)));
  }
  fmt::format_to(fmt::appender(out), "  {:>12} {:>7} {:>7}  total ({} packages, {} modules)\n",
                 p.total_code_bytes, "100.00%", p.total_functions, p.packages.size(),
                 p.modules.size());
  return fmt::to_string(out);
}

std::string SizeToText(const GoDetails& d, uint64_t file_size) {
  if (!d.size) return {};
  fmt::memory_buffer out;
  // Room for every line at once (about 70 bytes each): growing 500 bytes at a time took five
  // copies of restic's table.
  size_t nodes = 0;
  auto count = [&nodes](const gobin::SizeNode& n, const auto& self) -> void {
    ++nodes;
    for (const gobin::SizeNode& c : n.children) self(c, self);
  };
  count(*d.size, count);
  out.reserve(100 + nodes * 80);
  fmt::format_to(fmt::appender(out), "  {:>12} {:>7}  {}\n", "file bytes", "%",
                 "section > module > package");
  SizeTreeText(*d.size, file_size, 0, &out);
  return fmt::to_string(out);
}

Json FunctionTableToJson(const gobin::FunctionTable& t, uint64_t functions, bool with_functions) {
  Json j = {{"layout", gobin::PclntabVersionName(t.header.version)},
            {"magic", fmt::format("{:#x}", t.header.magic)},
            {"source", gobin::TableSourceName(t.source)},
            {"source_detail", t.source_detail},
            {"file_offset", t.file_offset},
            {"addr", t.addr},
            {"size", t.size},
            {"text_start", t.text_start},
            {"text_source", t.text_source},
            {"text_sections", t.text_sections.size()},
            {"nfunc", t.header.nfunc},
            {"count", functions}};
  if (with_functions) {
    Json fs = Json::array();
    for (const gobin::Function& f : t.funcs) {
      fs.push_back(Json{{"entry", f.entry},
                        {"size", f.size},
                        {"package", std::string(f.package())},
                        {"name", std::string(f.name)}});
    }
    j["functions"] = std::move(fs);
  }
  return j;
}

Json PackagesToJson(const gobin::PackageReport& p) {
  Json pk = Json::array();
  for (const auto& x : p.packages) {
    pk.push_back(Json{{"package", x.package},
                      {"module", x.module},
                      {"kind", gobin::ModuleKindName(x.kind)},
                      {"code_bytes", x.code_bytes},
                      {"functions", x.functions}});
  }
  Json md = Json::array();
  for (const auto& m : p.modules) {
    md.push_back(Json{{"module", m.module},
                      {"kind", gobin::ModuleKindName(m.kind)},
                      {"code_bytes", m.code_bytes},
                      {"functions", m.functions},
                      {"packages", m.packages}});
  }
  return Json{{"packages", std::move(pk)},
              {"modules", std::move(md)},
              {"total_code_bytes", p.total_code_bytes},
              {"total_functions", p.total_functions}};
}

Json SizeNodeToJson(const gobin::SizeNode& n) {
  Json j = {
      {"name", n.name}, {"kind", gobin::SizeNodeKindName(n.kind)}, {"file_bytes", n.file_bytes}};
  if (n.kind == gobin::SizeNodeKind::kSection) j["vm_bytes"] = n.vm_bytes;
  if (n.functions) j["functions"] = n.functions;
  if (n.estimate) j["estimate"] = true;
  if (!n.children.empty()) {
    Json c = Json::array();
    for (const auto& ch : n.children) c.push_back(SizeNodeToJson(ch));
    j["children"] = std::move(c);
  }
  return j;
}

void AddDetailsToJson(const GoDetails& d, unsigned flags, Json* j) {
  if (d.table) {
    (*j)["function_table"] =
        FunctionTableToJson(*d.table, d.functions, (flags & kDetailFunctions) != 0);
  } else {
    (*j)["function_table"] = Json{{"error", d.table_error}};
  }
  if (flags & kDetailPackages) {
    (*j)["packages"] = d.packages ? PackagesToJson(*d.packages) : Json(nullptr);
  }
  if ((flags & kDetailSize) && d.size) (*j)["size_map"] = SizeNodeToJson(*d.size);
}

}  // namespace barekit::inspect
