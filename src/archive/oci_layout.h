// OCI image layout writer (image-spec v1.0: oci-layout, index.json, blobs/sha256/<hex>) plus the
// two single-file forms built on it: oci-archive (a tar of the layout) and docker-archive
// (`docker save` format: manifest.json, repositories, <config>.json, <diffid>.tar).
// All JSON is compact with a fixed key order; all times come from the caller. Format notes:
// doc/formats/oci.md.
#ifndef ARCHIVE_OCI_LAYOUT_H_
#define ARCHIVE_OCI_LAYOUT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "archive/compress.h"
#include "archive/file_tree.h"
#include "base/status.h"

namespace barekit::archive {

inline constexpr std::string_view kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfigType = "application/vnd.oci.image.config.v1+json";

struct Platform {
  std::string os = "linux";
  std::string architecture;  // GOARCH names, as OCI uses them ("amd64", "arm64", "riscv64")
  std::string variant;       // "" or e.g. "v7"
};

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  uint64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
};

struct ImageConfig {
  std::string created;  // RFC 3339, from SOURCE_DATE_EPOCH or the epoch
  std::string author;
  std::string user;
  std::vector<std::string> env;  // sorted by the writer
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string history_created_by;  // one history entry per layer
};

struct Layer {
  Descriptor blob;        // the (compressed) layer as stored
  std::string diff_id;    // sha256 of the uncompressed tar
  uint64_t tar_size = 0;  // uncompressed bytes
};

// "1970-01-01T00:00:00Z" for 0.
std::string Rfc3339Utc(int64_t seconds);
// The OCI config JSON, exposed for docker-archive and tests.
std::string ConfigJson(const Platform& p, const ImageConfig& c, const std::vector<Layer>& layers);

class OciLayoutWriter {
 public:
  // `root` must exist (typically an AtomicDir's temporary path).
  explicit OciLayoutWriter(std::string root) : root_(std::move(root)) {}
  Status Init();

  // Streams `tree` as tar -> compressor -> blobs/sha256, hashing both sides on the way.
  Result<Layer> WriteLayer(const FileTree& tree, uint64_t mtime, Compression c, int level);
  Result<Descriptor> WriteBlob(std::string_view media_type, std::string_view bytes);
  // Writes the config and manifest blobs; returns the manifest descriptor with its platform.
  Result<Descriptor> WriteImage(const Platform& p, const ImageConfig& c,
                                const std::vector<Layer>& layers,
                                const std::map<std::string, std::string>& annotations);
  // index.json and oci-layout. One manifest: index.json points at it directly. Several: an image
  // index blob lists them by platform and index.json points at that. `ref_name` ("latest") goes
  // into org.opencontainers.image.ref.name. Returns the descriptor index.json names.
  Result<Descriptor> Finish(const std::vector<Descriptor>& manifests, const std::string& ref_name);

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

// Tars a finished layout directory (sorted, fixed metadata) into `out_path`, atomically.
Status WriteOciArchive(const std::string& layout_dir, uint64_t mtime, const std::string& out_path);

// docker-archive of one single-platform image whose layers are already uncompressed tar files
// on disk (`layer_files[i]` holds the tar of `layers[i]`).
Status WriteDockerArchive(const Platform& p, const ImageConfig& c, const std::vector<Layer>& layers,
                          const std::vector<std::string>& layer_files, const std::string& repo_tag,
                          uint64_t mtime, const std::string& out_path, std::string* config_digest);

}  // namespace barekit::archive

#endif  // ARCHIVE_OCI_LAYOUT_H_
