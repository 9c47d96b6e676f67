#include "base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "base/posix_error.h"
#include "base/unique_fd.h"
#include "base/unmap_later.h"

namespace barekit {

MappedFile::MappedFile(MappedFile&& o) noexcept
    : addr_(std::exchange(o.addr_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      fd_(std::move(o.fd_)) {}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    if (addr_ != nullptr) UnmapLater(addr_, size_);
    addr_ = std::exchange(o.addr_, nullptr);
    size_ = std::exchange(o.size_, 0);
    fd_ = std::move(o.fd_);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (addr_ != nullptr) UnmapLater(addr_, size_);
}

Result<MappedFile> MappedFile::Open(const std::string& path) {
  // O_NONBLOCK so that opening a FIFO never blocks; it is refused below as not a regular file.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return PosixError("cannot open", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return PosixError("cannot stat", errno);
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument("is a directory");
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("not a regular file");
  MappedFile f;
  if (st.st_size == 0) return f;
  void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (p == MAP_FAILED) return PosixError("cannot map", errno);
  f.addr_ = p;
  f.size_ = static_cast<size_t>(st.st_size);
  f.fd_ = std::move(fd);
  return f;
}

size_t MappedFile::ReadAt(uint64_t offset, std::span<std::byte> dst) const {
  size_t done = 0;
  while (done < dst.size() && offset + done < size_) {
    const ssize_t n =
        ::pread(fd_.get(), dst.data() + done, dst.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace barekit
