// The Go runtime's function table (pclntab): every function's entry address, size and name,
// read from the binary alone (no symbol table needed). Every layout: magics 0xfffffffb (Go
// 1.2-1.15), 0xfffffffa (1.16-1.17), 0xfffffff0 (1.18-1.19), 0xfffffff1 (1.20+), both byte
// orders, 4- and 8-byte pointers, Go 1.26's zero textStart. Format: doc/formats/go-pclntab.md.
#ifndef GOBIN_PCLNTAB_H_
#define GOBIN_PCLNTAB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/mapped_file.h"
#include "base/status.h"
#include "exe/object_file.h"

namespace barekit::gobin {

enum class PclntabVersion { kGo12, kGo116, kGo118, kGo120 };
// "1.2", "1.16", "1.18", "1.20": the first Go release that wrote this layout.
std::string_view PclntabVersionName(PclntabVersion v);

// One entry of moduledata.textsectmap: text offsets [vaddr, end) live at base_addr + (off-vaddr).
// Binaries with a single text section have none (entry = text_start + entryoff).
struct TextSection {
  uint64_t vaddr = 0;
  uint64_t end = 0;
  uint64_t base_addr = 0;
};

std::string_view PackageOfFunction(std::string_view name);

// 32 bytes; the package is derived on demand so that a listing of every function stays lean.
struct Function {
  uint64_t entry = 0;
  std::string_view name;     // a view into the mapped table bytes
  uint32_t size = 0;         // next entry - entry (alignment padding included), as debug/gosym
  uint32_t func_offset = 0;  // offset of the _func record inside the table
  // A view into `name`; "" for compiler-generated names (see PackageOfFunction).
  std::string_view package() const { return PackageOfFunction(name); }
};

// How the table was found in the object.
enum class TableSource { kSection, kSymbol, kMagicScan, kModuleData, kRawBytes };
std::string_view TableSourceName(TableSource s);  // "section", "symbol", "magic-scan", ...

// The fixed header and the raw functab bounds: enough to validate a candidate table and to
// recognise the moduledata that points at it.
struct PclntabHeader {
  uint32_t magic = 0;
  PclntabVersion version = PclntabVersion::kGo120;
  Endian endian = Endian::kLittle;
  int ptr_size = 8;
  int quantum = 1;     // instruction size quantum (minLC)
  uint64_t nfunc = 0;  // header function count
  uint64_t nfiles = 0;
  uint64_t header_text_start = 0;  // pcHeader.textStart as recorded (0 on Go 1.26+ and < 1.18)
  // Sub-table offsets from the table start (0 when the layout has none).
  uint64_t funcname_off = 0, cu_off = 0, filetab_off = 0, pctab_off = 0, functab_off = 0;
  uint64_t functab_field = 4;    // bytes per functab field (ptr_size before 1.18)
  uint64_t first_entry_raw = 0;  // functab[0].entry as stored (offset from text on 1.18+)
  uint64_t end_entry_raw = 0;    // functab[nfunc].entry: the end sentinel as stored
};

// Parses and validates the header and the functab bounds (not the functions). `assume_magic`
// (with `assume_endian`) replaces a stomped magic, e.g. when moduledata vouched for the table.
Result<PclntabHeader> ParsePclntabHeader(Bytes table, std::string_view where = "pclntab",
                                         uint64_t file_offset = 0,
                                         std::optional<uint32_t> assume_magic = std::nullopt,
                                         Endian assume_endian = Endian::kLittle);

struct FunctionTable {
  PclntabHeader header;

  // Text base: entries of 1.18+ tables are offsets from it. Pre-1.18 entries are absolute.
  uint64_t text_start = 0;  // the base actually used
  std::string text_source;  // "moduledata", "runtime.text symbol", "pcHeader.textStart",
                            // ".text section", "absolute entries", "caller"
  std::vector<TextSection> text_sections;  // from moduledata.textsectmap, when more than one
  uint64_t end_pc = 0;                     // the functab's final sentinel: end of the last function

  // Where the table is.
  TableSource source = TableSource::kRawBytes;
  std::string source_detail;  // section or symbol name, or the scanned section
  uint64_t file_offset = 0;   // of the header, in the object's bytes
  uint64_t addr = 0;          // virtual address of the header (0 for raw bytes)
  uint64_t size = 0;          // bytes the table spans (section size, or derived extent)

  // The table bytes: a view into the object. Names point into the same bytes.
  Bytes data;
  std::vector<Function> funcs;  // sorted by entry, as stored

  // Offset of a function's name inside the table.
  uint64_t NameOffset(const Function& f) const {
    return static_cast<uint64_t>(f.name.data() - reinterpret_cast<const char*>(data.data()));
  }
};

// Receives each function as it is decoded (ParseOptions::visit): `f` and its name view are valid
// during the call only when the caller releases file pages.
using FunctionVisitor = void (*)(void* ctx, const Function& f);

// Options for parsing table bytes that were found by someone else.
struct ParseOptions {
  // Text base for 1.18+ tables; when unset, pcHeader.textStart is used (0 on Go 1.26+).
  std::optional<uint64_t> text_start;
  std::string text_source = "caller";
  std::vector<TextSection> text_sections;
  // Where `table` sits, for error messages: "<label>: pclntab at 0x<file_offset>: ...".
  std::string label = "pclntab";
  uint64_t file_offset = 0;
  std::optional<uint32_t> assume_magic;  // see ParsePclntabHeader
  Endian assume_endian = Endian::kLittle;
  // The table bytes are a read-only file mapping: drop the pages already decoded from this
  // process's resident set as the parse moves on (they re-fault from the page cache if read
  // again). Keeps a full listing of a large table within a few MB. Never set for heap memory.
  bool release_file_pages = false;
  // The mapping `table` lies in, for a listing with `visit`: the functab, records and names are
  // then read with pread through small windows (base/file_window.h) rather than through the
  // mapping. Nothing joins the resident set, so release_file_pages has nothing to do, and a name
  // passed to `visit` is valid during the call only. Ignored without `visit`: a stored table is
  // read in place, where its names stay valid (doc/formats/go-pclntab.md says why it is not
  // copied).
  const MappedFile* file = nullptr;
  // When set, every function goes to visit(visit_ctx, f) in table order instead of into
  // FunctionTable::funcs (which stays empty): a listing in one pass, with no per-function
  // storage. A table that turns out corrupt part-way has had its valid prefix visited.
  FunctionVisitor visit = nullptr;
  void* visit_ctx = nullptr;
  // With `visit`: the listing ends early, successfully, once the visitor has set *stop. Only the
  // functions visited have then been checked.
  const bool* stop = nullptr;
  // Called once with the table's facts (header, text base, where it was found; funcs empty)
  // after the header validated and before the first function is visited.
  void (*begin)(void* ctx, const FunctionTable& t) = nullptr;
  // Where the table was found, copied into the result (ReadFunctionTable sets them).
  TableSource source = TableSource::kRawBytes;
  std::string source_detail;
  uint64_t addr = 0;
};

// Appends "0x<entry> <size> <name>\n", the line debug/gosym-based tools (gosym-list) print.
void AppendGosymLine(const Function& f, std::string* out);
// The same line written at `p`, which has room for kGosymLineFixed + f.name.size() bytes.
// Returns the end of the line.
inline constexpr size_t kGosymLineFixed = 2 + 16 + 1 + 10 + 1 + 1;  // "0x" entry " " size " " \n
char* FormatGosymLine(const Function& f, char* p);

struct ReadOptions {
  bool release_file_pages = false;   // see ParseOptions
  const MappedFile* file = nullptr;  // see ParseOptions
  FunctionVisitor visit = nullptr;   // see ParseOptions
  void* visit_ctx = nullptr;
  const bool* stop = nullptr;  // see ParseOptions
  void (*begin)(void* ctx, const FunctionTable& t) = nullptr;
};

// True when `b` starts with a pclntab header (magic in either byte order, zero pad bytes,
// quantum 1/2/4, pointer size 4/8). Sets *endian when non-null.
bool LooksLikePclntabHeader(Bytes b, Endian* endian = nullptr);

// Decodes a whole table from its bytes. Corrupt with the table's file offset plus the offset of
// the broken field when counts, offsets or entries break the format's rules.
Result<FunctionTable> ParsePclntab(Bytes table, const ParseOptions& opts = {});

// Finds the table in `obj` (section, runtime.pclntab symbol, magic scan, moduledata scan), the
// text base (moduledata.text, runtime.text, pcHeader.textStart, .text) and decodes it.
// NotFound when the object holds no Go function table.
Result<FunctionTable> ReadFunctionTable(const exe::ObjectFile& obj, const ReadOptions& ropts = {});

// The package of a function name: everything before the first '.' after the last '/', ignoring
// generic type arguments in [...]. "" for compiler-generated names (go:buildid, type:.eq.T,
// go.buildid, type..eq.T). The result still carries %xx escapes (see UnescapePackage).
std::string_view PackageOfFunction(std::string_view name);
// PackageOfFunction for names that come in table order, where a run of functions shares one
// package: when `name` is the last package, a '.', and no '/' before any '[', the answer is that
// package again (its last '/' is the package's, and the package has no '.' after it), found
// without searching the name three times. Keeps its own copy of the last package, so the answer
// stays valid after the name's bytes are gone, until the next call. Like PackageOfFunction's, the
// answer is a prefix of `name`: name.substr(0, answer.size()) is the same package in the name.
class PackageCache {
 public:
  std::string_view Of(std::string_view name);
  // True when the last Of() found the name continuing the package before it: the same answer
  // as the call before, known without comparing. False does not mean a different package.
  bool repeated() const { return repeated_; }

 private:
  std::string last_;
  bool repeated_ = false;
};

// Undoes the linker's %xx escaping of '.' and other bytes in import paths ("gopkg.in/yaml%2ev3").
std::string UnescapePackage(std::string_view pkg);

}  // namespace barekit::gobin

#endif  // GOBIN_PCLNTAB_H_
