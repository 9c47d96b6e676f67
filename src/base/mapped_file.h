// A read-only memory mapping of a whole file, which it holds open (for ReadAt). Regular files
// only: pipes, devices and directories are refused with a clear Status rather than read without
// bound. The mapping is unmapped a little after the MappedFile is gone (base/unmap_later.h).
#ifndef BASE_MAPPED_FILE_H_
#define BASE_MAPPED_FILE_H_

#include <cstdint>
#include <span>
#include <string>

#include "base/byte_reader.h"
#include "base/status.h"
#include "base/unique_fd.h"

namespace barekit {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  // Maps `path`. Empty files map to an empty span.
  static Result<MappedFile> Open(const std::string& path);

  Bytes bytes() const { return {static_cast<const std::byte*>(addr_), size_}; }
  uint64_t size() const { return size_; }

  // Copies the file's bytes from `offset` into `dst` with pread(2), not through the mapping;
  // returns how many were read (fewer at the end of the file, 0 on error). The mapping's pages
  // stay untouched: see base/file_window.h for why a one-pass reader wants that.
  size_t ReadAt(uint64_t offset, std::span<std::byte> dst) const;

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
  UniqueFd fd_;  // kept open for ReadAt
};

}  // namespace barekit

#endif  // BASE_MAPPED_FILE_H_
