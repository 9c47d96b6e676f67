// fuzz-link: barekit_exe
// Feeds arbitrary bytes to the executable detection chain (where PE is tried) and to the PE
// reader directly, then reads the symbol table of whatever opened. Any crash, hang or sanitizer
// report is a bug; a Status is the expected answer to garbage.
#include <cstddef>
#include <cstdint>

#include "exe/object_file.h"
#include "exe/pe.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace barekit;
  Bytes bytes(reinterpret_cast<const std::byte*>(data), size);
  auto pe = exe::TryOpenPe(bytes);
  if (pe.ok()) {
    (void)exe::ReadSymbols(*pe);
    for (const exe::Section& s : pe->sections) (void)pe->SectionData(s);
    (void)pe->ReadAt(pe->entry, 16);
  }
  auto objs = exe::OpenObject(bytes);
  if (objs.ok()) {
    for (const exe::ObjectFile& o : *objs) (void)exe::ReadSymbols(o);
  }
  return 0;
}
