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

// The entry point's function, _rt0_<goarch>_<goos>[_lib], as a one-pass listing finds it.
struct Rt0Function {
  std::string name;  // "" when the table has none
  uint64_t entry = 0;
  bool found = false;  // for ReadOptions::stop: the listing need go no further
};

// Notes the first _rt0_ function seen: a FunctionVisitor for ReadOptions::visit, with an
// Rt0Function as its context (and &found as ReadOptions::stop). Lets a caller that needs no
// function list recover GOOS/GOARCH from a one-pass read of the table's first part (no function
// vector; pread windows with ReadOptions::file).
void NoteRt0Function(void* rt0, const Function& f);

// `table` may be null (no function table found); then only the object header and the string
// scan are used. The entry point's name comes from table->funcs, or, for a table read in one
// pass (funcs empty), from `rt0`.
GoVersionGuess RecoverGoVersion(const exe::ObjectFile& obj, const FunctionTable* table,
                                const Rt0Function* rt0 = nullptr);

// Exposed for tests: the longest prefix of `s` that reads as a Go release ("go1.26.5",
// "go1.21rc2", "go1.9"); "" when `s` does not start with one.
std::string_view GoVersionPrefix(std::string_view s);

}  // namespace barekit::gobin

#endif  // GOBIN_GOVERSION_RECOVER_H_
