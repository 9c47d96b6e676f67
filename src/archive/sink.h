// Byte sinks: the one streaming interface every archive writer, compressor and hasher speaks.
// Writers push bytes forward; nothing holds a whole image in memory.
#ifndef ARCHIVE_SINK_H_
#define ARCHIVE_SINK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"

namespace barekit::archive {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(Bytes data) = 0;
  // Flushes buffered bytes downstream (compressors end their stream). Call exactly once.
  virtual Status Finish() { return Status::Ok(); }
  Status Write(std::string_view s) { return Write(AsBytes(s)); }
  Status WriteZeros(size_t n);
};

// Buffered writes to a file descriptor it does not own.
class FdSink : public ByteSink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) { buf_.reserve(kBufSize); }
  using ByteSink::Write;
  Status Write(Bytes data) override;
  Status Finish() override { return Flush(); }

 private:
  static constexpr size_t kBufSize = 1 << 18;
  Status Flush();
  Status WriteAll(Bytes data);
  int fd_;
  std::string name_;
  std::vector<std::byte> buf_;
};

// Appends to a string (small blobs, tests).
class StringSink : public ByteSink {
 public:
  using ByteSink::Write;
  Status Write(Bytes data) override {
    out_.append(AsStringView(data));
    return Status::Ok();
  }
  const std::string& str() const { return out_; }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// Counts bytes and discards them.
class CountingSink : public ByteSink {
 public:
  using ByteSink::Write;
  Status Write(Bytes data) override {
    count_ += data.size();
    return Status::Ok();
  }
  uint64_t count() const { return count_; }

 private:
  uint64_t count_ = 0;
};

}  // namespace barekit::archive

#endif  // ARCHIVE_SINK_H_
