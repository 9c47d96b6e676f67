// Pieces shared by the ELF reader's files (elf.cc, elf_linkage.cc, elf_symbols.cc): the parsed
// file header, the raw section-header fields the ObjectFile does not keep, and the constants of
// the ELF gABI / GNU extensions that barekit reads. Format notes: doc/formats/elf.md.
#ifndef EXE_ELF_INTERNAL_H_
#define EXE_ELF_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "exe/object_file.h"

namespace barekit::exe::elf {

// e_type
inline constexpr uint16_t kEtRel = 1, kEtExec = 2, kEtDyn = 3, kEtCore = 4;

// p_type / p_flags
inline constexpr uint32_t kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3, kPtNote = 4, kPtPhdr = 6;
inline constexpr uint32_t kPtGnuStack = 0x6474e551, kPtGnuRelro = 0x6474e552;
inline constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;

// sh_type / sh_flags
inline constexpr uint32_t kShtNull = 0, kShtSymtab = 2, kShtStrtab = 3, kShtDynamic = 6,
                          kShtNote = 7, kShtNobits = 8, kShtDynsym = 11;
inline constexpr uint32_t kShtGnuVerneed = 0x6ffffffe;
inline constexpr uint64_t kShfWrite = 0x1, kShfAlloc = 0x2, kShfExecinstr = 0x4,
                          kShfCompressed = 0x800;

// d_tag
inline constexpr uint64_t kDtNull = 0, kDtNeeded = 1, kDtStrtab = 5, kDtStrsz = 10, kDtRpath = 15,
                          kDtBindNow = 24, kDtRunpath = 29, kDtFlags = 30, kDtFlags1 = 0x6ffffffb,
                          kDtVerneed = 0x6ffffffe, kDtVerneednum = 0x6fffffff;
inline constexpr uint64_t kDfBindNow = 0x8, kDf1Now = 0x1, kDf1Pie = 0x08000000;

// The file header, with the extended counts (e_phnum == 0xffff, e_shnum == 0,
// e_shstrndx == 0xffff) already resolved through section header 0.
struct Header {
  bool is64 = true;
  Endian endian = Endian::kLittle;
  uint8_t osabi = 0;
  uint16_t type = 0;
  uint16_t machine = 0;
  uint32_t flags = 0;
  uint64_t entry = 0;
  uint64_t phoff = 0, phnum = 0, phentsize = 0;
  uint64_t shoff = 0, shnum = 0, shentsize = 0;
  uint64_t shstrndx = 0;
};

// Section-header fields that the format-neutral Section does not carry; parallel to
// ObjectFile::sections (same index).
struct RawSection {
  uint32_t link = 0;
  uint32_t info = 0;
  uint64_t entsize = 0;
  uint64_t header_offset = 0;  // where this section's header sits in the file
};

// "0x1a2b": offsets in error messages.
std::string Hex(uint64_t v);

// An unsigned field of `n` bytes at `off` inside a record already checked to be large enough.
uint64_t Field(Bytes rec, size_t off, size_t n, Endian e);

// Fills obj.linkage from PT_INTERP, the dynamic table, the version-needs table and the GNU
// program headers. Sections and segments must already be in `obj`.
Status ReadElfLinkage(const Header& h, const std::vector<RawSection>& raw, ObjectFile& obj);

}  // namespace barekit::exe::elf

#endif  // EXE_ELF_INTERNAL_H_
