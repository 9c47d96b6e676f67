// PE/COFF reader: PE32 and PE32+. Format notes: doc/formats/pe.md.
#ifndef EXE_PE_H_
#define EXE_PE_H_

#include "exe/object_file.h"

namespace barekit::exe {

Result<ObjectFile> TryOpenPe(Bytes data);
Result<std::vector<Symbol>> ReadPeSymbols(const ObjectFile& obj);

}  // namespace barekit::exe

#endif  // EXE_PE_H_
