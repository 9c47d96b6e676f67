// fuzz-link: barekit_exe
// Feeds arbitrary bytes to the Mach-O reader (thin and fat) and to the detection chain, then
// reads the symbols of every slice that opened. A Status is the expected answer to garbage.
#include <cstddef>
#include <cstdint>

#include "exe/macho.h"
#include "exe/object_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace barekit;
  Bytes bytes(reinterpret_cast<const std::byte*>(data), size);
  auto slices = exe::TryOpenMachO(bytes);
  if (slices.ok()) {
    for (const exe::ObjectFile& o : *slices) {
      (void)exe::ReadSymbols(o);
      for (const exe::Section& s : o.sections) (void)o.SectionData(s);
      (void)o.ReadAt(o.entry, 16);
    }
  }
  auto objs = exe::OpenObject(bytes);
  if (objs.ok()) {
    for (const exe::ObjectFile& o : *objs) (void)exe::ReadSymbols(o);
  }
  return 0;
}
