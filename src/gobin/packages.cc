#include "gobin/packages.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace barekit::gobin {

namespace {
constexpr std::string_view kGenerated = "runtime/generated";

bool CoveredBy(std::string_view pkg, std::string_view mod) {
  return pkg == mod || (pkg.size() > mod.size() && pkg.starts_with(mod) && pkg[mod.size()] == '/');
}
}  // namespace

std::string_view ModuleKindName(ModuleKind k) {
  switch (k) {
    case ModuleKind::kMain:
      return "main";
    case ModuleKind::kDependency:
      return "dep";
    case ModuleKind::kStdlib:
      return "std";
    case ModuleKind::kGenerated:
      return "generated";
    case ModuleKind::kUnknown:
      return "unknown";
  }
  return "?";
}

ModuleMapper::ModuleMapper(const BuildInfo* info) {
  if (info != nullptr) {
    if (info->main && !info->main->path.empty()) {
      modules_.push_back({info->main->path, info->main->path, ModuleKind::kMain});
    }
    for (const Module& m : info->deps) {
      // A replaced module's code lives under the original import path.
      modules_.push_back({m.path, m.path + "@" + m.version, ModuleKind::kDependency});
    }
  }
  std::stable_sort(modules_.begin(), modules_.end(),
                   [](const Entry& a, const Entry& b) { return a.path.size() > b.path.size(); });
}

ModuleKind ModuleMapper::Classify(std::string_view package, std::string* module) const {
  if (package.empty() || package == kGenerated) {
    *module = std::string(kGenerated);
    return ModuleKind::kGenerated;
  }
  if (package == "main") {
    // The main package's symbols are "main.*" whatever its import path is.
    *module = "main";
    for (const Entry& e : modules_) {
      if (e.kind == ModuleKind::kMain) *module = e.label;
    }
    return ModuleKind::kMain;
  }
  for (const Entry& e : modules_) {
    if (CoveredBy(package, e.path)) {
      *module = e.label;
      return e.kind;
    }
  }
  std::string_view first = package.substr(0, package.find('/'));
  if (first.find('.') == std::string_view::npos) {
    *module = "std";
    return ModuleKind::kStdlib;
  }
  // An unknown module: guess its path (host/owner/repo on the big forges, host/name elsewhere),
  // marked as a guess.
  int elems = 2;
  for (std::string_view host : {"github.com", "gitlab.com", "bitbucket.org", "golang.org"}) {
    if (first == host) elems = 3;
  }
  size_t end = 0;
  for (int i = 0; i < elems && end != std::string_view::npos; ++i) {
    end = package.find('/', i == 0 ? 0 : end + 1);
  }
  *module = std::string(package.substr(0, end)) + "?";
  return ModuleKind::kUnknown;
}

std::string PackageLabel(std::string_view raw_package) {
  if (raw_package.empty()) return std::string(kGenerated);
  return UnescapePackage(raw_package);
}

PackageReport SizeByPackage(const FunctionTable& table, const BuildInfo* info) {
  PackageReport rep;
  // Functions of one package are mostly contiguous; key on the raw view to avoid allocations.
  // A run of one package's functions skips the hash lookup.
  std::unordered_map<std::string_view, size_t> index;
  std::string_view prev_raw;
  size_t prev = SIZE_MAX;
  for (const Function& f : table.funcs) {
    const std::string_view raw = f.package();
    if (prev == SIZE_MAX || raw != prev_raw) {
      auto [it, inserted] = index.try_emplace(raw, rep.packages.size());
      if (inserted) {
        PackageSize p;
        p.package = PackageLabel(raw);
        rep.packages.push_back(std::move(p));
      }
      prev_raw = raw;
      prev = it->second;
    }
    PackageSize& p = rep.packages[prev];
    p.code_bytes += f.size;
    p.functions += 1;
    rep.total_code_bytes += f.size;
    rep.total_functions += 1;
  }
  // Escaped and unescaped spellings of one path merge here.
  std::sort(rep.packages.begin(), rep.packages.end(),
            [](const PackageSize& a, const PackageSize& b) { return a.package < b.package; });
  std::vector<PackageSize> merged;
  for (PackageSize& p : rep.packages) {
    if (!merged.empty() && merged.back().package == p.package) {
      merged.back().code_bytes += p.code_bytes;
      merged.back().functions += p.functions;
    } else {
      merged.push_back(std::move(p));
    }
  }
  rep.packages = std::move(merged);

  ModuleMapper mapper(info);
  std::unordered_map<std::string, size_t> mods;
  for (PackageSize& p : rep.packages) {
    p.kind = mapper.Classify(p.package, &p.module);
    auto [it, inserted] = mods.try_emplace(p.module, rep.modules.size());
    if (inserted) rep.modules.push_back(ModuleSize{p.module, p.kind, 0, 0, 0});
    ModuleSize& m = rep.modules[it->second];
    m.code_bytes += p.code_bytes;
    m.functions += p.functions;
    m.packages += 1;
  }
  auto by_size = [](const auto& a, const auto& b) {
    if (a.code_bytes != b.code_bytes) return a.code_bytes > b.code_bytes;
    if constexpr (requires { a.package; }) {
      return a.package < b.package;
    } else {
      return a.module < b.module;
    }
  };
  std::sort(rep.packages.begin(), rep.packages.end(), by_size);
  std::sort(rep.modules.begin(), rep.modules.end(), by_size);
  return rep;
}

}  // namespace barekit::gobin
