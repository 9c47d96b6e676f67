#include "inspect/diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>

namespace barekit::inspect {
namespace {

using Json = nlohmann::ordered_json;

const gobin::BuildInfo* Info(const FileReport& f) {
  if (f.slices.empty() || !f.slices[0].go || !f.slices[0].go->build_info) return nullptr;
  return &*f.slices[0].go->build_info;
}

std::string GoVersion(const FileReport& f) {
  if (f.slices.empty() || !f.slices[0].go) return "";
  const GoFacts& g = *f.slices[0].go;
  if (g.build_info) return g.build_info->go_version;
  if (g.recovered) return g.recovered->version;
  return "";
}

std::string ModuleText(const gobin::Module& m) {
  std::string s = m.version;
  if (m.replace) s += " => " + m.replace->path + " " + m.replace->version;
  return s;
}

// Changes between two name -> value maps, in name order.
std::vector<Change> DiffMaps(const std::map<std::string, std::string>& a,
                             const std::map<std::string, std::string>& b) {
  std::vector<Change> out;
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      out.push_back({ia->first, ia->second, std::nullopt});
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      out.push_back({ib->first, std::nullopt, ib->second});
      ++ib;
    } else {
      if (ia->second != ib->second) out.push_back({ia->first, ia->second, ib->second});
      ++ia;
      ++ib;
    }
  }
  return out;
}

template <typename Row, typename Key>
std::vector<SizeDelta> DiffSizes(const std::vector<Row>* a, const std::vector<Row>* b, Key key) {
  std::map<std::string, SizeDelta> m;
  auto add = [&](const std::vector<Row>* rows, bool is_new) {
    if (rows == nullptr) return;
    for (const Row& r : *rows) {
      SizeDelta& d = m[key(r)];
      d.name = key(r);
      if constexpr (requires { r.package; }) d.module = r.module;
      (is_new ? d.new_bytes : d.old_bytes) += static_cast<int64_t>(r.code_bytes);
    }
  };
  add(a, false);
  add(b, true);
  std::vector<SizeDelta> out;
  for (auto& [k, d] : m) {
    if (d.delta() != 0) out.push_back(d);
  }
  std::stable_sort(out.begin(), out.end(), [](const SizeDelta& x, const SizeDelta& y) {
    return std::llabs(x.delta()) > std::llabs(y.delta());
  });
  return out;
}

std::string Signed(int64_t v) { return fmt::format("{:+}", v); }

std::string Pct(int64_t old_v, int64_t new_v) {
  if (old_v == 0) return new_v == 0 ? "" : "new";
  if (new_v == 0) return "gone";
  return fmt::format("{:+.1f}%",
                     100.0 * static_cast<double>(new_v - old_v) / static_cast<double>(old_v));
}

Json ChangeJson(const Change& c) {
  return Json{{"name", c.name},
              {"old", c.old_value ? Json(*c.old_value) : Json(nullptr)},
              {"new", c.new_value ? Json(*c.new_value) : Json(nullptr)}};
}

Json DeltaJson(const SizeDelta& d) {
  Json j = {{"name", d.name}};
  if (!d.module.empty()) j["module"] = d.module;
  j["old_bytes"] = d.old_bytes;
  j["new_bytes"] = d.new_bytes;
  j["delta"] = d.delta();
  return j;
}

}  // namespace

BinaryDiff DiffBinaries(const FileReport& old_file, const gobin::PackageReport* old_pk,
                        const FileReport& new_file, const gobin::PackageReport* new_pk) {
  BinaryDiff d;
  d.old_file = old_file.path;
  d.new_file = new_file.path;
  d.old_size = old_file.size;
  d.new_size = new_file.size;
  std::string ov = GoVersion(old_file);
  std::string nv = GoVersion(new_file);
  if (ov != nv) d.go_version = Change{"go", ov, nv};
  const gobin::BuildInfo* oi = Info(old_file);
  const gobin::BuildInfo* ni = Info(new_file);
  std::map<std::string, std::string> os, ns, od, nd;
  if (oi) {
    for (const auto& s : oi->settings) os[s.key] = s.value;
    for (const auto& m : oi->deps) od[m.path] = ModuleText(m);
  }
  if (ni) {
    for (const auto& s : ni->settings) ns[s.key] = s.value;
    for (const auto& m : ni->deps) nd[m.path] = ModuleText(m);
  }
  std::string om = oi && oi->main ? oi->main->path + " " + oi->main->version : "";
  std::string nm = ni && ni->main ? ni->main->path + " " + ni->main->version : "";
  if (om != nm) d.main_module = Change{"main", om, nm};
  d.settings = DiffMaps(os, ns);
  d.deps = DiffMaps(od, nd);
  d.have_tables = old_pk != nullptr && new_pk != nullptr;
  d.packages = DiffSizes(old_pk ? &old_pk->packages : nullptr, new_pk ? &new_pk->packages : nullptr,
                         [](const gobin::PackageSize& p) { return p.package; });
  d.modules = DiffSizes(old_pk ? &old_pk->modules : nullptr, new_pk ? &new_pk->modules : nullptr,
                        [](const gobin::ModuleSize& m) { return m.module; });
  d.old_code = old_pk ? static_cast<int64_t>(old_pk->total_code_bytes) : 0;
  d.new_code = new_pk ? static_cast<int64_t>(new_pk->total_code_bytes) : 0;
  return d;
}

std::string DiffToText(const BinaryDiff& d, size_t max_rows) {
  std::string out = fmt::format("{} -> {}\n", d.old_file, d.new_file);
  auto row = [&](std::string_view k, const std::string& v) {
    fmt::format_to(std::back_inserter(out), "  {:<11} {}\n", k, v);
  };
  auto so = static_cast<int64_t>(d.old_size);
  auto sn = static_cast<int64_t>(d.new_size);
  row("file size",
      fmt::format("{} -> {} bytes ({}, {})", d.old_size, d.new_size, Signed(sn - so), Pct(so, sn)));
  row("go", d.go_version ? fmt::format("{} -> {}", d.go_version->old_value.value_or("?"),
                                       d.go_version->new_value.value_or("?"))
                         : "unchanged");
  if (d.main_module) {
    row("main", fmt::format("{} -> {}", *d.main_module->old_value, *d.main_module->new_value));
  }
  auto changes = [&](std::string_view title, const std::vector<Change>& cs) {
    if (cs.empty()) {
      row(title, "unchanged");
      return;
    }
    bool first = true;
    for (const Change& c : cs) {
      std::string line;
      if (!c.old_value)
        line = fmt::format("+ {} {}", c.name, *c.new_value);
      else if (!c.new_value)
        line = fmt::format("- {} {}", c.name, *c.old_value);
      else
        line = fmt::format("~ {} {} -> {}", c.name, *c.old_value, *c.new_value);
      row(first ? title : "", line);
      first = false;
    }
  };
  changes("settings", d.settings);
  changes("deps", d.deps);
  if (!d.have_tables) {
    row("packages", "no Go function table in one of the files: no per-package sizes");
    return out;
  }
  row("code", fmt::format("{} -> {} bytes ({}, {})", d.old_code, d.new_code,
                          Signed(d.new_code - d.old_code), Pct(d.old_code, d.new_code)));
  auto deltas = [&](std::string_view title, const std::vector<SizeDelta>& v) {
    fmt::format_to(std::back_inserter(out), "\n  {} by impact ({} changed)\n", title, v.size());
    size_t n = std::min(v.size(), max_rows);
    for (size_t i = 0; i < n; ++i) {
      const SizeDelta& s = v[i];
      fmt::format_to(std::back_inserter(out), "  {:>12} {:>7}  {}{}\n", Signed(s.delta()),
                     Pct(s.old_bytes, s.new_bytes), s.name,
                     s.module.empty() ? "" : "  [" + s.module + "]");
    }
    if (v.size() > n) {
      int64_t rest = 0;
      for (size_t i = n; i < v.size(); ++i) rest += v[i].delta();
      fmt::format_to(std::back_inserter(out), "  {:>12} {:>7}  ({} more)\n", Signed(rest), "",
                     v.size() - n);
    }
  };
  deltas("modules", d.modules);
  deltas("packages", d.packages);
  return out;
}

Json DiffToJson(const BinaryDiff& d) {
  Json j;
  j["old"] = {{"file", d.old_file}, {"size", d.old_size}, {"code_bytes", d.old_code}};
  j["new"] = {{"file", d.new_file}, {"size", d.new_size}, {"code_bytes", d.new_code}};
  j["size_delta"] = static_cast<int64_t>(d.new_size) - static_cast<int64_t>(d.old_size);
  j["code_delta"] = d.new_code - d.old_code;
  j["go"] = d.go_version ? ChangeJson(*d.go_version) : Json(nullptr);
  j["main"] = d.main_module ? ChangeJson(*d.main_module) : Json(nullptr);
  Json s = Json::array();
  for (const auto& c : d.settings) s.push_back(ChangeJson(c));
  j["settings"] = std::move(s);
  Json dp = Json::array();
  for (const auto& c : d.deps) dp.push_back(ChangeJson(c));
  j["deps"] = std::move(dp);
  Json m = Json::array();
  for (const auto& x : d.modules) m.push_back(DeltaJson(x));
  j["modules"] = std::move(m);
  Json p = Json::array();
  for (const auto& x : d.packages) p.push_back(DeltaJson(x));
  j["packages"] = std::move(p);
  j["per_package_sizes"] = d.have_tables;
  return j;
}

}  // namespace barekit::inspect
