// ELF reader: 32/64-bit, both byte orders. Format notes: doc/formats/elf.md.
#ifndef EXE_ELF_H_
#define EXE_ELF_H_

#include "exe/object_file.h"

namespace barekit::exe {

// NotMine if `data` does not start with the ELF magic.
Result<ObjectFile> TryOpenElf(Bytes data);
Result<std::vector<Symbol>> ReadElfSymbols(const ObjectFile& obj);

}  // namespace barekit::exe

#endif  // EXE_ELF_H_
