// fuzz-link: barekit_exe
// Feeds arbitrary bytes to the ELF reader and to the detection chain, then touches every fact of
// whatever opened: sections and their bytes, segments, address lookups, linkage strings, notes,
// the symbol table and UPX detection. Any crash, hang or sanitizer report is a bug; a Status is
// the expected answer to garbage.
#include <cstddef>
#include <cstdint>

#include "exe/elf.h"
#include "exe/object_file.h"
#include "exe/upx.h"

namespace {

// Reads every byte a view points at, so ASan sees any view that strays outside the input.
size_t Touch(std::string_view s) {
  size_t h = 0;
  for (char c : s) h = h * 31 + static_cast<unsigned char>(c);
  return h;
}

void TouchObject(const barekit::exe::ObjectFile& o) {
  using namespace barekit::exe;
  size_t h = Touch(o.os) + Touch(o.arch) + Touch(o.machine) + Touch(o.go_build_id_note) +
             Touch(o.packer) + Touch(o.packer_detail);
  for (const Section& s : o.sections) {
    h += Touch(s.name);
    if (auto b = o.SectionData(s)) h += b->size();
    if (s.alloc) (void)o.AddrToOffset(s.addr + s.size / 2);
  }
  for (const Segment& g : o.segments) {
    if (auto b = o.ReadAt(g.vaddr, g.filesz < 64 ? g.filesz : 64)) h += b->size();
  }
  for (std::string_view d : o.dwarf_sections) h += Touch(d);
  const Linkage& l = o.linkage;
  h += Touch(l.interpreter) + Touch(l.libc) + Touch(LinkKindName(l.kind));
  for (const auto& n : l.needed) h += Touch(n);
  for (const auto& n : l.rpath) h += Touch(n);
  for (const auto& n : l.runpath) h += Touch(n);
  for (const auto& v : l.version_needs) {
    h += Touch(v.library) + Touch(v.highest);
    for (const auto& n : v.versions) h += Touch(n);
  }
  auto syms = ReadSymbols(o);
  if (syms.ok()) {
    for (const Symbol& s : *syms) h += Touch(s.name) + s.size;
  }
  (void)o.ReadFrom(o.entry);
  volatile size_t sink = h;
  (void)sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace barekit;
  Bytes bytes(reinterpret_cast<const std::byte*>(data), size);
  auto elf = exe::TryOpenElf(bytes);
  if (elf.ok()) TouchObject(*elf);
  auto objs = exe::OpenObject(bytes);
  if (objs.ok()) {
    for (const exe::ObjectFile& o : *objs) TouchObject(o);
  }
  if (auto upx = exe::DetectUpx(bytes)) (void)upx->Describe();
  return 0;
}
