// `inspect --size`: every byte of the file attributed exactly once. The file splits into
// sections (overlaps clipped, gaps labelled); the code and function-table sections split further
// per module and package; what cannot be attributed stays visible as "[unattributed]" inside its
// section. The root's bytes equal the file size. Rules: doc/formats/go-size.md.
#ifndef GOBIN_SIZE_MAP_H_
#define GOBIN_SIZE_MAP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exe/object_file.h"
#include "gobin/buildinfo.h"
#include "gobin/packages.h"
#include "gobin/pclntab.h"

namespace barekit::gobin {

enum class SizeNodeKind {
  kFile,          // the root
  kSection,       // a section's file bytes (after clipping overlaps)
  kGap,           // file bytes no section covers: "[headers]", "[gap]", "[trailer]"
  kModule,        // inside a section: a module's share
  kPackage,       // inside a module: a package's share
  kUnattributed,  // inside a section: what no rule claimed
};
std::string_view SizeNodeKindName(SizeNodeKind k);  // "file", "section", "gap", ...

struct SizeNode {
  std::string name;
  SizeNodeKind kind = SizeNodeKind::kFile;
  uint64_t file_bytes = 0;         // always == sum of children's when there are children
  uint64_t vm_bytes = 0;           // sections only: size in memory (bss has file_bytes 0)
  uint64_t functions = 0;          // packages/modules: functions counted
  bool estimate = false;           // true where the split is proportional rather than exact
  std::vector<SizeNode> children;  // sorted by file_bytes descending, then name
};

// `table` and `info` may be null (then no per-package split). The tree's invariant: every node's
// file_bytes equals the sum of its children's, and the root's equals obj.data.size().
SizeNode BuildSizeMap(const exe::ObjectFile& obj, const FunctionTable* table,
                      const BuildInfo* info);
// The same with the table's packages already indexed (IndexPackages(*table, info); an empty
// index when `table` is null).
SizeNode BuildSizeMap(const exe::ObjectFile& obj, const FunctionTable* table,
                      const PackageIndex& ix);

// SizeByPackage and BuildSizeMap in one pass, while the table is decoded: a visitor for
// ReadOptions (begin, visit) that keeps no per-function storage. The table must be read in place
// (no ReadOptions::file): package keys are views into its names. Each function's name, record,
// functab slot, pc tables and code are split as it is decoded, which holds for tables in the
// linker's layout (1.16+, records, names and pc tables in function order, entries sorted). Once
// the last function is in, Finish() says whether they held; when not, the results are void and
// the caller reads the table stored and uses IndexPackages, SizeByPackage and BuildSizeMap, which
// give the same results on every table where this holds (tests compare them).
class SizeTally {
 public:
  SizeTally(const exe::ObjectFile& obj, const BuildInfo* info /* may be null */);
  SizeTally(SizeTally&&) noexcept;
  SizeTally(const SizeTally&) = delete;
  SizeTally& operator=(const SizeTally&) = delete;
  ~SizeTally();

  // Reads the object's function table in place (ReadFunctionTable) with this tally as its
  // visitor: the table's facts, without functions, or why it could not be read.
  Result<FunctionTable> Read(const exe::ObjectFile& obj);
  // For ReadOptions/ParseOptions begin and visit, with visit_ctx = this (what Read sets up).
  static void Begin(void* ctx, const FunctionTable& t);
  static void Visit(void* ctx, const Function& f);

  // After the table was read without error: true when the one-pass results stand.
  bool Finish();
  uint64_t functions() const;         // functions visited
  const PackageIndex& index() const;  // of_func is left empty
  PackageReport Packages() const;     // SizeByPackage's report
  SizeNode SizeMap() const;           // BuildSizeMap's tree

 private:
  struct CodeSection;
  struct State;
  std::unique_ptr<State> st_;
};

// What `inspect --packages` and `--size` report from `obj`'s function table, read the cheapest
// way that gives them: tallied in one pass as the table is decoded (SizeTally), else, or when
// the caller keeps the functions, from the stored table (IndexPackages, SizeByPackage,
// BuildSizeMap). Both give the same reports; `table` is the table's facts either way, with its
// functions only when stored.
struct TableSizes {
  Result<FunctionTable> table = Status::NotFound("function table not read");
  uint64_t functions = 0;                 // functions decoded
  std::optional<PackageReport> packages;  // asked for, and the table was read
  std::optional<SizeNode> size;           // asked for (without a table: sections only)
};
TableSizes ReadTableSizes(const exe::ObjectFile& obj, const BuildInfo* info /* may be null */,
                          bool packages, bool size, bool keep_functions);

// The two ways BuildSizeMap splits pctab among packages, exposed so that tests can hold them
// to each other: pctab bytes per package id (ix.of_func), at offsets from the table start.
namespace size_map_internal {
// One pass, for tables in the linker's layout; nullopt when `t` is not in that layout.
std::optional<std::vector<uint64_t>> PcTableBytesOnePass(const FunctionTable& t,
                                                         const PackageIndex& ix);
// Any layout: two passes and two bit sets over pctab.
std::vector<uint64_t> PcTableBytesGeneral(const FunctionTable& t, const PackageIndex& ix);
}  // namespace size_map_internal

}  // namespace barekit::gobin

#endif  // GOBIN_SIZE_MAP_H_
