// Outputs appear whole or not at all: everything is written under a temporary name in the
// destination's directory and renamed over the final name on Commit(). Dropping an uncommitted
// output removes the temporary file or tree.
#ifndef ARCHIVE_ATOMIC_OUTPUT_H_
#define ARCHIVE_ATOMIC_OUTPUT_H_

#include <string>

#include "base/status.h"
#include "base/unique_fd.h"

namespace barekit::archive {

class AtomicFile {
 public:
  AtomicFile() = default;
  AtomicFile(AtomicFile&& o) noexcept;
  AtomicFile& operator=(AtomicFile&& o) noexcept;
  ~AtomicFile();

  // Creates "<dir>/.<name>.tmp-XXXXXX" with mode 0644 (whatever the umask).
  static Result<AtomicFile> Create(const std::string& path);
  int fd() const { return fd_.get(); }
  const std::string& temp_path() const { return temp_; }
  const std::string& path() const { return path_; }
  // fsyncs, closes and renames over the final path.
  Status Commit();

 private:
  std::string path_;
  std::string temp_;
  UniqueFd fd_;
};

class AtomicDir {
 public:
  AtomicDir() = default;
  AtomicDir(AtomicDir&& o) noexcept;
  AtomicDir& operator=(AtomicDir&& o) noexcept;
  ~AtomicDir();

  // Creates "<parent>/.<name>.tmp-XXXXXX" (mode 0755). An existing `path` must be an empty
  // directory or one holding an "oci-layout" file (a previous image); it is replaced on Commit.
  static Result<AtomicDir> Create(const std::string& path);
  const std::string& temp_path() const { return temp_; }
  Status Commit();

 private:
  std::string path_;
  std::string temp_;
};

// Removes a file tree (no symlink following). Missing is fine.
Status RemoveTree(const std::string& path);

}  // namespace barekit::archive

#endif  // ARCHIVE_ATOMIC_OUTPUT_H_
