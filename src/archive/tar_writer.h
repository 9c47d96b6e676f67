// A POSIX ustar writer that falls back to a PAX extended header ('x') only when a field does
// not fit: paths that cannot be split into prefix/name, link targets over 100 bytes, sizes of
// 8 GiB and more, ids over 2097151. Everything else is fixed: uid/gid as given (0 by default),
// empty user and group names, one mtime, no atime/ctime. Format notes: doc/formats/oci.md.
#ifndef ARCHIVE_TAR_WRITER_H_
#define ARCHIVE_TAR_WRITER_H_

#include <cstdint>
#include <string_view>

#include "archive/file_tree.h"
#include "archive/sink.h"

namespace barekit::archive {

class TarWriter {
 public:
  TarWriter(ByteSink* out, uint64_t mtime) : out_(out), mtime_(mtime) {}

  // Directory names are written with a trailing '/'.
  Status AddDirectory(std::string_view path, uint32_t mode, uint32_t uid = 0, uint32_t gid = 0);
  Status AddFile(std::string_view path, uint32_t mode, Bytes data, uint32_t uid = 0,
                 uint32_t gid = 0);
  // A file whose contents the caller streams: exactly `size` bytes must follow via WriteData,
  // then EndData pads the record.
  Status BeginFile(std::string_view path, uint32_t mode, uint64_t size);
  Status WriteData(Bytes data) { return out_->Write(data); }
  Status EndData(uint64_t size) { return out_->WriteZeros(Pad512(size)); }
  Status AddSymlink(std::string_view path, std::string_view target);
  Status AddDeviceNode(std::string_view path, char type, uint32_t mode, uint32_t major,
                       uint32_t minor);
  Status AddFifo(std::string_view path, uint32_t mode);
  // Two zero blocks. The sink is not finished.
  Status Finish();

  static size_t Pad512(uint64_t n) { return static_cast<size_t>((512 - (n & 511)) & 511); }

 private:
  struct Header {
    std::string_view path;
    std::string_view link;
    char type = '0';
    uint32_t mode = 0;
    uint32_t uid = 0, gid = 0;
    uint64_t size = 0;
    uint32_t major = 0, minor = 0;
  };
  Status WriteHeader(const Header& h);
  Status WriteBlock(std::string_view name, const Header& h, std::string_view prefix);
  ByteSink* out_;
  uint64_t mtime_;
};

Status WriteTreeAsTar(const FileTree& tree, uint64_t mtime, ByteSink* out);

}  // namespace barekit::archive

#endif  // ARCHIVE_TAR_WRITER_H_
