#include "exe/upx.h"

#include <algorithm>

namespace barekit::exe {
namespace {

constexpr size_t kWindow = size_t{64} * 1024;  // bytes searched at each end of the file
constexpr size_t kLInfoWindow = 4096;          // where the ELF l_info header may start
constexpr uint32_t kUpxMagicLe = 0x21585055;   // "UPX!" read little-endian

struct Code {
  int code;
  const char* name;
};
// UPX_F_* container codes (UPX's conf.h); big-endian targets are >= 128.
constexpr Code kFormats[] = {
    {1, "dos/com"},          {2, "dos/sys"},         {3, "dos/exe"},         {4, "djgpp2/coff"},
    {5, "watcom/le"},        {6, "vxd/le"},          {8, "tmt/adam"},        {9, "win32/pe"},
    {10, "linux/i386"},      {11, "win16/ne"},       {12, "linux/elf386"},   {13, "linux/sep386"},
    {14, "linux/sh386"},     {15, "vmlinuz/386"},    {16, "bvmlinuz/386"},   {18, "ps1/exe"},
    {19, "vmlinux/386"},     {20, "linux/elfi386"},  {21, "wince/arm"},      {22, "linux/amd64"},
    {23, "linux/arm"},       {24, "bsd/i386"},       {25, "bsd/elf386"},     {26, "bsd/sh386"},
    {27, "vmlinux/amd64"},   {28, "vmlinux/arm"},    {29, "macho/i386"},     {30, "linux/mipsel"},
    {31, "vmlinuz/arm"},     {32, "macho/arm"},      {33, "dylib/i386"},     {34, "macho/amd64"},
    {35, "dylib/amd64"},     {36, "win64/pe"},       {37, "macho/arm64"},    {39, "linux/ppc64le"},
    {40, "vmlinux/ppc64le"}, {42, "linux/arm64"},    {43, "win64/arm64"},    {44, "win64/arm64ec"},
    {129, "atari/tos"},      {130, "solaris/sparc"}, {131, "macho/ppc32"},   {132, "linux/ppc32"},
    {133, "linux/armeb"},    {134, "macho/fat"},     {135, "vmlinux/armeb"}, {136, "vmlinux/ppc32"},
    {137, "linux/mips"},     {138, "dylib/ppc32"},   {139, "macho/ppc64"},   {140, "linux/ppc64"},
    {141, "vmlinux/ppc64"},  {142, "dylib/ppc64"},
};

std::string_view FindName(const Code* table, size_t n, int code) {
  for (size_t i = 0; i < n; ++i) {
    if (table[i].code == code) return table[i].name;
  }
  return "";
}

bool ValidMethod(int m) { return (m >= 2 && m <= 10) || (m >= 14 && m <= 16); }

std::string_view View(Bytes b) { return AsStringView(b); }

// The PackHeader: "UPX!", version, format, method, level, u_adler, c_adler, u_len, c_len,
// u_file_size (little-endian 32-bit words from version 10 on), filter, filter_cto, n_mru, checksum.
bool ParsePackHeader(Bytes at, UpxInfo& info) {
  if (at.size() < 8 || LoadUint(at.data(), 4, Endian::kLittle) != kUpxMagicLe) return false;
  const int version = static_cast<int>(at[4]), format = static_cast<int>(at[5]),
            method = static_cast<int>(at[6]), level = static_cast<int>(at[7]);
  if (version < 4 || version > 20 || level > 10 || !ValidMethod(method)) return false;
  if (FindName(kFormats, std::size(kFormats), format).empty()) return false;
  info.pack_version = version;
  info.format = format;
  info.method = method;
  if (version >= 10 && at.size() >= 28)
    info.uncompressed_size = LoadUint(at.data() + 24, 4, Endian::kLittle);
  return true;
}

// Every "UPX!" in `region`, last first when `from_end`.
template <typename Fn>
void ForEachMagic(Bytes region, bool from_end, Fn&& fn) {
  std::string_view s = View(region);
  constexpr char kMagic[4] = {'U', 'P', 'X', '!'};
  const std::string_view magic(kMagic, 4);
  if (from_end) {
    for (size_t p = s.rfind(magic); p != std::string_view::npos;
         p = p == 0 ? std::string_view::npos : s.rfind(magic, p - 1)) {
      if (fn(p)) return;
    }
  } else {
    for (size_t p = s.find(magic); p != std::string_view::npos; p = s.find(magic, p + 1)) {
      if (fn(p)) return;
    }
  }
}

// The release from the stub's "$Id: UPX 3.96 Copyright ..." line.
std::string FindVersion(std::string_view text) {
  // Built from two parts so that barekit's own binary does not carry the whole needle.
  static const std::string needle = std::string("$Id: ") + "UPX ";
  size_t p = text.find(needle);
  if (p == std::string_view::npos) return "";
  std::string_view rest = text.substr(p + needle.size(), 16);
  size_t end = rest.find_first_not_of("0123456789.");
  rest = rest.substr(0, end);
  return rest.empty() ? "" : std::string(rest);
}

bool HasInfoString(std::string_view text) {
  static const std::string needle =
      std::string("This file is packed ") + "with the UPX executable packer";
  return text.find(needle) != std::string_view::npos;
}

}  // namespace

std::string_view UpxInfo::MethodName() const {
  switch (method) {
    case 2:
    case 3:
    case 4:
      return "NRV2B";
    case 5:
    case 6:
    case 7:
      return "NRV2D";
    case 8:
    case 9:
    case 10:
      return "NRV2E";
    case 14:
      return "LZMA";
    case 15:
      return "deflate";
    case 16:
      return "zstd";
    default:
      return "";
  }
}

std::string_view UpxInfo::FormatName() const {
  return FindName(kFormats, std::size(kFormats), format);
}

std::string UpxInfo::Describe() const {
  std::string out = "UPX";
  out += version.empty() ? " (version unknown)" : " " + version;
  if (!MethodName().empty()) {
    out += ", method ";
    out += MethodName();
  }
  return out;
}

std::optional<UpxInfo> DetectUpx(Bytes data) {
  Bytes head = data.first(std::min(data.size(), kWindow));
  Bytes tail = data.last(std::min(data.size(), kWindow));
  UpxInfo info;

  // A PackHeader: near the end (ELF, Mach-O), else anywhere in the head (PE puts it before
  // the packed data, right after the section table).
  bool pack_header = false;
  ForEachMagic(tail.last(std::min<size_t>(tail.size(), 4096)), true, [&](size_t p) {
    Bytes t = tail.last(std::min<size_t>(tail.size(), 4096));
    return pack_header = ParsePackHeader(t.subspan(p), info);
  });
  if (!pack_header) {
    ForEachMagic(head, false,
                 [&](size_t p) { return pack_header = ParsePackHeader(head.subspan(p), info); });
  }
  // The ELF l_info header just after the program headers: checksum, "UPX!", size, version,
  // format.
  bool l_info = false;
  ForEachMagic(head.first(std::min(head.size(), kLInfoWindow)), false, [&](size_t p) {
    l_info = p >= 4 && p + 8 <= head.size();
    return l_info;
  });
  const bool info_string = HasInfoString(View(head)) || HasInfoString(View(tail));
  info.version = FindVersion(View(head));
  if (info.version.empty()) info.version = FindVersion(View(tail));

  if (pack_header || info_string || (l_info && !info.version.empty())) return info;
  return std::nullopt;
}

}  // namespace barekit::exe
