// Recognises executables packed by UPX, whatever the container (ELF, PE, Mach-O), from the marks
// the packer leaves in the file: the "UPX!" magic of its l_info header just after the program
// headers (ELF), its PackHeader near the end of the file (ELF, Mach-O) or before the packed data
// (PE), and the "$Info: This file is packed with the UPX executable packer" / "$Id: UPX x.y"
// strings of its stub. Format notes: doc/formats/elf.md ("Packers").
#ifndef EXE_UPX_H_
#define EXE_UPX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/byte_reader.h"

namespace barekit::exe {

struct UpxInfo {
  std::string version;   // UPX release from the stub's "$Id: UPX 3.96 ..." string; "" if absent
  int pack_version = 0;  // PackHeader format version byte (e.g. 13, 14); 0 if no PackHeader
  int format = 0;        // UPX_F_* container code (22 = Linux ELF amd64, 9 = win32 PE ...)
  int method = 0;        // compression method code (2..10 NRV, 14 LZMA, 15 deflate, 16 zstd)
  uint64_t uncompressed_size = 0;  // of the original file (PackHeader u_file_size), 0 if unknown
  std::string_view MethodName() const;  // "NRV2B", "NRV2D", "NRV2E", "LZMA", ... or ""
  std::string_view FormatName() const;  // "linux/elf64-amd64", "win32/pe", ... or ""
  // "UPX 3.96, method LZMA" / "UPX (version unknown), method NRV2E" / "UPX"
  std::string Describe() const;
};

// nullopt when none of UPX's marks is present. Reads at most the first and last 64 KiB.
std::optional<UpxInfo> DetectUpx(Bytes data);

}  // namespace barekit::exe

#endif  // EXE_UPX_H_
