#include "exe/macho.h"

namespace barekit::exe {

Result<std::vector<ObjectFile>> TryOpenMachO(Bytes) { return Status::NotMine("not Mach-O"); }
Result<std::vector<Symbol>> ReadMachOSymbols(const ObjectFile&) { return Status::Unsupported("todo"); }

}  // namespace barekit::exe
