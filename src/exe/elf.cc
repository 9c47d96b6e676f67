#include "exe/elf.h"

namespace barekit::exe {

Result<ObjectFile> TryOpenElf(Bytes) { return Status::NotMine("not ELF"); }
Result<std::vector<Symbol>> ReadElfSymbols(const ObjectFile&) { return Status::Unsupported("todo"); }

}  // namespace barekit::exe
