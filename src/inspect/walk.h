// Expands the paths given to `barekit inspect` into files, the way `go version DIR` does:
// directories are walked recursively in lexical order without following directory symlinks;
// inside a directory only executables (any x bit, or a .exe name) that are regular files or
// symlinks to regular files are kept. Paths named explicitly are always kept.
#ifndef INSPECT_WALK_H_
#define INSPECT_WALK_H_

#include <string>
#include <vector>

namespace barekit::inspect {

struct WalkedPath {
  std::string path;
  bool explicit_arg = false;  // named on the command line: always reported
  std::string error;          // a walk error for this path (unreadable directory ...)
};

std::vector<WalkedPath> ExpandPaths(const std::vector<std::string>& args);

}  // namespace barekit::inspect

#endif  // INSPECT_WALK_H_
