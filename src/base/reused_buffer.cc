#include "base/reused_buffer.h"

#include <utility>

namespace barekit {

ReusedBuffer::Lease::Lease(Lease&& o) noexcept
    : owner_(std::exchange(o.owner_, nullptr)),
      own_(std::move(o.own_)),
      bytes_(std::exchange(o.bytes_, {})) {
  o.own_.reset();
}

ReusedBuffer::Lease::~Lease() {
  if (owner_ != nullptr) owner_->lent_.store(false, std::memory_order_release);
}

ReusedBuffer::Lease ReusedBuffer::Borrow(size_t n) {
  Lease l;
  if (lent_.exchange(true, std::memory_order_acquire)) {
    l.own_ = AnonBuffer::Populated(n);
    if (l.own_) l.bytes_ = l.own_->bytes();
    return l;
  }
  if (!kept_ || kept_->bytes().size() < n) {
    kept_.reset();
    kept_ = AnonBuffer::Populated(n);
    if (!kept_) {
      lent_.store(false, std::memory_order_release);
      return l;
    }
  }
  l.owner_ = this;
  l.bytes_ = kept_->bytes();
  return l;
}

}  // namespace barekit
