#include "archive/cpio_writer.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace barekit::archive {
namespace {

void PutHex8(char* p, uint32_t v) {
  static const char kHex[] = "0123456789ABCDEF";
  for (int i = 7; i >= 0; --i) {
    p[i] = kHex[v & 15];
    v >>= 4;
  }
}

size_t PadTo4(uint64_t n) { return static_cast<size_t>((4 - (n & 3)) & 3); }

}  // namespace

Status CpioWriter::WriteRecord(std::string_view name, const Header& h, Bytes data) {
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("cpio: bad entry name \"" + std::string(name) + "\"");
  }
  if (h.size > 0xffffffffu) {
    return Status::Unsupported("cpio: /" + std::string(name) +
                               " is 4 GiB or larger, which newc cannot record");
  }
  if (name.size() + 1 > 0xffffffffu) return Status::Unsupported("cpio: name too long");
  // 6 magic + 13 fields of 8 hex digits = 110 bytes.
  char hdr[110];
  std::memcpy(hdr, "070701", 6);
  uint32_t fields[13] = {
      h.trailer ? 0 : next_ino_,               // c_ino
      h.mode,                                  // c_mode
      h.uid,                                   // c_uid
      h.gid,                                   // c_gid
      h.nlink,                                 // c_nlink
      h.trailer ? 0 : mtime_,                  // c_mtime
      static_cast<uint32_t>(h.size),           // c_filesize
      0,                                       // c_devmajor
      0,                                       // c_devminor
      h.rdev_major,                            // c_rdevmajor
      h.rdev_minor,                            // c_rdevminor
      static_cast<uint32_t>(name.size() + 1),  // c_namesize, counting the NUL
      0,                                       // c_check (unused by 070701)
  };
  for (int i = 0; i < 13; ++i) PutHex8(hdr + 6 + 8 * i, fields[i]);
  if (!h.trailer) ++next_ino_;
  BK_RETURN_IF_ERROR(out_->Write(Bytes(reinterpret_cast<const std::byte*>(hdr), sizeof(hdr))));
  BK_RETURN_IF_ERROR(out_->Write(name));
  // Name plus NUL, padded so header + name ends on a 4-byte boundary.
  size_t name_total = sizeof(hdr) + name.size() + 1;
  BK_RETURN_IF_ERROR(out_->WriteZeros(1 + PadTo4(name_total)));
  offset_ += name_total + PadTo4(name_total);
  if (!data.empty()) {
    BK_RETURN_IF_ERROR(out_->Write(data));
    BK_RETURN_IF_ERROR(out_->WriteZeros(PadTo4(data.size())));
    offset_ += data.size() + PadTo4(data.size());
  }
  return Status::Ok();
}

Status CpioWriter::AddDirectory(std::string_view path, uint32_t mode, uint32_t uid, uint32_t gid) {
  Header h;
  h.mode = S_IFDIR | (mode & 07777);
  h.uid = uid;
  h.gid = gid;
  h.nlink = 2;
  return WriteRecord(path, h, {});
}

Status CpioWriter::AddFile(std::string_view path, uint32_t mode, Bytes data, uint32_t uid,
                           uint32_t gid) {
  Header h;
  h.mode = S_IFREG | (mode & 07777);
  h.uid = uid;
  h.gid = gid;
  h.size = data.size();
  return WriteRecord(path, h, data);
}

Status CpioWriter::AddSymlink(std::string_view path, std::string_view target) {
  Header h;
  h.mode = S_IFLNK | 0777;
  h.size = target.size();  // the body is the target, without a NUL (as libarchive writes it)
  return WriteRecord(path, h, AsBytes(target));
}

Status CpioWriter::AddDeviceNode(std::string_view path, char type, uint32_t mode, uint32_t major,
                                 uint32_t minor) {
  if (type != 'c' && type != 'b')
    return Status::InvalidArgument("cpio: device type must be c or b");
  Header h;
  h.mode = (type == 'c' ? S_IFCHR : S_IFBLK) | (mode & 07777);
  h.rdev_major = major;
  h.rdev_minor = minor;
  return WriteRecord(path, h, {});
}

Status CpioWriter::AddFifo(std::string_view path, uint32_t mode) {
  Header h;
  h.mode = S_IFIFO | (mode & 07777);
  return WriteRecord(path, h, {});
}

Status CpioWriter::Finish() {
  Header h;
  h.trailer = true;
  return WriteRecord("TRAILER!!!", h, {});
}

Status WriteTreeAsCpio(const FileTree& tree, uint32_t mtime, ByteSink* out) {
  CpioWriter w(out, mtime);
  return WriteTree(tree, w);
}

}  // namespace barekit::archive
