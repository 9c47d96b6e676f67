// Test helper: what the kernel says about the mapping that holds an address (/proc/self/smaps).
#ifndef BASE_SMAPS_TESTING_H_
#define BASE_SMAPS_TESTING_H_

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace barekit {

// AnonHugePages (kB) of the mapping that holds `p`; 0 when none or not found.
inline uint64_t AnonHugeKbAt(const void* p) {
  std::ifstream in("/proc/self/smaps");
  std::string line;
  bool inside = false;
  const auto at = reinterpret_cast<uintptr_t>(p);
  while (std::getline(in, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
      inside = at >= lo && at < hi;
      continue;
    }
    if (inside && line.rfind("AnonHugePages:", 0) == 0) {
      return std::strtoull(line.c_str() + std::strlen("AnonHugePages:"), nullptr, 10);
    }
  }
  return 0;
}

}  // namespace barekit

#endif  // BASE_SMAPS_TESTING_H_
