// A fresh, writable buffer of its own anonymous mapping, in small pages that are all mapped
// before the first write.
//
// A scratch buffer of tens of KB that is written at once (the windows and the output chunk of a
// function listing) is a Populated buffer: mmap(MAP_POPULATE) maps its pages in one call, and its
// writes take no page fault (restic's listing: 102 faults became 65 on a machine where a fault
// cost 10-15 µs; 1.5 µs on the machines of session 9).
//
// Until session 9 this also made buffers in transparent huge pages, into which a reader copied
// megabytes of a file with pread(2) rather than fault them in through the mapping. Where a fault
// costs 1.5 µs and zeroing a 2 MB huge page 300 µs, that copy lost to the mapping, and went.
#ifndef BASE_ANON_BUFFER_H_
#define BASE_ANON_BUFFER_H_

#include <cstddef>
#include <optional>
#include <span>

namespace barekit {

// True when the kernel gives transparent huge pages to memory that asks for them
// (/sys/kernel/mm/transparent_hugepage/enabled is "always" or "madvise"). Read once.
bool HugePagesOnRequest();

class AnonBuffer {
 public:
  // `n` bytes (n > 0) in 4 KB pages, every one mapped before this returns (MAP_POPULATE), so that
  // writing to them takes no page fault. For tens of KB: each page is memory from the start.
  // Unmapped a little after the buffer is gone (base/unmap_later.h). nullopt when the mapping
  // fails.
  static std::optional<AnonBuffer> Populated(size_t n);

  AnonBuffer(AnonBuffer&& o) noexcept;
  AnonBuffer& operator=(AnonBuffer&& o) noexcept;
  AnonBuffer(const AnonBuffer&) = delete;
  AnonBuffer& operator=(const AnonBuffer&) = delete;
  ~AnonBuffer();

  std::span<std::byte> bytes() const { return {data_, size_}; }

 private:
  AnonBuffer(void* map, size_t map_size, std::byte* data, size_t size)
      : map_(map), map_size_(map_size), data_(data), size_(size) {}
  void Release();

  void* map_ = nullptr;  // the whole mapping
  size_t map_size_ = 0;
  std::byte* data_ = nullptr;
  size_t size_ = 0;
  bool unmap_later_ = false;  // a Populated buffer: base/unmap_later.h
};

}  // namespace barekit

#endif  // BASE_ANON_BUFFER_H_
