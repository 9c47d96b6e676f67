#include "gobin/goversion_recover.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "fmt/format.h"

namespace barekit::gobin {
namespace {

struct VersionString {
  uint64_t addr;
  size_t prefix_len;  // length of the "go1.N.M" part
  std::string_view section;
};

// Every "go1..." prefix in read-only, non-executable sections (where Go keeps string data),
// except inside the function table [table_addr, table_end): runtime.buildVersion's bytes are
// never there, while its file names may hold toolchain paths ("toolchain@v0.0.1-go1.22.1"), and
// it is most of those bytes (esbuild 0.28: 3.5 of 4.9 MB, 60 page faults of a 7 ms inspect).
std::vector<VersionString> FindVersionStrings(const exe::ObjectFile& obj, uint64_t table_addr,
                                              uint64_t table_end) {
  std::vector<VersionString> out;
  auto scan = [&](const exe::Section& s, std::string_view text, uint64_t from, uint64_t to) {
    for (size_t at = text.find("go1", from);
         at != std::string_view::npos && at < to && out.size() < 4096;
         at = text.find("go1", at + 3)) {
      std::string_view v = GoVersionPrefix(text.substr(at, 40));
      if (v.size() < 6) continue;  // at least "go1.NN"
      out.push_back({s.addr + at, v.size(), s.name});
    }
  };
  for (const exe::Section& s : obj.sections) {
    if (s.file_size == 0 || s.executable || s.writable || !s.alloc) continue;
    auto d = obj.SectionData(s);
    if (!d) continue;
    const std::string_view text = AsStringView(*d);
    // The table's bytes inside this section, as offsets into it (none when they do not meet).
    const uint64_t lo = std::clamp(table_addr, s.addr, s.addr + text.size()) - s.addr;
    const uint64_t hi = std::clamp(table_end, s.addr, s.addr + text.size()) - s.addr;
    if (lo < hi) {
      scan(s, text, 0, lo);
      scan(s, text, hi, text.size());
    } else {
      scan(s, text, 0, text.size());
    }
  }
  std::sort(out.begin(), out.end(),
            [](const VersionString& a, const VersionString& b) { return a.addr < b.addr; });
  return out;
}

// A Go string header {ptr, len} in data whose ptr is a version string and whose len covers it
// (buildVersion may carry a suffix such as " X:nocoverageredesign").
bool FindStringHeader(const exe::ObjectFile& obj, const std::vector<VersionString>& cands,
                      GoVersionGuess* g) {
  if (cands.empty()) return false;
  const auto ps = static_cast<size_t>(obj.ptr_size);
  const uint64_t lo = cands.front().addr, hi = cands.back().addr;
  for (int pass = 0; pass < 2; ++pass) {
    for (const exe::Section& s : obj.sections) {
      // Writable data first (runtime.buildVersion is a linker-initialised variable).
      if (s.file_size == 0 || s.executable || !s.alloc || s.writable != (pass == 0)) continue;
      auto d = obj.SectionData(s);
      if (!d) continue;
      const size_t fix = static_cast<size_t>((ps - s.addr % ps) % ps);
      for (size_t i = fix; i + 2 * ps <= d->size(); i += ps) {
        uint64_t p = LoadUint(d->data() + i, ps, obj.endian);
        if (p < lo || p > hi) continue;
        auto it = std::lower_bound(cands.begin(), cands.end(), p,
                                   [](const VersionString& v, uint64_t a) { return v.addr < a; });
        if (it == cands.end() || it->addr != p) continue;
        uint64_t len = LoadUint(d->data() + i + ps, ps, obj.endian);
        if (len < it->prefix_len || len > it->prefix_len + 64) continue;
        auto str = obj.ReadAt(p, len);
        if (!str) continue;
        std::string_view v = AsStringView(*str);
        if (!std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
          continue;
        g->version = std::string(v);
        g->version_source =
            fmt::format("runtime.buildVersion: string header at {:#x} ({}) pointing to {:#x} ({})",
                        s.addr + i, s.name, p, it->section);
        return true;
      }
    }
  }
  return false;
}

// _rt0_<goarch>_<goos>[_lib]: the entry point's name. False when `name` is not one.
bool ParseRt0Name(std::string_view name, std::string_view* arch, std::string_view* os) {
  if (!name.starts_with("_rt0_")) return false;
  std::string_view rest = name.substr(5);
  size_t u = rest.find('_');
  if (u == std::string_view::npos || u == 0) return false;
  *arch = rest.substr(0, u);
  *os = rest.substr(u + 1);
  *os = os->substr(0, os->find('_'));
  return !os->empty();
}

// The entry point's name in the function table.
bool FromRt0Function(std::string_view name, uint64_t entry, GoVersionGuess* g) {
  std::string_view arch, os;
  if (!ParseRt0Name(name, &arch, &os)) return false;
  const std::string src = fmt::format("pclntab function {} at {:#x}", name, entry);
  g->goarch = std::string(arch);
  g->goarch_source = src;
  g->goos = std::string(os);
  g->goos_source = src;
  return true;
}

bool FromRt0Function(const FunctionTable& t, const Rt0Function* rt0, GoVersionGuess* g) {
  for (const Function& f : t.funcs) {
    if (FromRt0Function(f.name, f.entry, g)) return true;
  }
  return t.funcs.empty() && rt0 != nullptr && FromRt0Function(rt0->name, rt0->entry, g);
}

// .../rt0_<goos>_<goarch>.s in the file table (survives -trimpath as runtime/rt0_...).
bool FromRt0File(const FunctionTable& t, GoVersionGuess* g) {
  std::string_view data = AsStringView(t.data);
  for (size_t at = data.find("rt0_"); at != std::string_view::npos;
       at = data.find("rt0_", at + 4)) {
    if (at == 0 || data[at - 1] != '/') continue;
    std::string_view name = data.substr(at + 4, 48);
    size_t dot = name.find(".s");
    size_t u = name.find('_');
    if (dot == std::string_view::npos || u == std::string_view::npos || u > dot) continue;
    std::string_view os = name.substr(0, u), arch = name.substr(u + 1, dot - u - 1);
    if (os.empty() || arch.empty() || arch.find('_') != std::string_view::npos) continue;
    const std::string src =
        fmt::format("pclntab file name rt0_{}_{}.s at table offset {:#x}", os, arch, at);
    g->goos = std::string(os);
    g->goos_source = src;
    g->goarch = std::string(arch);
    g->goarch_source = src;
    return true;
  }
  return false;
}

// runtime/os_<goos>.go and runtime/asm_<goarch>.s in the file table: every Go program links them,
// cgo binaries (whose entry point is C's) included.
std::string_view RuntimeFileToken(std::string_view data, std::string_view prefix,
                                  std::string_view suffix, uint64_t* at_out) {
  for (size_t at = data.find(prefix); at != std::string_view::npos;
       at = data.find(prefix, at + prefix.size())) {
    std::string_view rest = data.substr(at + prefix.size(), 24);
    size_t n = 0;
    while (n < rest.size() &&
           ((rest[n] >= 'a' && rest[n] <= 'z') || (rest[n] >= '0' && rest[n] <= '9')))
      ++n;
    if (n == 0 || !rest.substr(n).starts_with(suffix)) continue;
    *at_out = at;
    return rest.substr(0, n);
  }
  return {};
}

bool FromRuntimeFiles(const FunctionTable& t, GoVersionGuess* g) {
  std::string_view data = AsStringView(t.data);
  uint64_t at = 0;
  std::string_view os = RuntimeFileToken(data, "runtime/os_", ".go", &at);
  if (!os.empty()) {
    g->goos = std::string(os);
    g->goos_source =
        fmt::format("pclntab file name runtime/os_{}.go at table offset {:#x}", os, at);
  }
  std::string_view arch = RuntimeFileToken(data, "runtime/asm_", ".s", &at);
  if (!arch.empty()) {
    g->goarch = std::string(arch);
    g->goarch_source =
        fmt::format("pclntab file name runtime/asm_{}.s at table offset {:#x}", arch, at);
  }
  return !os.empty() || !arch.empty();
}

}  // namespace

std::string_view GoVersionPrefix(std::string_view s) {
  if (!s.starts_with("go1")) return {};
  size_t i = 3;
  auto digits = [&]() {
    size_t b = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > b;
  };
  size_t good = 3;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return s.substr(0, good);
    good = i;
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (digits()) good = i;
    } else {
      for (std::string_view pre : {"rc", "beta"}) {
        if (s.substr(i).starts_with(pre)) {
          i += pre.size();
          if (digits()) good = i;
          break;
        }
      }
    }
  }
  return s.substr(0, good);
}

void NoteRt0Function(void* rt0, const Function& f) {
  auto* r = static_cast<Rt0Function*>(rt0);
  std::string_view arch, os;
  if (!r->found && ParseRt0Name(f.name, &arch, &os)) {
    r->name = std::string(f.name);
    r->entry = f.entry;
    r->found = true;
  }
}

GoVersionGuess RecoverGoVersion(const exe::ObjectFile& obj, const FunctionTable* table,
                                const Rt0Function* rt0) {
  GoVersionGuess g;
  // A table in a section of its own ends with it. One found by symbol or magic inside read-only
  // data (PE's .rdata) is known to span at least to its functab: the name, CU, file and pc
  // tables lie before it, by the header's own offsets; past it, the records' end is not known
  // without decoding them, and the version string may follow.
  uint64_t table_addr = 0, table_end = 0;
  if (table != nullptr && table->addr != 0) {
    table_addr = table->addr;
    table_end = table->addr + (table->source == TableSource::kSection
                                   ? table->size
                                   : std::min(table->size, table->header.functab_off));
  }
  auto cands = FindVersionStrings(obj, table_addr, table_end);
  if (!FindStringHeader(obj, cands, &g) && !cands.empty()) {
    // PIE binaries keep the pointer in a relocation, not in the file: take the first full
    // "go1.N.M" string, and say it was not confirmed by a string header.
    for (const VersionString& c : cands) {
      auto b = obj.ReadAt(c.addr, c.prefix_len);
      if (!b) continue;
      std::string_view v = AsStringView(*b);
      if (std::count(v.begin(), v.end(), '.') < 2 && v.find("rc") == std::string_view::npos) {
        continue;
      }
      g.version = std::string(v);
      g.version_source = fmt::format(
          "string scan: first Go release string at {:#x} ({}), no string header "
          "found in data (estimate)",
          c.addr, c.section);
      break;
    }
  }
  if (table != nullptr) {
    if (!FromRt0Function(*table, rt0, &g) && !FromRt0File(*table, &g)) {
      FromRuntimeFiles(*table, &g);
    }
    switch (table->header.version) {
      case PclntabVersion::kGo12:
        g.layout_hint = "go1.2-go1.15";
        break;
      case PclntabVersion::kGo116:
        g.layout_hint = "go1.16-go1.17";
        break;
      case PclntabVersion::kGo118:
        g.layout_hint = "go1.18-go1.19";
        break;
      case PclntabVersion::kGo120:
        g.layout_hint = table->header.header_text_start == 0 ? "go1.26+" : "go1.20-go1.25";
        break;
    }
  }
  const std::string header = fmt::format("{} header", exe::FormatName(obj.format));
  if (g.goos.empty() && !obj.os.empty()) {
    g.goos = std::string(obj.os);
    g.goos_source = header;
  } else if (!g.goos.empty() && !obj.os.empty()) {
    g.goos_source += obj.os == g.goos ? "; agrees with the " + header
                                      : fmt::format("; the {} says {}", header, obj.os);
  }
  if (g.goarch.empty() && !obj.arch.empty()) {
    g.goarch = std::string(obj.arch);
    g.goarch_source = header;
  } else if (!g.goarch.empty() && !obj.arch.empty()) {
    g.goarch_source += obj.arch == g.goarch ? "; agrees with the " + header
                                            : fmt::format("; the {} says {}", header, obj.arch);
  }
  return g;
}

}  // namespace barekit::gobin
