// Mach-O reader: 32/64-bit thin files and fat/universal files. Format notes: doc/formats/macho.md.
#ifndef EXE_MACHO_H_
#define EXE_MACHO_H_

#include <vector>

#include "exe/object_file.h"

namespace barekit::exe {

// A thin file yields one ObjectFile; a fat file yields one per slice (slice_offset set).
Result<std::vector<ObjectFile>> TryOpenMachO(Bytes data);
Result<std::vector<Symbol>> ReadMachOSymbols(const ObjectFile& obj);

}  // namespace barekit::exe

#endif  // EXE_MACHO_H_
