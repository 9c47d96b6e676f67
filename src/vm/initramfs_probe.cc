#include "vm/initramfs_probe.h"

#include <zlib.h>
#include <zstd.h>

#include <functional>
#include <map>
#include <memory>

#include "base/mapped_file.h"

namespace barekit::vm {
namespace {

constexpr size_t kHeader = 110;
constexpr size_t kMaxName = 4096;
constexpr uint64_t kMaxEntries = 1 << 20;

std::string ElfArch(std::string_view head) {
  if (head.size() < 20 || head.substr(0, 4) !=
                              "\x7f"
                              "ELF")
    return "";
  Endian e = head[5] == 2 ? Endian::kBig : Endian::kLittle;
  uint64_t machine = LoadUint(AsBytes(head).data() + 18, 2, e);
  switch (machine) {
    case 62:
      return "amd64";
    case 183:
      return "arm64";
    case 243:
      return "riscv64";
    case 3:
      return "386";
    case 40:
      return "arm";
    case 8:
      return "mips";
    case 21:
      return "ppc64";
    case 22:
      return "s390x";
    default:
      return "elf-machine-" + std::to_string(machine);
  }
}

// A push parser over the decompressed stream: headers and names are collected, file data is
// skipped except the first bytes of regular files and the targets of symlinks.
class CpioScanner {
 public:
  // Returns false to stop (done or error).
  bool Push(std::string_view chunk) {
    while (!chunk.empty() && !done_ && status_.ok()) {
      size_t take = std::min<uint64_t>(chunk.size(), want_);
      if (keep_) buf_.append(chunk.substr(0, take));
      chunk.remove_prefix(take);
      want_ -= take;
      offset_ += take;
      if (want_ == 0) Step();
    }
    return !done_ && status_.ok();
  }
  bool done() const { return done_; }
  const Status& status() const { return status_; }
  InitramfsInfo Finish(Status* st) {
    if (status_.ok() && !done_)
      status_ = Status::Corrupt("cpio: archive ends before its trailer at byte " +
                                std::to_string(offset_));
    *st = status_;
    return info_;
  }

 private:
  enum State { kHead, kName, kNamePad, kData, kDataPad };

  uint64_t Hex(size_t field) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) {
      char c = buf_[6 + field * 8 + i];
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) {
        bad_hex_ = true;
        return 0;
      }
      v = v << 4 | static_cast<uint64_t>(d);
    }
    return v;
  }

  void Step() {
    switch (state_) {
      case kHead: {
        header_at_ = offset_ - kHeader;
        if (buf_.compare(0, 6, "070701") != 0 && buf_.compare(0, 6, "070702") != 0) {
          status_ =
              Status::Corrupt("cpio: no newc header magic at byte " + std::to_string(header_at_));
          return;
        }
        bad_hex_ = false;
        mode_ = Hex(1);
        filesize_ = Hex(6);
        uint64_t namesize = Hex(11);
        if (bad_hex_ || namesize == 0 || namesize > kMaxName) {
          status_ = Status::Corrupt("cpio: bad header at byte " + std::to_string(header_at_));
          return;
        }
        if (++info_.entries > kMaxEntries) {
          status_ = Status::Corrupt("cpio: more than a million entries");
          return;
        }
        state_ = kName;
        Expect(namesize, true);
        return;
      }
      case kName: {
        name_ = buf_;
        if (name_.empty() || name_.back() != '\0') {
          status_ = Status::Corrupt("cpio: name not NUL-terminated at byte " +
                                    std::to_string(header_at_ + kHeader));
          return;
        }
        name_.pop_back();
        while (name_.rfind("./", 0) == 0) name_.erase(0, 2);
        while (!name_.empty() && name_[0] == '/') name_.erase(0, 1);
        if (name_ == "TRAILER!!!") {
          done_ = true;
          return;
        }
        state_ = kNamePad;
        Expect((4 - (kHeader + buf_.size()) % 4) % 4, false);
        if (want_ == 0) Step();
        return;
      }
      case kNamePad: {
        state_ = kData;
        bool link = (mode_ & 0170000) == 0120000;
        bool reg = (mode_ & 0170000) == 0100000;
        if (link && filesize_ > kMaxName) {
          status_ = Status::Corrupt("cpio: symlink target too long at byte " +
                                    std::to_string(header_at_));
          return;
        }
        data_left_ = filesize_;
        is_link_ = link;
        is_reg_ = reg;
        Expect(link ? filesize_ : std::min<uint64_t>(filesize_, reg ? 64 : 0), true);
        if (want_ == 0) Step();
        return;
      }
      case kData: {
        data_left_ -= buf_.size();
        if (is_link_) links_[name_] = buf_;
        if (is_reg_) heads_[name_] = ElfArch(buf_);
        if (Resolve()) return;
        state_ = kDataPad;
        Expect(data_left_ + (4 - filesize_ % 4) % 4, false);
        if (want_ == 0) Step();
        return;
      }
      case kDataPad:
        state_ = kHead;
        Expect(kHeader, true);
        return;
    }
  }

  // True when /init resolves to a regular file already seen.
  bool Resolve() {
    std::string p = "init";
    for (int hops = 0; hops < 8; ++hops) {
      if (auto h = heads_.find(p); h != heads_.end()) {
        info_.init_path = p;
        info_.arch = h->second;
        done_ = true;
        return true;
      }
      auto l = links_.find(p);
      if (l == links_.end()) return false;
      std::string target = l->second;
      if (!target.empty() && target[0] == '/') {
        p = target.substr(1);
      } else {
        size_t slash = p.rfind('/');
        p.resize(slash == std::string::npos ? 0 : slash + 1);  // the link's directory
        p += target;
      }
    }
    return false;
  }

  void Expect(uint64_t n, bool keep) {
    want_ = n;
    keep_ = keep;
    buf_.clear();
  }

 public:
  InitramfsInfo info_;

 private:
  State state_ = kHead;
  uint64_t want_ = kHeader;
  bool keep_ = true;
  std::string buf_, name_;
  uint64_t offset_ = 0, header_at_ = 0, mode_ = 0, filesize_ = 0, data_left_ = 0;
  bool bad_hex_ = false, is_link_ = false, is_reg_ = false, done_ = false;
  Status status_;
  std::map<std::string, std::string> links_;  // symlink name -> target
  std::map<std::string, std::string> heads_;  // regular file -> ELF arch ("" if not ELF)
};

}  // namespace

Result<InitramfsInfo> ProbeInitramfs(Bytes data) {
  CpioScanner scan;
  std::string_view in = AsStringView(data);
  std::string out(1 << 16, '\0');
  std::string compression;
  if (in.substr(0, 2) == "\x1f\x8b") {
    compression = "gzip";
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Status::IoError("zlib init failed");
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT32_MAX));
    for (;;) {
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      int rc = inflate(&z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
        return Status::Corrupt("gzip: corrupt data near input byte " + std::to_string(z.total_in));
      size_t got = out.size() - z.avail_out;
      if (!scan.Push(std::string_view(out.data(), got))) break;
      if (rc == Z_STREAM_END || (rc == Z_BUF_ERROR && got == 0)) break;
    }
  } else if (in.substr(0, 4) == "\x28\xb5\x2f\xfd") {
    compression = "zstd";
    std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> d(ZSTD_createDCtx(), ZSTD_freeDCtx);
    ZSTD_DCtx_setParameter(d.get(), ZSTD_d_windowLogMax, 27);  // bounded memory
    ZSTD_inBuffer ib{in.data(), in.size(), 0};
    for (;;) {
      ZSTD_outBuffer ob{out.data(), out.size(), 0};
      size_t rc = ZSTD_decompressStream(d.get(), &ob, &ib);
      if (ZSTD_isError(rc))
        return Status::Corrupt(std::string("zstd: ") + ZSTD_getErrorName(rc) + " near input byte " +
                               std::to_string(ib.pos));
      if (!scan.Push(std::string_view(out.data(), ob.pos))) break;
      if (ob.pos == 0 && ib.pos == ib.size) break;
    }
  } else if (in.substr(0, 6) == "070701" || in.substr(0, 6) == "070702") {
    compression = "none";
    scan.Push(in);
  } else {
    return Status::NotMine("not an initramfs (no gzip, zstd or cpio newc magic at byte 0)");
  }
  Status st;
  InitramfsInfo info = scan.Finish(&st);
  if (!st.ok()) return st;
  info.compression = compression;
  return info;
}

Result<InitramfsInfo> ProbeInitramfsFile(const std::string& path) {
  BK_ASSIGN_OR_RETURN(MappedFile f, MappedFile::Open(path));
  Result<InitramfsInfo> r = ProbeInitramfs(f.bytes());
  if (!r.ok()) return r.status().WithContext(path);
  return r;
}

}  // namespace barekit::vm
