// `barekit pack`: from binaries and options to an initramfs or OCI image, with a report of every
// file and why it is there. Contents are chosen by need (needs.h), libraries by an ELF walk
// (library_closure.h), modules by .modinfo (modinfo.h); bytes are written by src/archive.
// Design and rules: doc/pack.md.
#ifndef PACK_PACK_H_
#define PACK_PACK_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "archive/compress.h"
#include "archive/file_tree.h"
#include "base/status.h"
#include "pack/needs.h"

namespace barekit::pack {

enum class OutputKind { kInitramfs, kOciLayout, kOciArchive, kDockerArchive };
std::string_view OutputKindName(
    OutputKind k);  // "initramfs", "oci", "oci-archive", "docker-archive"

struct AddSpec {
  std::string src;  // host file or directory
  std::string dst;  // image path
};
// "SRC:DST" (DST absolute). InvalidArgument on anything else.
Result<AddSpec> ParseAddSpec(std::string_view spec);

struct PackOptions {
  std::vector<std::string> binaries;
  std::vector<AddSpec> adds;
  std::string init_config;  // user's init.toml (replaces the generated one)
  std::string init_binary;  // barekit-init to embed, overriding the built-in one
  // Built-in barekit-init bytes for a GOARCH; null or an error when none is embedded.
  std::function<Result<std::string>(std::string_view goarch)> embedded_init;
  bool no_init = false;  // OCI: the binary is the entrypoint; initramfs: /init -> the binary
  OutputKind kind = OutputKind::kInitramfs;
  std::string output;
  archive::Compression compression = archive::Compression::kZstd;
  int level = 0;    // 0: the compressor's default
  std::string tag;  // "name:tag"; default "<first binary>:latest"
  std::string sysroot = "/";
  std::string ca_bundle;              // default: the first of Go's paths that exists on the host
  std::vector<std::string> tz_zones;  // limit zoneinfo to these zones
  std::vector<std::string> modules;
  std::string modules_dir;
  std::optional<GoFacts> facts;  // replaces what the function table says (tests, --go-packages)
  int64_t source_date_epoch = 0;
  std::string user = "65532:65532";
  std::string barekit_version = "0.1.0";
  std::string host_root = "/";  // where host files (CA bundle, zoneinfo, services) are read
};

struct ReportFile {
  std::string arch;
  std::string path;  // absolute image path
  std::string type;  // "file", "dir", "symlink", "char", "block", "fifo"
  uint64_t size = 0;
  std::string reason;
};

struct PackReport {
  std::string output;
  std::string kind;
  std::string compression;
  std::string compressor;  // library and version that made the bytes
  std::string digest;      // OCI: index.json's descriptor; docker: config; initramfs: the file
  uint64_t output_size = 0;
  std::vector<std::string> arches;
  std::vector<ReportFile> files;
  uint64_t binary_bytes = 0;         // the binaries themselves
  uint64_t content_bytes = 0;        // every regular file in the image(s)
  std::vector<std::string> modules;  // load order
};

// Everything is checked before the output is created; on any error nothing is left at
// `opts.output`.
Result<PackReport> Pack(const PackOptions& opts);

std::string ReportJson(const PackReport& r);
std::string ReportText(const PackReport& r);

}  // namespace barekit::pack

#endif  // PACK_PACK_H_
