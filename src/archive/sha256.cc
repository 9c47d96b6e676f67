#include "archive/sha256.h"

namespace barekit::archive {

void Sha256::Update(Bytes data) {
  // nettle takes size_t lengths; feed in bounded pieces all the same.
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  while (n > 0) {
    size_t k = n < (size_t{1} << 30) ? n : (size_t{1} << 30);
    sha256_update(&ctx_, k, p);
    p += k;
    n -= k;
  }
}

std::string Sha256::HexDigest() {
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx_, sizeof(d), d);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof(d));
  for (uint8_t b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string Sha256Hex(Bytes data) {
  Sha256 h;
  h.Update(data);
  return h.HexDigest();
}

Status HashingSink::Write(Bytes data) {
  hash_.Update(data);
  size_ += data.size();
  return next_ ? next_->Write(data) : Status::Ok();
}

std::string HashingSink::Digest() {
  if (digest_.empty()) digest_ = "sha256:" + hash_.HexDigest();
  return digest_;
}

}  // namespace barekit::archive
