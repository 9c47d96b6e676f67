// The cpio "newc" (SVR4, magic 070701) writer the Linux kernel unpacks as initramfs.
// Format: doc/formats/cpio-newc.md. Every header field is chosen by the caller or fixed here
// (uid/gid 0, one mtime, inode numbers counted from 1 in write order, dev 0:0), so the same
// calls give the same bytes.
#ifndef ARCHIVE_CPIO_WRITER_H_
#define ARCHIVE_CPIO_WRITER_H_

#include <cstdint>
#include <string_view>

#include "archive/file_tree.h"
#include "archive/sink.h"

namespace barekit::archive {

class CpioWriter {
 public:
  // mtime must fit the format's 32 bits (checked by WriteTreeAsCpio's callers via SetMtime).
  CpioWriter(ByteSink* out, uint32_t mtime) : out_(out), mtime_(mtime) {}

  Status AddDirectory(std::string_view path, uint32_t mode, uint32_t uid = 0, uint32_t gid = 0);
  Status AddFile(std::string_view path, uint32_t mode, Bytes data, uint32_t uid = 0,
                 uint32_t gid = 0);
  Status AddSymlink(std::string_view path, std::string_view target);
  // type 'c' or 'b'; major:minor go into the rdev fields.
  Status AddDeviceNode(std::string_view path, char type, uint32_t mode, uint32_t major,
                       uint32_t minor);
  Status AddFifo(std::string_view path, uint32_t mode);
  // Writes the TRAILER!!! record. The sink is not finished.
  Status Finish();

  uint64_t bytes_written() const { return offset_; }

 private:
  struct Header {
    uint32_t mode = 0;  // type and permission bits
    uint32_t uid = 0, gid = 0, nlink = 1;
    uint64_t size = 0;
    uint32_t rdev_major = 0, rdev_minor = 0;
    bool trailer = false;
  };
  Status WriteRecord(std::string_view name, const Header& h, Bytes data);
  ByteSink* out_;
  uint32_t mtime_;
  uint32_t next_ino_ = 1;
  uint64_t offset_ = 0;
};

// Writes every entry of `tree` in path order, then the trailer.
Status WriteTreeAsCpio(const FileTree& tree, uint32_t mtime, ByteSink* out);

}  // namespace barekit::archive

#endif  // ARCHIVE_CPIO_WRITER_H_
