// `barekit diff OLD NEW`: what changed between two builds of a binary, for a release reviewer:
// Go version, build settings, dependencies, per-package and per-module code size, file size.
#ifndef INSPECT_DIFF_H_
#define INSPECT_DIFF_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gobin/packages.h"
#include "inspect/report.h"

namespace barekit::inspect {

struct Change {
  std::string name;
  std::optional<std::string> old_value;  // nullopt: added
  std::optional<std::string> new_value;  // nullopt: removed
};

struct SizeDelta {
  std::string name;
  std::string module;  // packages only
  int64_t old_bytes = 0;
  int64_t new_bytes = 0;
  int64_t delta() const { return new_bytes - old_bytes; }
};

struct BinaryDiff {
  std::string old_file, new_file;
  uint64_t old_size = 0, new_size = 0;
  std::optional<Change> go_version;
  std::optional<Change> main_module;
  std::vector<Change> settings;
  std::vector<Change> deps;
  std::vector<SizeDelta> packages;  // by |delta| descending, unchanged ones left out
  std::vector<SizeDelta> modules;
  int64_t old_code = 0, new_code = 0;
  bool have_tables = false;  // both function tables read
};

// The inputs are each file's first slice plus its package report (null when not Go).
BinaryDiff DiffBinaries(const FileReport& old_file, const gobin::PackageReport* old_pk,
                        const FileReport& new_file, const gobin::PackageReport* new_pk);

std::string DiffToText(const BinaryDiff& d, size_t max_rows);
nlohmann::ordered_json DiffToJson(const BinaryDiff& d);

}  // namespace barekit::inspect

#endif  // INSPECT_DIFF_H_
