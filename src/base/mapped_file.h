// A read-only memory mapping of a whole file. Regular files only: pipes, devices and
// directories are refused with a clear Status rather than read without bound.
#ifndef BASE_MAPPED_FILE_H_
#define BASE_MAPPED_FILE_H_

#include <cstdint>
#include <string>

#include "base/byte_reader.h"
#include "base/status.h"

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

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace barekit

#endif  // BASE_MAPPED_FILE_H_
