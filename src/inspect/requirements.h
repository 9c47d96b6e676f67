// `barekit check --require ...`: a list of properties a binary must have, and the violations.
#ifndef INSPECT_REQUIREMENTS_H_
#define INSPECT_REQUIREMENTS_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "inspect/report.h"

namespace barekit::inspect {

struct Requirement {
  enum class Kind {
    kStatic,
    kNoCgo,
    kStripped,
    kTrimpath,
    kPie,
    kGo,
    kNotPacked,
    kOs,
    kArch,
    kGoVersion,
    kMaxSize,
  };
  Kind kind;
  std::string text;    // as written, for messages
  std::string value;   // os/arch name, version
  std::string op;      // for go: ">=", "<=", ">", "<", "=="
  uint64_t bytes = 0;  // max-size
};

// Parses "static,nocgo,os=linux,go>=1.21,max-size=20MiB". Errors say which item is wrong and
// at which column (1-based).
Result<std::vector<Requirement>> ParseRequirements(std::string_view spec);

// One line per violated requirement ("not static: dynamic, interpreter /lib/ld-musl..."); empty
// when all hold.
std::vector<std::string> CheckRequirements(const FileReport& file,
                                           const std::vector<Requirement>& reqs);

// Size with an optional binary/decimal suffix: 20MiB, 1.5MB, 4096, 10k.
Result<uint64_t> ParseSize(std::string_view s);
// Compares Go versions "go1.21.5" / "1.21" / "go1.22rc1"; returns <0, 0, >0.
int CompareGoVersions(std::string_view a, std::string_view b);

}  // namespace barekit::inspect

#endif  // INSPECT_REQUIREMENTS_H_
