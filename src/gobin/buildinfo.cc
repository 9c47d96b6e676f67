// Locating and decoding the Go build info blob, and the Go build ID.
// Where to look follows Go's debug/buildinfo; the layouts are described in
// doc/formats/go-buildinfo.md. Module text parsing and formatting live in modinfo.cc.
#include "gobin/buildinfo.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

#include "base/byte_reader.h"
#include "base/checked_math.h"
#include "gobin/modinfo.h"

namespace barekit::gobin {
namespace {

constexpr std::string_view kMagic = "\xff Go buildinf:";
constexpr size_t kHeaderSize = 32;
constexpr size_t kAlign = 16;
constexpr uint8_t kFlagBigEndian = 1;
constexpr uint8_t kFlagInline = 2;

// The module text is framed by two 16-byte sentinels (cmd/go/internal/modload infoStart and
// infoEnd); Go recognises the framing by the newline just before the end sentinel.
constexpr size_t kSentinelSize = 16;

std::string Hex(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kDigits[v & 0xF]);
    v >>= 4;
  } while (v != 0);
  return "0x" + s;
}

// The virtual address where Go's reader starts looking (DataStart), or nullopt.
std::optional<uint64_t> DataStart(const exe::ObjectFile& obj) {
  switch (obj.format) {
    case exe::Format::kElf: {
      if (const exe::Section* s = obj.FindSection(".go.buildinfo")) return s->addr;
      for (const exe::Segment& g : obj.segments) {
        if (g.type == 1 /* PT_LOAD */ && g.writable && !g.executable) return g.vaddr;
      }
      return std::nullopt;
    }
    case exe::Format::kPe: {
      // The first section whose characteristics are exactly initialized data, readable and
      // writable, ignoring the alignment nibble (usually .data).
      constexpr uint64_t kInitializedData = 0x40, kRead = 0x40000000, kWrite = 0x80000000;
      constexpr uint64_t kAlignMask = 0x00600000;  // Go clears IMAGE_SCN_ALIGN_32BYTES only
      for (const exe::Section& s : obj.sections) {
        if (s.addr == obj.image_base || s.size == 0) continue;
        if ((s.flags & ~kAlignMask) == (kInitializedData | kRead | kWrite)) return s.addr;
      }
      return std::nullopt;
    }
    case exe::Format::kMachO: {
      for (const exe::Section& s : obj.sections) {
        if (s.name == "__go_buildinfo") return s.addr;
      }
      for (const exe::Segment& g : obj.segments) {
        if (g.vaddr != 0 && g.filesz != 0 && g.readable && g.writable && !g.executable) {
          return g.vaddr;
        }
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

struct Blob {
  Bytes bytes;  // from the magic to the end of the region holding it
  uint64_t file_offset;
};

uint64_t FileOffset(const exe::ObjectFile& obj, Bytes b) {
  return obj.slice_offset + static_cast<uint64_t>(b.data() - obj.data.data());
}

// The first magic at a 16-byte-aligned offset of `region` with a whole header after it.
std::optional<Blob> FindMagic(const exe::ObjectFile& obj, Bytes region) {
  std::string_view text = AsStringView(region);
  size_t from = 0;
  while (true) {
    size_t i = text.find(kMagic, from);
    if (i == std::string_view::npos || text.size() - i < kHeaderSize) return std::nullopt;
    if (i % kAlign == 0) {
      Bytes b = region.subspan(i);
      return Blob{b, FileOffset(obj, b)};
    }
    from = i + 1;
  }
}

// A Go string header {ptr, len} at `addr`, then its bytes. Empty strings need no data.
Result<std::string_view> ReadGoString(const exe::ObjectFile& obj, uint64_t addr, int ptr_size,
                                      Endian e, std::string_view what) {
  auto hdr = obj.ReadAt(addr, 2 * static_cast<uint64_t>(ptr_size));
  if (!hdr) {
    return Status::Corrupt("the " + std::string(what) + " string header at " + Hex(addr) +
                           " is not in the file");
  }
  ByteReader r(*hdr, e);
  uint64_t data_addr = *r.Word(ptr_size);
  uint64_t len = *r.Word(ptr_size);
  if (len == 0) return std::string_view();
  auto data = obj.ReadAt(data_addr, len);
  if (!data) {
    return Status::Corrupt("the " + std::string(what) + " string (" + Hex(len) + " bytes at " +
                           Hex(data_addr) + ") is not in the file");
  }
  return AsStringView(*data);
}

Status DecodeBlob(const exe::ObjectFile& obj, const Blob& blob, BuildInfo* info) {
  ByteReader r(blob.bytes, Endian::kLittle);
  r.Skip(kMagic.size());
  uint8_t ptr_size = *r.U8();
  uint8_t flags = *r.U8();
  std::string_view version, mod;
  if (flags & kFlagInline) {
    // Go 1.18+: two uvarint-length-prefixed strings right after the 32-byte header.
    info->inline_layout = true;
    r.Seek(kHeaderSize);
    for (std::string_view* out : {&version, &mod}) {
      const char* what = out == &version ? "Go version" : "module info";
      size_t at = r.pos();
      auto len = r.Uvarint();
      if (!len) {
        return Status::Corrupt("bad " + std::string(what) + " length at +" + std::to_string(at));
      }
      auto bytes = r.Take(*len);
      if (!bytes) {
        return Status::Corrupt(std::string(what) + " length " + std::to_string(*len) + " at +" +
                               std::to_string(at) + " runs past the end (" +
                               std::to_string(r.remaining()) + " bytes left)");
      }
      *out = AsStringView(*bytes);
    }
  } else {
    // Go 1.13-1.17: pointers to the runtime.buildVersion and runtime.modinfo string headers.
    if (ptr_size != 4 && ptr_size != 8) {
      return Status::Corrupt("pointer size " + std::to_string(ptr_size) + " is neither 4 nor 8");
    }
    Endian e = (flags & kFlagBigEndian) ? Endian::kBig : Endian::kLittle;
    r.set_endian(e);
    uint64_t version_ptr = *r.Word(ptr_size);
    uint64_t mod_ptr = *r.Word(ptr_size);
    BK_ASSIGN_OR_RETURN(version,
                        ReadGoString(obj, version_ptr, ptr_size, e, "runtime.buildVersion"));
    BK_ASSIGN_OR_RETURN(mod, ReadGoString(obj, mod_ptr, ptr_size, e, "runtime.modinfo"));
  }
  if (version.empty()) return Status::Corrupt("empty Go version");
  info->go_version = version;
  if (mod.size() >= 2 * kSentinelSize + 1 && mod[mod.size() - kSentinelSize - 1] == '\n') {
    info->modinfo = mod.substr(kSentinelSize, mod.size() - 2 * kSentinelSize);
  } else {
    info->modinfo.clear();  // GOPATH-mode builds carry no module text
  }
  return ParseModInfo(info->modinfo, info);
}

}  // namespace

const std::string* BuildInfo::Setting(std::string_view key) const {
  for (const auto& s : settings) {
    if (s.key == key) return &s.value;
  }
  return nullptr;
}

Result<BuildInfo> ReadBuildInfo(const exe::ObjectFile& obj) {
  auto start = DataStart(obj);
  if (!start) return Status::NotFound("no Go build info (no data section or segment)");
  auto region = obj.ReadFrom(*start);
  if (!region)
    return Status::NotFound("no Go build info (data at " + Hex(*start) + " is not in the file)");
  auto blob = FindMagic(obj, *region);
  if (!blob) return Status::NotFound("no Go build info");
  BuildInfo info;
  info.blob_offset = blob->file_offset;
  Status st = DecodeBlob(obj, *blob, &info);
  if (!st.ok())
    return Status::Corrupt("build info at " + Hex(blob->file_offset) + ": " + st.message());
  return info;
}

std::optional<std::string> ReadGoBuildId(const exe::ObjectFile& obj) {
  if (!obj.go_build_id_note.empty()) return std::string(obj.go_build_id_note);
  // Other formats (and ELF files whose note was dropped): cmd/link writes the ID as a quoted
  // string at the very start of the text; Go's reader looks in its first 32 KB.
  constexpr std::string_view kPrefix = "\xff Go build ID: \"";
  constexpr std::string_view kEnd = "\"\n \xff";
  constexpr size_t kReadSize = size_t{32} * 1024;
  const exe::Section* text = nullptr;
  for (const exe::Section& s : obj.sections) {
    if (s.executable && s.file_size > 0) {
      text = &s;
      break;
    }
  }
  std::optional<Bytes> data;
  if (text != nullptr) {
    data = obj.SectionData(*text);
  } else {
    for (const exe::Segment& g : obj.segments) {
      if (g.executable && g.filesz > 0) {
        data = SubSpan(obj.data, g.offset, g.filesz);
        break;
      }
    }
  }
  if (!data) return std::nullopt;
  std::string_view s = AsStringView(data->first(std::min(data->size(), kReadSize)));
  size_t i = s.find(kPrefix);
  if (i == std::string_view::npos) return std::nullopt;
  size_t j = s.find(kEnd, i + kPrefix.size());
  if (j == std::string_view::npos) return std::nullopt;
  // The quoted literal runs from the opening quote (last byte of the prefix) to the closing one.
  return GoUnquote(s.substr(i + kPrefix.size() - 1, j - i - kPrefix.size() + 2));
}

}  // namespace barekit::gobin
