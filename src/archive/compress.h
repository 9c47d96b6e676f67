// Streaming compressors as sinks. Output is deterministic for a given library version:
// gzip via zlib (header mtime 0, no name, OS 3 = Unix, like `gzip -n`), zstd single-threaded with
// a content checksum (like the zstd CLI). Levels and versions: doc/pack.md.
#ifndef ARCHIVE_COMPRESS_H_
#define ARCHIVE_COMPRESS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "archive/sink.h"

namespace barekit::archive {

enum class Compression { kNone, kGzip, kZstd };

std::string_view CompressionName(Compression c);  // "none", "gzip", "zstd"
std::optional<Compression> ParseCompression(std::string_view name);
// Default levels: gzip 6 (gzip's own default), zstd 3 (the zstd CLI default).
int DefaultLevel(Compression c);

// A sink compressing into `next`; Finish() ends the stream and finishes `next`.
// kNone returns a pass-through sink.
Result<std::unique_ptr<ByteSink>> MakeCompressor(Compression c, int level, ByteSink* next);

// The library versions that make the bytes (recorded in reports: compressed bytes are only
// reproducible with the same compressor build).
std::string CompressorVersion(Compression c);

}  // namespace barekit::archive

#endif  // ARCHIVE_COMPRESS_H_
