// The format-neutral view of an executable that every later stage reads: sections, segments,
// address mapping, linkage and symbol facts. ELF, PE and Mach-O readers each fill one in.
// Formats are documented in doc/formats/ (elf.md, pe.md, macho.md).
#ifndef EXE_OBJECT_FILE_H_
#define EXE_OBJECT_FILE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"

namespace barekit::exe {

enum class Format { kElf, kPe, kMachO };
std::string_view FormatName(Format f);  // "elf", "pe", "macho"

struct Section {
  std::string_view name;     // ".text", ".go.buildinfo", "__gopclntab"; a view into the file
  std::string_view segment;  // Mach-O segment ("__TEXT"); empty for ELF and PE
  uint64_t addr = 0;         // absolute virtual address (PE: image base + RVA); 0 if not loaded
  uint64_t size = 0;         // size in memory
  uint64_t offset = 0;       // file offset of the section's bytes (relative to the slice)
  uint64_t file_size = 0;    // bytes present in the file (0 for NOBITS / zero-fill / bss)
  uint64_t flags = 0;        // raw format flags (ELF sh_flags, PE Characteristics, Mach-O flags)
  uint32_t type = 0;         // raw format type (ELF sh_type; 0 elsewhere)
  bool alloc = false;        // occupies memory at run time
  bool writable = false;
  bool executable = false;
  bool compressed = false;  // SHF_COMPRESSED or a .zdebug_* section
};

struct Segment {
  std::string_view name;  // Mach-O segment name; empty for ELF/PE
  uint32_t type = 0;      // ELF p_type (PT_LOAD = 1 ...); 0 elsewhere
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t offset = 0;
  uint64_t filesz = 0;
  bool readable = false;
  bool writable = false;
  bool executable = false;
};

// Where a symbol table and its strings sit in the file, for the format's symbol reader.
struct SymtabLocation {
  uint64_t offset = 0;      // symbol entries
  uint64_t count = 0;       // number of entries
  uint64_t entry_size = 0;  // bytes per entry
  uint64_t str_offset = 0;  // string table
  uint64_t str_size = 0;
};

struct Symbol {
  std::string_view name;
  uint64_t value = 0;        // virtual address
  uint64_t size = 0;         // 0 when the format does not record sizes (PE, Mach-O)
  bool is_function = false;  // ELF STT_FUNC, Mach-O/PE symbol in an executable section
  bool is_text = false;      // defined in an executable section
};

struct VersionNeed {
  std::string library;                // "libc.so.6"
  std::string highest;                // "GLIBC_2.34": the highest version required from it
  std::vector<std::string> versions;  // every version named, in file order
};

enum class LinkKind { kStatic, kStaticPie, kDynamic };
std::string_view LinkKindName(LinkKind k);  // "static", "static-pie", "dynamic"

enum class Relro { kNone, kPartial, kFull };

struct Linkage {
  LinkKind kind = LinkKind::kStatic;
  std::string interpreter;                 // PT_INTERP, "" when none
  std::vector<std::string> needed;         // DT_NEEDED / PE imports / LC_LOAD_DYLIB, in file order
  std::vector<std::string> rpath;          // DT_RPATH entries (split at ':') / LC_RPATH
  std::vector<std::string> runpath;        // DT_RUNPATH entries
  std::vector<VersionNeed> version_needs;  // ELF .gnu.version_r
  std::string libc;                        // "glibc", "musl", "" (unknown / none)
  // Hardening (ELF; PE: dynamic base and NX compat; Mach-O: MH_PIE, no executable stack)
  bool pie = false;
  bool nx_stack = true;
  Relro relro = Relro::kNone;
  bool bind_now = false;
};

struct ObjectFile {
  Format format = Format::kElf;
  std::string_view os;    // Go's GOOS name: "linux", "windows", "darwin", "freebsd", ... or ""
  std::string_view arch;  // Go's GOARCH name: "amd64", "arm64", "mipsle", ... or "" when unknown
  std::string machine;    // the raw machine field, for a report when arch is unknown ("EM_0x1234")
  Endian endian = Endian::kLittle;
  int ptr_size = 8;           // 4 or 8
  bool is_executable = true;  // an executable or shared object (not a relocatable .o / core)
  uint64_t image_base = 0;    // PE ImageBase; lowest PT_LOAD vaddr for ELF; 0 otherwise
  uint64_t entry = 0;
  uint64_t slice_offset = 0;  // where this object starts in the file (fat Mach-O slices)
  Bytes data;                 // the bytes of this object (the whole file or one fat slice)

  std::vector<Section> sections;
  std::vector<Segment> segments;

  bool has_symtab = false;  // a static symbol table (ELF .symtab, COFF symbols, LC_SYMTAB)
  bool has_dynsym = false;
  bool has_dwarf = false;                        // .debug_* / .zdebug_* / __DWARF / PE .debug_*
  std::vector<std::string_view> dwarf_sections;  // names seen
  std::optional<SymtabLocation> symtab;          // where the static symbol table is
  std::string_view go_build_id_note;             // ELF .note.go.buildid descriptor, "" when absent
  std::string_view gnu_build_id_hex;             // unused placeholder for now
  std::string packer;                            // "" or "upx"
  std::string packer_detail;                     // e.g. "UPX 4.02, method LZMA"
  Linkage linkage;

  // Lookups ------------------------------------------------------------------------------------
  const Section* FindSection(std::string_view name) const;
  // The file bytes of a section (empty for NOBITS); nullopt when the header points past the end.
  std::optional<Bytes> SectionData(const Section& s) const;
  // Map a virtual address to a file offset through sections, else segments.
  std::optional<uint64_t> AddrToOffset(uint64_t addr) const;
  // `n` file bytes at virtual address `addr`, all inside one mapped region.
  std::optional<Bytes> ReadAt(uint64_t addr, uint64_t n) const;
  // Bytes from `addr` to the end of the file-backed region holding it.
  std::optional<Bytes> ReadFrom(uint64_t addr) const;
};

// Reads every symbol of the static symbol table (dynamic symbols are not included).
// Format-specific; fails with a Corrupt status naming the byte offset on a broken table.
Result<std::vector<Symbol>> ReadSymbols(const ObjectFile& obj);

// Detection chain: ELF, PE, Mach-O (thin or fat). Returns one ObjectFile per architecture slice.
// NotMine when the bytes are no executable format barekit knows; Corrupt with an offset when the
// format is recognised but broken.
Result<std::vector<ObjectFile>> OpenObject(Bytes data);

}  // namespace barekit::exe

#endif  // EXE_OBJECT_FILE_H_
