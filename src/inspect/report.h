// What `barekit inspect` learns about one file: the object facts of each architecture slice and
// the Go facts read from it. The report owns the mapping that its string_views point into.
#ifndef INSPECT_REPORT_H_
#define INSPECT_REPORT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "exe/object_file.h"
#include "gobin/buildinfo.h"
#include "gobin/goversion_recover.h"

namespace barekit::inspect {

struct GoFacts {
  std::optional<gobin::BuildInfo> build_info;  // absent when the build-info blob is missing
  std::string build_info_error;                // why it is absent or broken ("" when present)
  std::optional<std::string> build_id;
  // When build info is missing but the Go function table is there: the version, GOOS and
  // GOARCH recovered from the runtime, each with where it came from.
  std::optional<gobin::GoVersionGuess> recovered;
  // Inferred from the object when build info cannot say (e.g. -trimpath hides -ldflags).
  bool stripped_inferred = false;
};

struct SliceReport {
  exe::ObjectFile object;
  std::optional<GoFacts> go;  // nullopt: not a Go binary as far as barekit can tell
};

struct FileReport {
  std::string path;
  uint64_t size = 0;
  std::string error;            // one line; empty when the file was read
  bool not_executable = false;  // NotMine: not ELF/PE/Mach-O (skipped silently in a dir walk)
  std::vector<SliceReport> slices;

  // The mapping outlives the views in `slices`; held by pointer so reports can move freely.
  std::unique_ptr<MappedFile> mapping;
};

struct InspectOptions {
  bool want_build_id = true;
};

// Reads one file and gathers every fact. Never fails: problems land in FileReport::error.
FileReport InspectFile(const std::string& path, const InspectOptions& opts = {});

}  // namespace barekit::inspect

#endif  // INSPECT_REPORT_H_
