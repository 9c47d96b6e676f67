#include "base/write_all.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/posix_error.h"

namespace barekit {

Status WriteAll(int fd, Bytes data, std::string_view name) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n >= 0) {
      data = data.subspan(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) >= 0 || errno == EINTR) continue;
    }
    return PosixError("writing " + std::string(name), errno);
  }
  return Status::Ok();
}

}  // namespace barekit
