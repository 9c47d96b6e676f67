#include "gobin/packages.h"

#include <algorithm>
#include <cstdint>

#include "base/page_hints.h"

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

uint32_t PackageIndexer::Add(std::string_view name) {
  // A run of one package's functions skips the hash lookup, and PackageCache the name search.
  // The package is a prefix of the name: the key is a view of the name, which outlives the
  // cache's copy.
  const std::string_view raw = name.substr(0, packages_.Of(name).size());
  if (have_prev_ && (packages_.repeated() || raw == prev_raw_)) return prev_id_;
  have_prev_ = true;
  prev_raw_ = raw;
  auto [it, inserted] = raw_ids_.try_emplace(raw, 0);
  if (inserted) {
    std::string label = PackageLabel(raw);
    auto [lit, linserted] =
        label_ids_.try_emplace(label, static_cast<uint32_t>(ix_.package.size()));
    if (linserted) {
      std::string mod;
      ModuleKind k = mapper_.Classify(label, &mod);
      ix_.package.push_back(std::move(label));
      ix_.module.push_back(std::move(mod));
      ix_.kind.push_back(k);
    }
    it->second = lit->second;
  }
  prev_id_ = it->second;
  return prev_id_;
}

PackageIndex IndexPackages(const FunctionTable& t, const BuildInfo* info) {
  PackageIndexer indexer(info);
  std::vector<uint32_t> of_func;
  of_func.reserve(t.funcs.size());
  PrefaultForWrite(of_func.data(), t.funcs.size() * sizeof(uint32_t));
  for (const Function& f : t.funcs) of_func.push_back(indexer.Add(f.name));
  PackageIndex ix = std::move(indexer.index());
  ix.of_func = std::move(of_func);
  return ix;
}

PackageReport SizeByPackage(const FunctionTable& table, const PackageIndex& ix) {
  std::vector<uint64_t> code(ix.package.size()), funcs(ix.package.size());
  for (size_t i = 0; i < table.funcs.size() && i < ix.of_func.size(); ++i) {
    code[ix.of_func[i]] += table.funcs[i].size;
    funcs[ix.of_func[i]] += 1;
  }
  return SizeByPackage(ix, code, funcs);
}

PackageReport SizeByPackage(const PackageIndex& ix, const std::vector<uint64_t>& code_bytes,
                            const std::vector<uint64_t>& functions) {
  PackageReport rep;
  const size_t n = ix.package.size();
  auto bytes_of = [&](uint32_t id) { return id < code_bytes.size() ? code_bytes[id] : 0; };
  auto funcs_of = [&](uint32_t id) { return id < functions.size() ? functions[id] : 0; };
  // Ids are sorted, not the reports: each package's strings are copied once, into place.
  std::vector<uint32_t> order(n);
  for (uint32_t id = 0; id < n; ++id) {
    order[id] = id;
    rep.total_code_bytes += bytes_of(id);
    rep.total_functions += funcs_of(id);
  }
  // Modules in the order of their packages' names: a module's kind is its first package's.
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return ix.package[a] < ix.package[b]; });
  std::unordered_map<std::string_view, size_t> mods;
  mods.reserve(n);
  for (uint32_t id : order) {
    auto [it, inserted] = mods.try_emplace(ix.module[id], rep.modules.size());
    if (inserted) rep.modules.push_back(ModuleSize{ix.module[id], ix.kind[id], 0, 0, 0});
    ModuleSize& m = rep.modules[it->second];
    m.code_bytes += bytes_of(id);
    m.functions += funcs_of(id);
    m.packages += 1;
  }
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (bytes_of(a) != bytes_of(b)) return bytes_of(a) > bytes_of(b);
    return ix.package[a] < ix.package[b];
  });
  rep.packages.reserve(n);
  for (uint32_t id : order) {
    rep.packages.push_back(
        PackageSize{ix.package[id], ix.module[id], ix.kind[id], bytes_of(id), funcs_of(id)});
  }
  std::sort(rep.modules.begin(), rep.modules.end(), [](const ModuleSize& a, const ModuleSize& b) {
    if (a.code_bytes != b.code_bytes) return a.code_bytes > b.code_bytes;
    return a.module < b.module;
  });
  return rep;
}

PackageReport SizeByPackage(const FunctionTable& table, const BuildInfo* info) {
  return SizeByPackage(table, IndexPackages(table, info));
}

}  // namespace barekit::gobin
