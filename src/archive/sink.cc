#include "archive/sink.h"

#include "base/write_all.h"

namespace barekit::archive {

Status ByteSink::WriteZeros(size_t n) {
  static const std::byte kZeros[512] = {};
  while (n > 0) {
    size_t k = n < sizeof(kZeros) ? n : sizeof(kZeros);
    BK_RETURN_IF_ERROR(Write(Bytes(kZeros, k)));
    n -= k;
  }
  return Status::Ok();
}

Status FdSink::Write(Bytes data) {
  if (buf_.size() + data.size() > kBufSize) {
    BK_RETURN_IF_ERROR(Flush());
    // Large writes (mapped file contents) skip the copy.
    if (data.size() >= kBufSize) return WriteAll(data);
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
  return Status::Ok();
}

Status FdSink::Flush() {
  Status s = WriteAll(Bytes(buf_.data(), buf_.size()));
  buf_.clear();
  return s;
}

Status FdSink::WriteAll(Bytes data) { return barekit::WriteAll(fd_, data, name_); }

}  // namespace barekit::archive
