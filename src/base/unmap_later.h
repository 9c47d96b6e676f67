// Unmapping a region a little later than its owner lets go of it, and the last few not at all:
// the kernel tears them down with the rest of the process at exit.
//
// On the virtual machines barekit runs on, munmap(2) costs microseconds per page it had mapped,
// where exit(2) drops a whole address space at once: unmapping restic (18.8 MB, the few hundred
// pages `inspect --functions` maps of it) took 0.19-0.36 ms, a 96 KB buffer whose pages were all
// mapped 0.08-0.1 ms, while the whole command takes about 5. So the owners of such regions
// (MappedFile, AnonBuffer::Populated) hand them here: a run that reads one file never unmaps it,
// and one that reads thousands keeps at most kUnmapLaterSlots regions more than it uses.
#ifndef BASE_UNMAP_LATER_H_
#define BASE_UNMAP_LATER_H_

#include <cstddef>

namespace barekit {

inline constexpr size_t kUnmapLaterSlots = 4;

// Takes over the mapping [addr, addr + size): it is unmapped once kUnmapLaterSlots newer ones
// have been handed over, or at exit. Thread-safe. Nothing may touch the region afterwards.
void UnmapLater(void* addr, size_t size);

}  // namespace barekit

#endif  // BASE_UNMAP_LATER_H_
