#include "exe/pe.h"

namespace barekit::exe {

Result<ObjectFile> TryOpenPe(Bytes) { return Status::NotMine("not PE"); }
Result<std::vector<Symbol>> ReadPeSymbols(const ObjectFile&) { return Status::Unsupported("todo"); }

}  // namespace barekit::exe
