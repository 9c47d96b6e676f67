// SHA-256 (nettle) as a sink, so a digest is computed while bytes stream past.
#ifndef ARCHIVE_SHA256_H_
#define ARCHIVE_SHA256_H_

#include <nettle/sha2.h>

#include <string>

#include "archive/sink.h"

namespace barekit::archive {

class Sha256 {
 public:
  Sha256() { sha256_init(&ctx_); }
  void Update(Bytes data);
  // Lower-case hex of the digest; the object is reset afterwards.
  std::string HexDigest();

 private:
  sha256_ctx ctx_;
};

std::string Sha256Hex(Bytes data);
inline std::string Sha256Hex(std::string_view s) { return Sha256Hex(AsBytes(s)); }

// Hashes and counts everything written, then forwards it to `next` (may be null).
class HashingSink : public ByteSink {
 public:
  explicit HashingSink(ByteSink* next) : next_(next) {}
  using ByteSink::Write;
  Status Write(Bytes data) override;
  Status Finish() override { return next_ ? next_->Finish() : Status::Ok(); }
  uint64_t size() const { return size_; }
  // "sha256:<hex>", valid after Finish().
  std::string Digest();

 private:
  ByteSink* next_;
  Sha256 hash_;
  uint64_t size_ = 0;
  std::string digest_;
};

}  // namespace barekit::archive

#endif  // ARCHIVE_SHA256_H_
