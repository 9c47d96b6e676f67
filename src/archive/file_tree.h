// The contents of an image before it is written: a set of entries keyed by path, each with its
// type, mode, owner and where its bytes come from, plus the reason it is there (for reports).
// Paths are relative ("etc/passwd"); parents are added explicitly; iteration is in byte order
// of the path, which puts every directory before its contents. Regular files from the host are
// only stat-ed here and mapped while the archive is written.
#ifndef ARCHIVE_FILE_TREE_H_
#define ARCHIVE_FILE_TREE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "base/byte_reader.h"
#include "base/status.h"

namespace barekit::archive {

enum class EntryType { kDirectory, kRegular, kSymlink, kCharDevice, kBlockDevice, kFifo };

struct Entry {
  std::string path;  // normalised, relative, no trailing slash
  EntryType type = EntryType::kRegular;
  uint32_t mode = 0644;  // permission bits only (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string source;  // regular file: host path mapped at write time ("" = use data)
  std::string data;    // regular file: inline bytes; symlink: target
  uint64_t size = 0;   // regular file: bytes; symlink: target length
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  std::string reason;     // why the entry is in the image
  bool implicit = false;  // a parent directory added for its children
};

// Turns "/a//b/./c" into "a/b/c"; rejects "..", empty and NUL-containing paths.
Result<std::string> NormalizeImagePath(std::string_view path);

class FileTree {
 public:
  Status AddDirectory(std::string_view path, uint32_t mode, std::string reason);
  // Maps nothing yet: stats `source` (must be a regular file) and records its size.
  Status AddFile(std::string_view path, uint32_t mode, std::string source, std::string reason);
  Status AddData(std::string_view path, uint32_t mode, std::string data, std::string reason);
  Status AddSymlink(std::string_view path, std::string target, std::string reason);
  Status AddDevice(std::string_view path, EntryType type, uint32_t mode, uint32_t major,
                   uint32_t minor, std::string reason);
  // Adds (or replaces) an entry. Two different inputs for one path are an error naming both,
  // unless `replace` is set (then the new entry wins). Identical directories merge.
  Status Add(Entry e, bool replace = false);

  const Entry* Find(std::string_view path) const;
  bool Remove(std::string_view path);
  const std::map<std::string, Entry>& entries() const { return entries_; }

  // Symlinks must stay inside the image: a relative target climbing above the root with "..",
  // or an absolute target that does not resolve to an entry of the image, is an error.
  Status CheckSymlinks() const;

  // `path` with its directory components resolved through the tree's symlinks (the last
  // component is kept), so a file can be added below a linked directory. Unchanged when a
  // link cannot be resolved.
  std::string ResolveParentLinks(const std::string& path) const;

  // Calls `fn` for every entry in path order with the bytes of regular files (mapped from the
  // host, or inline). A host file whose size changed since it was added is an error.
  Status ForEach(const std::function<Status(const Entry&, Bytes)>& fn) const;

  uint64_t TotalFileBytes() const;

 private:
  Status AddParents(const std::string& path);
  // Resolves an image path through symlinks of the tree; "" when it leaves or loops.
  std::string Resolve(const std::string& path, int depth) const;
  std::map<std::string, Entry> entries_;
};

// Writes every entry of `tree`, in path order, through an archive writer with the Add* methods
// that CpioWriter and TarWriter share, then Finish()es the archive.
template <typename Writer>
Status WriteTree(const FileTree& tree, Writer& w) {
  BK_RETURN_IF_ERROR(tree.ForEach([&](const Entry& e, Bytes data) -> Status {
    switch (e.type) {
      case EntryType::kDirectory:
        return w.AddDirectory(e.path, e.mode, e.uid, e.gid);
      case EntryType::kRegular:
        return w.AddFile(e.path, e.mode, data, e.uid, e.gid);
      case EntryType::kSymlink:
        return w.AddSymlink(e.path, e.data);
      case EntryType::kCharDevice:
        return w.AddDeviceNode(e.path, 'c', e.mode, e.rdev_major, e.rdev_minor);
      case EntryType::kBlockDevice:
        return w.AddDeviceNode(e.path, 'b', e.mode, e.rdev_major, e.rdev_minor);
      case EntryType::kFifo:
        return w.AddFifo(e.path, e.mode);
    }
    return Status::Ok();
  }));
  return w.Finish();
}

}  // namespace barekit::archive

#endif  // ARCHIVE_FILE_TREE_H_
