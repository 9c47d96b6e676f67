// errno becomes a Status in one place.
#ifndef BASE_POSIX_ERROR_H_
#define BASE_POSIX_ERROR_H_

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "base/status.h"

namespace barekit {

inline Status PosixError(std::string_view context, int err) {
  std::string msg(context);
  msg += ": ";
  msg += std::strerror(err);
  return err == ENOENT ? Status::NotFound(std::move(msg)) : Status::IoError(std::move(msg));
}

}  // namespace barekit

#endif  // BASE_POSIX_ERROR_H_
