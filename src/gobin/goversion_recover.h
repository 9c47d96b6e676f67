// Go version and GOOS/GOARCH when build info is missing (or to cross-check it): the
// runtime.buildVersion string found through a (pointer, length) string header in data, the
// rt0_<goos>_<goarch>.s file name in the function table's file table, and the object header.
// Every fact says where it came from.
#ifndef GOBIN_GOVERSION_RECOVER_H_
#define GOBIN_GOVERSION_RECOVER_H_

#include <string>

#include "exe/object_file.h"
#include "gobin/pclntab.h"

namespace barekit::gobin {

struct GoVersionGuess {
  std::string version;         // "go1.26.5", "" when not found
  std::string version_source;  // e.g. "runtime.buildVersion string header at 0x5f1a20 -> .rodata"
  std::string goos, goos_source;
  std::string goarch, goarch_source;
  // The lowest release that wrote this pclntab layout ("go1.20+"), when no exact version.
  std::string layout_hint;
};

// `table` may be null (no function table found); then only the object header and the string
// scan are used.
GoVersionGuess RecoverGoVersion(const exe::ObjectFile& obj, const FunctionTable* table);

// Exposed for tests: the longest prefix of `s` that reads as a Go release ("go1.26.5",
// "go1.21rc2", "go1.9"); "" when `s` does not start with one.
std::string_view GoVersionPrefix(std::string_view s);

}  // namespace barekit::gobin

#endif  // GOBIN_GOVERSION_RECOVER_H_
