// The Go internals behind `inspect --functions`, `--packages` and `--size`: the function table,
// sizes per package and module, and the byte-exact size map, read on demand for one slice.
#ifndef INSPECT_GO_DETAILS_H_
#define INSPECT_GO_DETAILS_H_

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "gobin/packages.h"
#include "gobin/pclntab.h"
#include "gobin/size_map.h"
#include "inspect/report.h"

namespace barekit::inspect {

enum DetailFlags : unsigned {
  kDetailFunctions = 1,
  kDetailPackages = 2,
  kDetailSize = 4,
};

struct GoDetails {
  // Without kDetailFunctions the table's funcs stay empty when packages and sizes were tallied
  // as it was decoded (gobin::SizeTally); `functions` counts them either way.
  std::optional<gobin::FunctionTable> table;
  uint64_t functions = 0;
  std::string table_error;  // why there is no table ("" when there is)
  std::optional<gobin::PackageReport> packages;
  std::optional<gobin::SizeNode> size;
};

// The table is read in place, in the slice's bytes (see gobin::ParseOptions::file), as
// gobin::ReadTableSizes reads it: packages and sizes without the function list in one pass.
GoDetails ReadGoDetails(const SliceReport& slice, unsigned flags);

// Text sections for each detail; empty when the detail was not asked for.
std::string FunctionsToText(const GoDetails& d);
std::string PackagesToText(const GoDetails& d);
// FunctionsToText(ReadGoDetails(slice, kDetailFunctions)) written to `out`, in one pass over the
// table: each function is formatted as it is decoded, into 64 KB chunks (no per-function storage).
// A table found corrupt after the first chunk went out shows that valid prefix before the error.
// `file` is the mapping the slice's bytes lie in (FileReport::mapping), read through pread
// windows; null reads the mapping itself.
void StreamFunctionsText(const SliceReport& slice, const MappedFile* file, std::FILE* out);
std::string SizeToText(const GoDetails& d, uint64_t file_size);

nlohmann::ordered_json FunctionTableToJson(const gobin::FunctionTable& t, uint64_t functions,
                                           bool with_functions);
nlohmann::ordered_json PackagesToJson(const gobin::PackageReport& p);
nlohmann::ordered_json SizeNodeToJson(const gobin::SizeNode& n);
// Adds the requested details to a slice's JSON object.
void AddDetailsToJson(const GoDetails& d, unsigned flags, nlohmann::ordered_json* j);

}  // namespace barekit::inspect

#endif  // INSPECT_GO_DETAILS_H_
