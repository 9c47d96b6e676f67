// Writing a whole buffer to a file descriptor: write(2) until every byte is out.
#ifndef BASE_WRITE_ALL_H_
#define BASE_WRITE_ALL_H_

#include <string_view>

#include "base/byte_reader.h"
#include "base/status.h"

namespace barekit {

// Writes all of `data` to `fd`, again after a short write or EINTR, and waits (poll) while a
// non-blocking descriptor is full. IoError "writing <name>: <strerror>" when a write fails.
Status WriteAll(int fd, Bytes data, std::string_view name);

}  // namespace barekit

#endif  // BASE_WRITE_ALL_H_
