// Function -> package -> module mapping and per-package code size (`inspect --packages`).
// Attribution rules: doc/formats/go-size.md.
#ifndef GOBIN_PACKAGES_H_
#define GOBIN_PACKAGES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gobin/buildinfo.h"
#include "gobin/pclntab.h"

namespace barekit::gobin {

enum class ModuleKind {
  kMain,        // the main module of build info (or package "main" when there is none)
  kDependency,  // a module listed in build info (path@version)
  kStdlib,      // first path element has no dot: the standard library ("std")
  kGenerated,   // compiler/linker generated: go:buildid, type:.eq.*, go.shape...
  kUnknown,     // a dotted import path no module in build info covers (or no build info)
};
std::string_view ModuleKindName(ModuleKind k);  // "main", "dep", "std", "generated", "unknown"

// Maps import paths to modules: longest module path that equals or prefixes the package.
class ModuleMapper {
 public:
  explicit ModuleMapper(const BuildInfo* info);  // info may be null
  // The module label: "std", "<main path>", "<path>@<version>", "runtime/generated", or for
  // kUnknown the first three elements of a dotted path ("github.com/a/b") with a '?' suffix.
  ModuleKind Classify(std::string_view package, std::string* module) const;

 private:
  struct Entry {
    std::string path;
    std::string label;
    ModuleKind kind;
  };
  std::vector<Entry> modules_;  // sorted by path length, longest first
};

struct PackageSize {
  std::string package;  // unescaped import path; "runtime/generated" for generated names
  std::string module;
  ModuleKind kind = ModuleKind::kUnknown;
  uint64_t code_bytes = 0;  // sum of function sizes (entry to next entry)
  uint64_t functions = 0;
};

struct ModuleSize {
  std::string module;
  ModuleKind kind = ModuleKind::kUnknown;
  uint64_t code_bytes = 0;
  uint64_t functions = 0;
  uint64_t packages = 0;
};

struct PackageReport {
  std::vector<PackageSize> packages;  // by code_bytes descending, then name
  std::vector<ModuleSize> modules;    // by code_bytes descending, then name
  uint64_t total_code_bytes = 0;      // == sum of function sizes
  uint64_t total_functions = 0;
};

// The label used for a function's package in reports: "runtime/generated" for names without a
// package, else the unescaped package path.
std::string PackageLabel(std::string_view raw_package);

// Every function's package, with the package's module, as small ids: the names are read once per
// table and the result is shared by SizeByPackage and BuildSizeMap.
struct PackageIndex {
  std::vector<std::string> package;  // PackageLabel per id
  std::vector<std::string> module;   // ModuleMapper::Classify's label per id
  std::vector<ModuleKind> kind;
  std::vector<uint32_t> of_func;  // id per function, in table order
};
PackageIndex IndexPackages(const FunctionTable& table, const BuildInfo* info /* may be null */);

// IndexPackages one function at a time, for a reader that sees each function once (SizeTally):
// Add() returns the id of the function's package, given names in table order. The names must
// outlive the indexer (views into the table's bytes are kept). of_func is left to the caller.
class PackageIndexer {
 public:
  explicit PackageIndexer(const BuildInfo* info) : mapper_(info) {}
  uint32_t Add(std::string_view name);
  PackageIndex& index() { return ix_; }
  const PackageIndex& index() const { return ix_; }

 private:
  ModuleMapper mapper_;
  PackageIndex ix_;
  std::unordered_map<std::string_view, uint32_t> raw_ids_;
  std::unordered_map<std::string, uint32_t> label_ids_;
  PackageCache packages_;
  std::string_view prev_raw_;
  uint32_t prev_id_ = 0;
  bool have_prev_ = false;
};

PackageReport SizeByPackage(const FunctionTable& table, const PackageIndex& ix);
// The same from code bytes and function counts per package id, summed by the caller.
PackageReport SizeByPackage(const PackageIndex& ix, const std::vector<uint64_t>& code_bytes,
                            const std::vector<uint64_t>& functions);
PackageReport SizeByPackage(const FunctionTable& table, const BuildInfo* info /* may be null */);

}  // namespace barekit::gobin

#endif  // GOBIN_PACKAGES_H_
