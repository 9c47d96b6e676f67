#include "archive/compress.h"

#include <zlib.h>
#include <zstd.h>

#include <vector>

namespace barekit::archive {
namespace {

constexpr size_t kOutChunk = 1 << 17;

class PassSink : public ByteSink {
 public:
  explicit PassSink(ByteSink* next) : next_(next) {}
  Status Write(Bytes d) override { return next_->Write(d); }
  Status Finish() override { return next_->Finish(); }

 private:
  ByteSink* next_;
};

class GzipSink : public ByteSink {
 public:
  explicit GzipSink(ByteSink* next) : next_(next), out_(kOutChunk) {}
  ~GzipSink() override {
    if (inited_) deflateEnd(&z_);
  }
  Status Init(int level) {
    // windowBits 15 + 16: a gzip wrapper whose header zlib fills with mtime 0 and no name.
    if (deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return Status::InvalidArgument("gzip: cannot initialise zlib at level " +
                                     std::to_string(level));
    }
    inited_ = true;
    return Status::Ok();
  }
  Status Write(Bytes d) override {
    while (!d.empty()) {
      // avail_in is 32-bit.
      size_t k = d.size() < (size_t{1} << 30) ? d.size() : (size_t{1} << 30);
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(d.data()));
      z_.avail_in = static_cast<uInt>(k);
      BK_RETURN_IF_ERROR(Pump(Z_NO_FLUSH));
      d = d.subspan(k);
    }
    return Status::Ok();
  }
  Status Finish() override {
    z_.next_in = nullptr;
    z_.avail_in = 0;
    BK_RETURN_IF_ERROR(Pump(Z_FINISH));
    return next_->Finish();
  }

 private:
  Status Pump(int flush) {
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = static_cast<uInt>(out_.size());
      int rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) return Status::IoError("gzip: zlib stream error");
      size_t have = out_.size() - z_.avail_out;
      if (have > 0) BK_RETURN_IF_ERROR(next_->Write(Bytes(out_.data(), have)));
      if (flush == Z_FINISH) {
        if (rc == Z_STREAM_END) return Status::Ok();
      } else if (z_.avail_in == 0 && z_.avail_out != 0) {
        return Status::Ok();
      }
    }
  }
  ByteSink* next_;
  z_stream z_{};
  bool inited_ = false;
  std::vector<std::byte> out_;
};

class ZstdSink : public ByteSink {
 public:
  explicit ZstdSink(ByteSink* next) : next_(next), out_(ZSTD_CStreamOutSize()) {}
  ~ZstdSink() override { ZSTD_freeCCtx(cctx_); }
  Status Init(int level) {
    cctx_ = ZSTD_createCCtx();
    if (cctx_ == nullptr) return Status::IoError("zstd: out of memory");
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1))) {
      return Status::InvalidArgument("zstd: bad level " + std::to_string(level));
    }
    return Status::Ok();
  }
  Status Write(Bytes d) override {
    ZSTD_inBuffer in{d.data(), d.size(), 0};
    while (in.pos < in.size) {
      BK_RETURN_IF_ERROR(Step(&in, ZSTD_e_continue));
    }
    return Status::Ok();
  }
  Status Finish() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    for (;;) {
      size_t remaining = 0;
      BK_RETURN_IF_ERROR(Step(&in, ZSTD_e_end, &remaining));
      if (remaining == 0) break;
    }
    return next_->Finish();
  }

 private:
  Status Step(ZSTD_inBuffer* in, ZSTD_EndDirective mode, size_t* remaining = nullptr) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t rc = ZSTD_compressStream2(cctx_, &out, in, mode);
    if (ZSTD_isError(rc)) return Status::IoError(std::string("zstd: ") + ZSTD_getErrorName(rc));
    if (remaining) *remaining = rc;
    if (out.pos > 0) return next_->Write(Bytes(out_.data(), out.pos));
    return Status::Ok();
  }
  ByteSink* next_;
  ZSTD_CCtx* cctx_ = nullptr;
  std::vector<std::byte> out_;
};

}  // namespace

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
  }
  return "?";
}

std::optional<Compression> ParseCompression(std::string_view name) {
  if (name == "none") return Compression::kNone;
  if (name == "gzip") return Compression::kGzip;
  if (name == "zstd") return Compression::kZstd;
  return std::nullopt;
}

int DefaultLevel(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return 6;
    case Compression::kZstd:
      return 3;
    case Compression::kNone:
      return 0;
  }
  return 0;
}

Result<std::unique_ptr<ByteSink>> MakeCompressor(Compression c, int level, ByteSink* next) {
  switch (c) {
    case Compression::kNone:
      return std::unique_ptr<ByteSink>(std::make_unique<PassSink>(next));
    case Compression::kGzip: {
      if (level < 1 || level > 9) return Status::InvalidArgument("gzip level must be 1..9");
      auto s = std::make_unique<GzipSink>(next);
      BK_RETURN_IF_ERROR(s->Init(level));
      return std::unique_ptr<ByteSink>(std::move(s));
    }
    case Compression::kZstd: {
      if (level < 1 || level > 19) return Status::InvalidArgument("zstd level must be 1..19");
      auto s = std::make_unique<ZstdSink>(next);
      BK_RETURN_IF_ERROR(s->Init(level));
      return std::unique_ptr<ByteSink>(std::move(s));
    }
  }
  return Status::InvalidArgument("unknown compression");
}

std::string CompressorVersion(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return std::string("zlib ") + zlibVersion();
    case Compression::kZstd:
      return std::string("zstd ") + ZSTD_versionString();
    case Compression::kNone:
      return "";
  }
  return "";
}

}  // namespace barekit::archive
