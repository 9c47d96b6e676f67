// The shared libraries a dynamic executable needs, found the way ld.so would find them but by
// reading ELF headers only: PT_INTERP, then for each DT_NEEDED the object's DT_RPATH (when it has
// no DT_RUNPATH) and the executable's, DT_RUNPATH, the sysroot's /etc/ld.so.conf directories and
// the default directories. $ORIGIN, $LIB and $PLATFORM are expanded. Everything is looked up
// inside a sysroot, so it works across architectures and never runs the loader. Symlinks met on
// the way (merged /usr, soname links) are reported so the image can keep them.
#ifndef PACK_LIBRARY_CLOSURE_H_
#define PACK_LIBRARY_CLOSURE_H_

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "exe/object_file.h"

namespace barekit::pack {

struct ClosureFile {
  std::string image_path;  // where it goes in the image (relative, the real path in the sysroot)
  std::string host_path;   // where its bytes are read from
  std::string reason;      // "interpreter of /app/x", "libz.so.1, needed by /usr/lib/.../libfoo.so"
};

struct ClosureLink {
  std::string image_path;  // relative
  std::string target;      // as found in the sysroot
  std::string reason;
};

struct LibraryClosure {
  std::vector<ClosureFile> files;  // in discovery order (breadth first)
  std::vector<ClosureLink> links;
};

struct ClosureOptions {
  std::string sysroot = "/";
  // Where the executable sits in the image ("app/server"), for $ORIGIN of the executable.
  std::string exe_image_path;
  // Its host path (for $ORIGIN lookups next to it).
  std::string exe_host_path;
};

// Nothing to do (empty closure) for executables without PT_INTERP and DT_NEEDED.
// NotFound naming the library, who needs it and the directories searched when one is missing.
Result<LibraryClosure> FindLibraryClosure(const exe::ObjectFile& exe, const ClosureOptions& opts);

// The default library directories for an architecture (Debian multiarch first), e.g. for amd64
// "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib".
std::vector<std::string> DefaultLibraryDirs(std::string_view goarch, int ptr_size);

// Parses ld.so.conf text (dirs, "include GLOB", comments). Include globs are expanded by
// `expand_include` (given the pattern, returns the files' contents in name order).
std::vector<std::string> ParseLdSoConf(
    std::string_view text,
    const std::function<std::vector<std::string>(const std::string&)>& expand_include,
    int depth = 0);

}  // namespace barekit::pack

#endif  // PACK_LIBRARY_CLOSURE_H_
