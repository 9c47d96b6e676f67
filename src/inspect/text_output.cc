#include "inspect/text_output.h"

#include <fmt/format.h>

namespace barekit::inspect {
namespace {

void Row(std::string* out, std::string_view key, std::string_view value) {
  fmt::format_to(std::back_inserter(*out), "  {:<10} {}\n", key, value);
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += sep;
    s += v[i];
  }
  return s;
}

std::string FormatLine(const exe::ObjectFile& o) {
  std::string_view fmtname = o.format == exe::Format::kElf  ? "ELF"
                             : o.format == exe::Format::kPe ? (o.ptr_size == 8 ? "PE32+" : "PE32")
                                                            : "Mach-O";
  std::string platform = fmt::format("{}/{}", o.os.empty() ? "?" : o.os,
                                     o.arch.empty() ? std::string_view(o.machine) : o.arch);
  return fmt::format("{} {}-bit {}, {}", fmtname, o.ptr_size * 8,
                     o.endian == Endian::kLittle ? "little-endian" : "big-endian", platform);
}

void GoRows(std::string* out, const exe::ObjectFile& o, const GoFacts& go,
            const TextOptions& opts) {
  if (!go.build_info) {
    std::string line = "Go binary, build info missing";
    if (go.recovered && !go.recovered->version.empty()) {
      line = fmt::format("{} (recovered from {}); build info missing", go.recovered->version,
                         go.recovered->version_source);
    } else if (go.recovered && !go.recovered->layout_hint.empty()) {
      line = fmt::format("{} (from the function table layout); build info missing",
                         go.recovered->layout_hint);
    }
    Row(out, "go", line);
  } else {
    const gobin::BuildInfo& bi = *go.build_info;
    std::string line = bi.go_version;
    if (!bi.path.empty()) line += "  " + bi.path;
    if (bi.main)
      line += fmt::format("  (module {} {})", bi.main->path, bi.main->version);
    else
      line += "  (no module info)";
    Row(out, "go", line);
    if (!bi.deps.empty()) {
      if (opts.verbose) {
        for (size_t i = 0; i < bi.deps.size(); ++i) {
          const auto& d = bi.deps[i];
          std::string dl = d.path + " " + d.version;
          if (d.replace) dl += " => " + d.replace->path + " " + d.replace->version;
          Row(out, i == 0 ? "deps" : "", dl);
        }
      } else {
        Row(out, "deps", fmt::format("{} modules (-v lists them)", bi.deps.size()));
      }
    }
    std::vector<std::string> key_settings;
    for (const auto& s : bi.settings) {
      static constexpr std::string_view kKeys[] = {"CGO_ENABLED", "-trimpath",    "-tags",
                                                   "-ldflags",    "-buildmode",   "GOAMD64",
                                                   "GOARM",       "vcs.revision", "vcs.modified"};
      bool key = opts.verbose;
      for (auto k : kKeys) key = key || s.key == k;
      if (key) key_settings.push_back(s.key + "=" + s.value);
    }
    if (!key_settings.empty()) Row(out, "settings", Join(key_settings, " "));
  }
  if (go.build_id) Row(out, "build id", *go.build_id);
  (void)o;
}

}  // namespace

std::string FileToText(const FileReport& file, const TextOptions& opts) {
  std::string out = file.path + "\n";
  if (!file.error.empty()) {
    Row(&out, "error", file.error);
    return out;
  }
  for (const SliceReport& s : file.slices) {
    const exe::ObjectFile& o = s.object;
    if (file.slices.size() > 1) {
      Row(&out, "slice", fmt::format("{} at offset {:#x}", o.arch, o.slice_offset));
    }
    Row(&out, "format", FormatLine(o));
    if (s.go)
      GoRows(&out, o, *s.go, opts);
    else
      Row(&out, "go", "not a Go binary");
    const exe::Linkage& l = o.linkage;
    std::string link(exe::LinkKindName(l.kind));
    if (!l.interpreter.empty()) link += ", interpreter " + l.interpreter;
    if (!l.libc.empty()) link += ", " + l.libc;
    Row(&out, "linkage", link);
    if (!l.needed.empty()) {
      std::vector<std::string> libs;
      for (const auto& n : l.needed) {
        std::string e = n;
        for (const auto& v : l.version_needs) {
          if (v.library == n && !v.highest.empty()) e += " (" + v.highest + ")";
        }
        libs.push_back(e);
      }
      Row(&out, "needs", Join(libs, ", "));
    }
    if (!l.rpath.empty()) Row(&out, "rpath", Join(l.rpath, ":"));
    if (!l.runpath.empty()) Row(&out, "runpath", Join(l.runpath, ":"));
    std::vector<std::string> hard;
    hard.emplace_back(l.pie ? "PIE" : "no PIE");
    hard.emplace_back(l.nx_stack ? "NX stack" : "executable stack");
    if (o.format == exe::Format::kElf) {
      hard.emplace_back(l.relro == exe::Relro::kFull      ? "full RELRO"
                        : l.relro == exe::Relro::kPartial ? "partial RELRO"
                                                          : "no RELRO");
      if (l.bind_now) hard.emplace_back("BIND_NOW");
    }
    Row(&out, "hardening", Join(hard, ", "));
    std::string sym;
    if (!o.has_symtab && !o.has_dwarf)
      sym = "stripped: no symbol table, no DWARF";
    else
      sym = fmt::format("symbol table {}, DWARF {}", o.has_symtab ? "yes" : "no",
                        o.has_dwarf ? "yes" : "no");
    if (s.go && !o.has_symtab && !o.has_dwarf) {
      const gobin::BuildInfo* bi = s.go->build_info ? &*s.go->build_info : nullptr;
      const std::string* ld = bi ? bi->Setting("-ldflags") : nullptr;
      if (ld == nullptr) sym += " (-ldflags=\"-s -w\" inferred)";
    }
    Row(&out, "symbols", sym);
    if (!o.packer.empty()) {
      Row(&out, "packed", o.packer_detail.empty() ? o.packer : o.packer_detail);
    }
  }
  return out;
}

}  // namespace barekit::inspect
