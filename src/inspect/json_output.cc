#include "inspect/json_output.h"

namespace barekit::inspect {
namespace {

using Json = nlohmann::ordered_json;

Json StrOrNull(std::string_view s) { return s.empty() ? Json(nullptr) : Json(std::string(s)); }

Json ModuleJson(const gobin::Module& m) {
  Json j = {{"path", m.path}, {"version", m.version}, {"sum", m.sum}};
  if (m.replace) {
    j["replace"] = {
        {"path", m.replace->path}, {"version", m.replace->version}, {"sum", m.replace->sum}};
  }
  return j;
}

Json GoJson(const GoFacts& go) {
  Json j = Json::object();
  if (go.build_info) {
    const gobin::BuildInfo& bi = *go.build_info;
    j["version"] = bi.go_version;
    j["path"] = StrOrNull(bi.path);
    j["main"] = bi.main ? ModuleJson(*bi.main) : Json(nullptr);
    Json deps = Json::array();
    for (const auto& d : bi.deps) deps.push_back(ModuleJson(d));
    j["deps"] = std::move(deps);
    Json settings = Json::object();
    for (const auto& s : bi.settings) settings[s.key] = s.value;
    j["settings"] = std::move(settings);
    j["buildinfo"] = bi.inline_layout ? "inline" : "pointer";
  } else {
    j["version"] = go.recovered && !go.recovered->version.empty() ? Json(go.recovered->version)
                                                                  : Json(nullptr);
    j["path"] = nullptr;
    j["main"] = nullptr;
    j["deps"] = Json::array();
    j["settings"] = Json::object();
    j["buildinfo"] = "missing";
    j["buildinfo_error"] = go.build_info_error;
    if (go.recovered) {
      const gobin::GoVersionGuess& g = *go.recovered;
      j["version_source"] = StrOrNull(g.version_source);
      j["recovered"] = {{"goos", StrOrNull(g.goos)},
                        {"goos_source", StrOrNull(g.goos_source)},
                        {"goarch", StrOrNull(g.goarch)},
                        {"goarch_source", StrOrNull(g.goarch_source)},
                        {"layout_hint", StrOrNull(g.layout_hint)}};
    }
  }
  j["build_id"] = go.build_id ? Json(*go.build_id) : Json(nullptr);
  return j;
}

Json LinkageJson(const exe::Linkage& l) {
  Json needed = Json::array();
  for (const auto& n : l.needed) needed.push_back(n);
  Json versions = Json::object();
  for (const auto& v : l.version_needs) versions[v.library] = v.highest;
  Json j = {{"kind", exe::LinkKindName(l.kind)},
            {"interpreter", StrOrNull(l.interpreter)},
            {"needed", std::move(needed)},
            {"rpath", l.rpath},
            {"runpath", l.runpath},
            {"version_needs", std::move(versions)},
            {"libc", StrOrNull(l.libc)}};
  const char* relro = l.relro == exe::Relro::kFull      ? "full"
                      : l.relro == exe::Relro::kPartial ? "partial"
                                                        : "none";
  j["hardening"] = {
      {"pie", l.pie}, {"nx_stack", l.nx_stack}, {"relro", relro}, {"bind_now", l.bind_now}};
  return j;
}

}  // namespace

Json SliceToJson(const FileReport& file, const SliceReport& slice) {
  const exe::ObjectFile& o = slice.object;
  Json j;
  j["file"] = file.path;
  j["format"] = exe::FormatName(o.format);
  j["os"] = StrOrNull(o.os);
  j["arch"] = o.arch.empty() ? Json(nullptr) : Json(std::string(o.arch));
  if (o.arch.empty()) j["machine"] = o.machine;
  j["bits"] = o.ptr_size * 8;
  j["endian"] = o.endian == Endian::kLittle ? "little" : "big";
  j["size"] = file.size;
  j["go"] = slice.go ? GoJson(*slice.go) : Json(nullptr);
  j["linkage"] = LinkageJson(o.linkage);
  Json dwarf_sections = Json::array();
  for (auto s : o.dwarf_sections) dwarf_sections.push_back(std::string(s));
  j["symbols"] = {{"symtab", o.has_symtab},
                  {"dwarf", o.has_dwarf},
                  {"dynsym", o.has_dynsym},
                  {"dwarf_sections", std::move(dwarf_sections)}};
  j["packer"] = StrOrNull(o.packer);
  if (!o.packer_detail.empty()) j["packer_detail"] = o.packer_detail;
  return j;
}

Json FileToJson(const FileReport& file) {
  if (!file.error.empty() || file.slices.empty()) {
    return Json{{"file", file.path}, {"error", file.error.empty() ? "no object" : file.error}};
  }
  Json j = SliceToJson(file, file.slices.front());
  if (file.slices.size() > 1) {
    Json slices = Json::array();
    for (const auto& s : file.slices) {
      Json sj = SliceToJson(file, s);
      sj["slice_offset"] = s.object.slice_offset;
      slices.push_back(std::move(sj));
    }
    j["slices"] = std::move(slices);
  }
  return j;
}

}  // namespace barekit::inspect
