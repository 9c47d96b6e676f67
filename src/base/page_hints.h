// Hints to the kernel about the pages of memory-mapped files and fresh heap buffers.
//
// On the virtual machines barekit runs on, a page fault can cost more than the work done with the
// page. These helpers map many pages with one call, or drop the pages of a file mapping that a
// one-pass reader has finished with so that its resident set stays small. Each is a hint: on a
// kernel without the advice, or on memory that is not such a mapping, it does nothing.
#pragma once

#include <cstddef>

#include "base/byte_reader.h"

namespace barekit {

// Drops the whole pages inside `range` from the resident set (MADV_DONTNEED). Only for bytes of a
// read-only file mapping (e.g. base/MappedFile): they stay readable and re-fault from the page
// cache.
void ReleaseFilePages(Bytes range);

// Maps the whole pages of a fresh heap buffer [p, p+n) writable at once (MADV_POPULATE_WRITE,
// Linux 5.14+), contents unchanged, instead of one page fault per 4 KB on first write. Only for
// n >= 64 KB.
void PrefaultForWrite(const void* p, size_t n);

// Asks for transparent huge pages under the next `bytes` of heap: takes a block from the top of
// the heap, advises MADV_HUGEPAGE over its 2 MB-aligned part and frees it, so that the
// allocations after it are carved from there. For a process about to build several large
// vectors at once: on the virtual machines barekit runs on, faulting in 2 MB of fresh memory as
// 4 KB pages costs about 8 ms, as one huge page 0.15 ms. Peak memory grows in 2 MB steps, so not
// for a path that promises a small resident set. Needs malloc to serve such blocks from the heap
// rather than from their own mappings (mallopt M_MMAP_THRESHOLD above `bytes`); with
// transparent huge pages off it is only a hint the kernel ignores. Once per process: only the
// first call holds the small-page heap below its aligned start.
void BackHeapWithHugePages(size_t bytes);

}  // namespace barekit
