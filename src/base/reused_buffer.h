// A Populated scratch buffer (base/anon_buffer.h) kept by one call site for its next call.
//
// A listing of a Go function table reads through 96 KB of windows and writes through a 64 KB
// output buffer. Mapped afresh for every file, each costs its pages' first touch and, later, an
// munmap on the virtual machines barekit runs on: `inspect --functions` over 68 corpus binaries
// took 164 ms that way and 132 ms with the buffers kept. Kept in a static ReusedBuffer at the
// call site, they are mapped once per process.
//
//   static ReusedBuffer windows;
//   ReusedBuffer::Lease w = windows.Borrow(3 * kWindow);
//   if (w) ... w.bytes() ...  // else: no memory; the caller's fallback
//
// Thread-safe: a call that borrows while the kept buffer is lent out (another thread's, or a
// re-entrant call's) gets a buffer of its own for that lease. One buffer per process rather than
// per thread: barekit lists one file at a time, and a buffer per thread would stay mapped for
// every worker thread that ever borrowed. The kept buffer is released at exit (through
// base/unmap_later.h, so exit stays cheap).
#ifndef BASE_REUSED_BUFFER_H_
#define BASE_REUSED_BUFFER_H_

#include <atomic>
#include <cstddef>
#include <optional>
#include <span>

#include "base/anon_buffer.h"

namespace barekit {

class ReusedBuffer {
 public:
  class Lease {
   public:
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease(Lease&& o) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    explicit operator bool() const { return !bytes_.empty(); }
    // At least the size asked for; the contents are whatever the last borrower left.
    std::span<std::byte> bytes() const { return bytes_; }

   private:
    friend class ReusedBuffer;
    Lease() = default;
    ReusedBuffer* owner_ = nullptr;  // set while the kept buffer is lent out
    std::optional<AnonBuffer> own_;  // a re-entrant borrower's buffer
    std::span<std::byte> bytes_;
  };

  ReusedBuffer() = default;
  ReusedBuffer(const ReusedBuffer&) = delete;
  ReusedBuffer& operator=(const ReusedBuffer&) = delete;

  // `n` bytes (n > 0) or more, every page mapped: the kept buffer (mapped on the first call, and
  // again when it is too small), or an empty lease when no memory could be mapped.
  Lease Borrow(size_t n);

 private:
  std::optional<AnonBuffer> kept_;  // touched only by the holder of lent_
  std::atomic<bool> lent_{false};
};

}  // namespace barekit

#endif  // BASE_REUSED_BUFFER_H_
