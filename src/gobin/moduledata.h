// The runtime's moduledata (runtime.firstmoduledata): the struct whose first word points at the
// function table and which records the real text range (text, etext) and textsectmap. Located
// without symbols by scanning data for the table's address. Format: doc/formats/go-pclntab.md.
#ifndef GOBIN_MODULEDATA_H_
#define GOBIN_MODULEDATA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "exe/object_file.h"
#include "gobin/pclntab.h"

namespace barekit::gobin {

struct ModuleData {
  uint64_t addr = 0;          // virtual address of the struct
  uint64_t file_offset = 0;   // its file offset in the object
  std::string where;          // "section .go.module", "symbol runtime.firstmoduledata",
                              // "scan of .noptrdata", ...
  uint64_t pclntab_addr = 0;  // first word: pcHeader* (1.16+) or the pclntable data (<1.16)
  uint64_t minpc = 0, maxpc = 0;
  uint64_t text = 0, etext = 0;
  int text_word = 0;  // index of the `text` word in the struct (layout differs by Go version)
  std::vector<TextSection> text_sections;  // textsectmap; empty when not found or single
};

// Looks for the moduledata that points at the table `hdr` found at `pclntab_addr`. Each
// candidate is validated against the table: minpc/maxpc must equal the functab's first entry
// and end sentinel relative to `text`, and for 1.16+ the funcnametab slice must point into the
// table. NotFound when nothing matches.
Result<ModuleData> FindModuleData(const exe::ObjectFile& obj, uint64_t pclntab_addr,
                                  const PclntabHeader& hdr);

struct PclntabPointer {
  uint64_t addr = 0;        // the table's virtual address
  uint64_t moduledata = 0;  // where the pointer to it was found
  uint32_t magic = 0;       // the magic the moduledata layout implies (the table's may be stomped)
  std::string where;        // the section scanned
};

// Last-resort table finder: scans data sections for a moduledata whose first word points at
// bytes with a pclntab header's shape (pad bytes, quantum, pointer size; the magic itself may be
// stomped) and whose funcnametab/ftab slice points inside that table.
std::optional<PclntabPointer> FindPclntabThroughModuleData(const exe::ObjectFile& obj);

}  // namespace barekit::gobin

#endif  // GOBIN_MODULEDATA_H_
