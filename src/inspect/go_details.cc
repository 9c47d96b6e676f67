#include "inspect/go_details.h"

#include <fmt/format.h>

#include <charconv>
#include <cstring>

namespace barekit::inspect {
namespace {

using Json = nlohmann::ordered_json;

const gobin::BuildInfo* InfoOf(const SliceReport& s) {
  return s.go && s.go->build_info ? &*s.go->build_info : nullptr;
}

double Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

void SizeTreeText(const gobin::SizeNode& n, uint64_t total, int depth, std::string* out) {
  fmt::format_to(std::back_inserter(*out), "{:>12} {:>6.2f}%  {:{}}{}{}\n", n.file_bytes,
                 Percent(n.file_bytes, total), "", depth * 2, n.name,
                 n.estimate ? "  (estimate)" : "");
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

// One listing line, "  {:#018x} {:>9}  {:<32} {}\n" of entry, size, package ("-" when none) and
// name, formatted by hand: fmt's parsing and padding cost more than the rest of a listing.
// A package with non-ASCII bytes goes through fmt, whose padding counts display width.
void AppendFunctionLine(const gobin::Function& f, std::string* out) {
  std::string_view pkg = f.package();
  if (pkg.empty()) pkg = "-";
  for (char c : pkg) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      fmt::format_to(std::back_inserter(*out), "  {:#018x} {:>9}  {:<32} {}\n", f.entry, f.size,
                     pkg, f.name);
      return;
    }
  }
  char buf[96];
  char* p = buf;
  std::memcpy(p, "  0x", 4);
  p += 4;
  char hex[16];
  char* hex_end = std::to_chars(hex, hex + sizeof hex, f.entry, 16).ptr;
  const auto digits = static_cast<size_t>(hex_end - hex);
  std::memset(p, '0', 16 - digits);
  std::memcpy(p + (16 - digits), hex, digits);
  p += 16;
  *p++ = ' ';
  char dec[16];
  char* dec_end = std::to_chars(dec, dec + sizeof dec, f.size).ptr;
  const auto ddigits = static_cast<size_t>(dec_end - dec);
  if (ddigits < 9) {
    std::memset(p, ' ', 9 - ddigits);
    p += 9 - ddigits;
  }
  std::memcpy(p, dec, ddigits);
  p += ddigits;
  *p++ = ' ';
  *p++ = ' ';
  out->append(buf, static_cast<size_t>(p - buf));
  out->append(pkg);
  if (pkg.size() < 32) out->append(32 - pkg.size(), ' ');
  out->push_back(' ');
  out->append(f.name);
  out->push_back('\n');
}

}  // namespace

GoDetails ReadGoDetails(const SliceReport& slice, unsigned flags) {
  GoDetails d;
  auto t = gobin::ReadFunctionTable(slice.object);
  if (t.ok()) {
    d.table = std::move(t).value();
  } else {
    d.table_error = t.status().message();
  }
  const gobin::BuildInfo* info = InfoOf(slice);
  // The packages are indexed once for both reports (none without a table).
  gobin::PackageIndex ix;
  if (d.table && (flags & (kDetailPackages | kDetailSize)))
    ix = gobin::IndexPackages(*d.table, info);
  if ((flags & kDetailPackages) && d.table) d.packages = gobin::SizeByPackage(*d.table, ix);
  if (flags & kDetailSize)
    d.size = gobin::BuildSizeMap(slice.object, d.table ? &*d.table : nullptr, ix);
  return d;
}

std::string FunctionsToText(const GoDetails& d) {
  if (!d.table) return "  functions: " + d.table_error + "\n";
  std::string out = FunctionsHeader(*d.table, d.table->funcs.size());
  out.reserve(out.size() + d.table->funcs.size() * 100);
  for (const gobin::Function& f : d.table->funcs) AppendFunctionLine(f, &out);
  return out;
}

namespace {

// The listing on its way out: lines gather in `buf` and go to `out` in large writes.
struct FunctionStream {
  static constexpr size_t kChunk = 128 << 10;
  std::FILE* out;
  std::string buf;

  void Flush() {
    std::fwrite(buf.data(), 1, buf.size(), out);
    buf.clear();
  }
  static void Begin(void* ctx, const gobin::FunctionTable& t) {
    auto* s = static_cast<FunctionStream*>(ctx);
    s->buf += FunctionsHeader(t, t.header.nfunc);
  }
  static void Visit(void* ctx, const gobin::Function& f) {
    auto* s = static_cast<FunctionStream*>(ctx);
    AppendFunctionLine(f, &s->buf);
    if (s->buf.size() >= kChunk) s->Flush();
  }
};

}  // namespace

void StreamFunctionsText(const SliceReport& slice, std::FILE* out) {
  FunctionStream s{out, {}};
  s.buf.reserve(FunctionStream::kChunk + (64 << 10));
  gobin::ReadOptions ro;
  // The slice's bytes are InspectFile's read-only file mapping: records and names already
  // printed may leave the resident set.
  ro.release_file_pages = true;
  ro.visit = &FunctionStream::Visit;
  ro.begin = &FunctionStream::Begin;
  ro.visit_ctx = &s;
  auto t = gobin::ReadFunctionTable(slice.object, ro);
  if (!t.ok()) {
    // Nothing is written before a whole chunk gathered: a small broken table prints the error
    // alone, as FunctionsToText does.
    s.buf.clear();
    s.buf += "  functions: " + t.status().message() + "\n";
  }
  s.Flush();
}

std::string PackagesToText(const GoDetails& d) {
  std::string out;
  if (!d.packages) return "  packages: " + d.table_error + "\n";
  const gobin::PackageReport& p = *d.packages;
  fmt::format_to(std::back_inserter(out), "  {:>12} {:>7} {:>7}  {:<44} {}\n", "code bytes", "%",
                 "funcs", "package", "module");
  for (const auto& pk : p.packages) {
    fmt::format_to(std::back_inserter(out), "  {:>12} {:>6.2f}% {:>7}  {:<44} {}\n", pk.code_bytes,
                   Percent(pk.code_bytes, p.total_code_bytes), pk.functions, pk.package, pk.module);
  }
  fmt::format_to(std::back_inserter(out), "\n  {:>12} {:>7} {:>7}  {:<44} {}\n", "code bytes", "%",
                 "funcs", "module", "packages");
  for (const auto& m : p.modules) {
    fmt::format_to(std::back_inserter(out), "  {:>12} {:>6.2f}% {:>7}  {:<44} {}\n", m.code_bytes,
                   Percent(m.code_bytes, p.total_code_bytes), m.functions,
                   m.module + " (" + std::string(gobin::ModuleKindName(m.kind)) + ")", m.packages);
  }
  fmt::format_to(std::back_inserter(out), "  {:>12} {:>7} {:>7}  total ({} packages, {} modules)\n",
                 p.total_code_bytes, "100.00%", p.total_functions, p.packages.size(),
                 p.modules.size());
  return out;
}

std::string SizeToText(const GoDetails& d, uint64_t file_size) {
  std::string out;
  if (!d.size) return out;
  fmt::format_to(std::back_inserter(out), "  {:>12} {:>7}  {}\n", "file bytes", "%",
                 "section > module > package");
  SizeTreeText(*d.size, file_size, 0, &out);
  return out;
}

Json FunctionTableToJson(const gobin::FunctionTable& t, bool with_functions) {
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
            {"count", t.funcs.size()}};
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
    (*j)["function_table"] = FunctionTableToJson(*d.table, (flags & kDetailFunctions) != 0);
  } else {
    (*j)["function_table"] = Json{{"error", d.table_error}};
  }
  if (flags & kDetailPackages) {
    (*j)["packages"] = d.packages ? PackagesToJson(*d.packages) : Json(nullptr);
  }
  if ((flags & kDetailSize) && d.size) (*j)["size_map"] = SizeNodeToJson(*d.size);
}

}  // namespace barekit::inspect
