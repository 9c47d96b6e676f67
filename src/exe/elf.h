// ELF reader: 32/64-bit, both byte orders. Format notes: doc/formats/elf.md.
#ifndef EXE_ELF_H_
#define EXE_ELF_H_

#include "exe/object_file.h"

namespace barekit::exe {

// NotMine if `data` does not start with the ELF magic; Corrupt, naming the byte offset, when a
// header table, section or segment lies outside `data`. The ObjectFile's views point into
// `data`, which must outlive it. `sections` keeps ELF's numbering: index 0 is the null section.
Result<ObjectFile> TryOpenElf(Bytes data);
// The .symtab entries after the reserved entry 0, in table order.
Result<std::vector<Symbol>> ReadElfSymbols(const ObjectFile& obj);

}  // namespace barekit::exe

#endif  // EXE_ELF_H_
