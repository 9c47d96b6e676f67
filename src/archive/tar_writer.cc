#include "archive/tar_writer.h"

#include <cstring>
#include <string>

namespace barekit::archive {
namespace {

// Octal, zero-padded to width-1 digits plus a NUL. False when the value does not fit.
bool PutOctal(char* field, size_t width, uint64_t v) {
  size_t digits = width - 1;
  if (digits < 22 && v >= (uint64_t{1} << (3 * digits))) return false;
  field[digits] = '\0';
  for (size_t i = digits; i-- > 0;) {
    field[i] = static_cast<char>('0' + (v & 7));
    v >>= 3;
  }
  return true;
}

// "len key=value\n" where len counts the whole record, itself included.
void AppendPaxRecord(std::string* out, std::string_view key, std::string_view value) {
  size_t base = key.size() + value.size() + 3;  // space, '=', newline
  size_t len = base + 1;
  while (std::to_string(len).size() + base != len) ++len;
  *out += std::to_string(len);
  *out += ' ';
  *out += key;
  *out += '=';
  *out += value;
  *out += '\n';
}

// Splits a path for ustar's prefix (155) + name (100) at a '/'. False when impossible.
bool SplitUstar(std::string_view path, std::string_view* prefix, std::string_view* name) {
  if (path.size() <= 100) {
    *prefix = {};
    *name = path;
    return true;
  }
  // The name part must be at most 100 bytes and the prefix at most 155.
  size_t start = path.size() > 101 ? path.size() - 101 : 0;
  size_t slash = path.find('/', start);
  while (slash != std::string_view::npos) {
    if (slash <= 155 && path.size() - slash - 1 <= 100 && slash > 0 && slash + 1 < path.size()) {
      *prefix = path.substr(0, slash);
      *name = path.substr(slash + 1);
      return true;
    }
    slash = path.find('/', slash + 1);
  }
  return false;
}

}  // namespace

Status TarWriter::WriteBlock(std::string_view name, const Header& h, std::string_view prefix) {
  char b[512];
  std::memset(b, 0, sizeof(b));
  name.copy(b, name.size());            // name[100]
  PutOctal(b + 100, 8, h.mode);         // mode
  PutOctal(b + 108, 8, h.uid);          // uid
  PutOctal(b + 116, 8, h.gid);          // gid
  PutOctal(b + 124, 12, h.size);        // size
  PutOctal(b + 136, 12, mtime_);        // mtime
  std::memset(b + 148, ' ', 8);         // chksum (spaces while summing)
  b[156] = h.type;                      // typeflag
  h.link.copy(b + 157, h.link.size());  // linkname[100] (may be empty)
  std::memcpy(b + 257, "ustar", 6);     // magic "ustar\0"
  std::memcpy(b + 263, "00", 2);        // version
  // uname[32] at 265 and gname[32] at 297 stay empty.
  if (h.type == '3' || h.type == '4') {
    PutOctal(b + 329, 8, h.major);  // devmajor
    PutOctal(b + 337, 8, h.minor);  // devminor
  }
  prefix.copy(b + 345, prefix.size());  // prefix[155]
  uint32_t sum = 0;
  for (unsigned char c : b) sum += c;
  PutOctal(b + 148, 7, sum);  // six digits, NUL, then the space already there
  b[155] = ' ';
  return out_->Write(Bytes(reinterpret_cast<const std::byte*>(b), sizeof(b)));
}

Status TarWriter::WriteHeader(const Header& h) {
  if (h.path.empty() || h.path.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("tar: bad entry name");
  }
  std::string pax;
  std::string_view prefix, name;
  Header fit = h;
  if (!SplitUstar(h.path, &prefix, &name)) {
    AppendPaxRecord(&pax, "path", h.path);
    // The ustar fields keep a truncated, still-unique-enough fallback for old readers.
    prefix = {};
    name = h.path.substr(h.path.size() - 100);
    fit.path = name;
  }
  if (h.link.size() > 100) {
    AppendPaxRecord(&pax, "linkpath", h.link);
    fit.link = h.link.substr(0, 100);
  }
  if (h.size >= (uint64_t{1} << 33)) {
    AppendPaxRecord(&pax, "size", std::to_string(h.size));
    fit.size = 0;
  }
  if (h.uid > 07777777) {
    AppendPaxRecord(&pax, "uid", std::to_string(h.uid));
    fit.uid = 0;
  }
  if (h.gid > 07777777) {
    AppendPaxRecord(&pax, "gid", std::to_string(h.gid));
    fit.gid = 0;
  }
  if (!pax.empty()) {
    // A fixed PaxHeader name: no pid or time in it.
    std::string base(name.substr(0, 80));
    std::string pax_name = "PaxHeaders/" + base;
    Header ph;
    ph.type = 'x';
    ph.mode = 0644;
    ph.size = pax.size();
    BK_RETURN_IF_ERROR(WriteBlock(pax_name.substr(0, 100), ph, {}));
    BK_RETURN_IF_ERROR(out_->Write(pax));
    BK_RETURN_IF_ERROR(out_->WriteZeros(Pad512(pax.size())));
  }
  return WriteBlock(name, fit, prefix);
}

Status TarWriter::AddDirectory(std::string_view path, uint32_t mode, uint32_t uid, uint32_t gid) {
  std::string p(path);
  if (p.back() != '/') p += '/';
  Header h;
  h.path = p;
  h.type = '5';
  h.mode = mode & 07777;
  h.uid = uid;
  h.gid = gid;
  return WriteHeader(h);
}

Status TarWriter::AddFile(std::string_view path, uint32_t mode, Bytes data, uint32_t uid,
                          uint32_t gid) {
  Header h;
  h.path = path;
  h.type = '0';
  h.mode = mode & 07777;
  h.uid = uid;
  h.gid = gid;
  h.size = data.size();
  BK_RETURN_IF_ERROR(WriteHeader(h));
  BK_RETURN_IF_ERROR(out_->Write(data));
  return out_->WriteZeros(Pad512(data.size()));
}

Status TarWriter::BeginFile(std::string_view path, uint32_t mode, uint64_t size) {
  Header h;
  h.path = path;
  h.type = '0';
  h.mode = mode & 07777;
  h.size = size;
  return WriteHeader(h);
}

Status TarWriter::AddSymlink(std::string_view path, std::string_view target) {
  Header h;
  h.path = path;
  h.link = target;
  h.type = '2';
  h.mode = 0777;
  return WriteHeader(h);
}

Status TarWriter::AddDeviceNode(std::string_view path, char type, uint32_t mode, uint32_t major,
                                uint32_t minor) {
  if (type != 'c' && type != 'b') return Status::InvalidArgument("tar: device type must be c or b");
  Header h;
  h.path = path;
  h.type = type == 'c' ? '3' : '4';
  h.mode = mode & 07777;
  h.major = major;
  h.minor = minor;
  if (major > 07777777 || minor > 07777777) {
    return Status::Unsupported("tar: device numbers of /" + std::string(path) + " too large");
  }
  return WriteHeader(h);
}

Status TarWriter::AddFifo(std::string_view path, uint32_t mode) {
  Header h;
  h.path = path;
  h.type = '6';
  h.mode = mode & 07777;
  return WriteHeader(h);
}

Status TarWriter::Finish() { return out_->WriteZeros(1024); }

Status WriteTreeAsTar(const FileTree& tree, uint64_t mtime, ByteSink* out) {
  TarWriter w(out, mtime);
  return WriteTree(tree, w);
}

}  // namespace barekit::archive
