#include "archive/oci_layout.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>
#include <vector>

#include "archive/atomic_output.h"
#include "archive/sha256.h"
#include "archive/tar_writer.h"
#include "base/posix_error.h"
#include "base/unique_fd.h"

namespace barekit::archive {
namespace {

using Json = nlohmann::ordered_json;

std::string LayerMediaType(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "application/vnd.oci.image.layer.v1.tar";
    case Compression::kGzip:
      return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Compression::kZstd:
      return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  return "";
}

Json PlatformJson(const Platform& p) {
  Json j;
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.variant.empty()) j["variant"] = p.variant;
  return j;
}

Json DescriptorJson(const Descriptor& d) {
  Json j;
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest;
  j["size"] = d.size;
  if (d.platform) j["platform"] = PlatformJson(*d.platform);
  if (!d.annotations.empty()) {
    Json a = Json::object();
    for (const auto& [k, v] : d.annotations) a[k] = v;
    j["annotations"] = a;
  }
  return j;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::strict); }

Status WriteWholeFile(const std::string& path, std::string_view bytes) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return PosixError(path, errno);
  ::fchmod(fd.get(), 0644);
  FdSink sink(fd.get(), path);
  BK_RETURN_IF_ERROR(sink.Write(AsBytes(bytes)));
  return sink.Finish();
}

std::string Hex(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

}  // namespace

std::string Rfc3339Utc(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string ConfigJson(const Platform& p, const ImageConfig& c, const std::vector<Layer>& layers) {
  Json j;
  if (!c.created.empty()) j["created"] = c.created;
  if (!c.author.empty()) j["author"] = c.author;
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.variant.empty()) j["variant"] = p.variant;
  Json cfg = Json::object();
  if (!c.user.empty()) cfg["User"] = c.user;
  if (!c.env.empty()) {
    std::vector<std::string> env = c.env;
    std::sort(env.begin(), env.end());
    cfg["Env"] = env;
  }
  if (!c.entrypoint.empty()) cfg["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) cfg["Cmd"] = c.cmd;
  if (!c.working_dir.empty()) cfg["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) {
    Json l = Json::object();
    for (const auto& [k, v] : c.labels) l[k] = v;
    cfg["Labels"] = l;
  }
  j["config"] = cfg;
  Json rootfs;
  rootfs["type"] = "layers";
  Json ids = Json::array();
  for (const auto& l : layers) ids.push_back(l.diff_id);
  rootfs["diff_ids"] = ids;
  j["rootfs"] = rootfs;
  Json hist = Json::array();
  for (size_t i = 0; i < layers.size(); ++i) {
    Json h;
    if (!c.created.empty()) h["created"] = c.created;
    if (!c.history_created_by.empty()) h["created_by"] = c.history_created_by;
    hist.push_back(h);
  }
  j["history"] = hist;
  return Dump(j);
}

Status OciLayoutWriter::Init() {
  for (std::string d : {root_ + "/blobs", root_ + "/blobs/sha256"}) {
    if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return PosixError(d, errno);
    ::chmod(d.c_str(), 0755);
  }
  return Status::Ok();
}

Result<Layer> OciLayoutWriter::WriteLayer(const FileTree& tree, uint64_t mtime, Compression c,
                                          int level) {
  std::string tmpl = root_ + "/blobs/sha256/.layer-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  UniqueFd fd(::mkostemp(buf.data(), O_CLOEXEC));
  if (!fd.valid()) return PosixError(tmpl, errno);
  std::string tmp = buf.data();
  ::fchmod(fd.get(), 0644);
  struct Unlinker {
    std::string p;
    ~Unlinker() {
      if (!p.empty()) ::unlink(p.c_str());
    }
  } unlinker{tmp};

  FdSink file(fd.get(), tmp);
  HashingSink blob(&file);
  BK_ASSIGN_OR_RETURN(auto comp, MakeCompressor(c, level, &blob));
  HashingSink tar(comp.get());
  BK_RETURN_IF_ERROR(WriteTreeAsTar(tree, mtime, &tar));
  BK_RETURN_IF_ERROR(tar.Finish());
  Layer l;
  l.diff_id = tar.Digest();
  l.tar_size = tar.size();
  l.blob.media_type = LayerMediaType(c);
  l.blob.digest = blob.Digest();
  l.blob.size = blob.size();
  std::string final_path = root_ + "/blobs/sha256/" + Hex(l.blob.digest);
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) return PosixError(final_path, errno);
  unlinker.p.clear();
  return l;
}

Result<Descriptor> OciLayoutWriter::WriteBlob(std::string_view media_type, std::string_view bytes) {
  Descriptor d;
  d.media_type = media_type;
  d.digest = "sha256:" + Sha256Hex(bytes);
  d.size = bytes.size();
  BK_RETURN_IF_ERROR(WriteWholeFile(root_ + "/blobs/sha256/" + Hex(d.digest), bytes));
  return d;
}

Result<Descriptor> OciLayoutWriter::WriteImage(
    const Platform& p, const ImageConfig& c, const std::vector<Layer>& layers,
    const std::map<std::string, std::string>& annotations) {
  BK_ASSIGN_OR_RETURN(Descriptor config, WriteBlob(kOciConfigType, ConfigJson(p, c, layers)));
  Json m;
  m["schemaVersion"] = 2;
  m["mediaType"] = kOciManifestType;
  m["config"] = DescriptorJson(config);
  Json ls = Json::array();
  for (const auto& l : layers) ls.push_back(DescriptorJson(l.blob));
  m["layers"] = ls;
  if (!annotations.empty()) {
    Json a = Json::object();
    for (const auto& [k, v] : annotations) a[k] = v;
    m["annotations"] = a;
  }
  BK_ASSIGN_OR_RETURN(Descriptor manifest, WriteBlob(kOciManifestType, Dump(m)));
  manifest.platform = p;
  return manifest;
}

Result<Descriptor> OciLayoutWriter::Finish(const std::vector<Descriptor>& manifests,
                                           const std::string& ref_name) {
  if (manifests.empty()) return Status::InvalidArgument("an OCI layout needs at least one image");
  Descriptor top;
  if (manifests.size() == 1) {
    top = manifests[0];
  } else {
    Json idx;
    idx["schemaVersion"] = 2;
    idx["mediaType"] = kOciIndexType;
    Json ms = Json::array();
    for (const auto& d : manifests) ms.push_back(DescriptorJson(d));
    idx["manifests"] = ms;
    BK_ASSIGN_OR_RETURN(top, WriteBlob(kOciIndexType, Dump(idx)));
  }
  if (!ref_name.empty()) top.annotations["org.opencontainers.image.ref.name"] = ref_name;
  Json index;
  index["schemaVersion"] = 2;
  index["mediaType"] = kOciIndexType;
  index["manifests"] = Json::array({DescriptorJson(top)});
  BK_RETURN_IF_ERROR(WriteWholeFile(root_ + "/index.json", Dump(index)));
  BK_RETURN_IF_ERROR(WriteWholeFile(root_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  return top;
}

namespace {

// Adds every file below `dir` to `tree` under `prefix`, in any order (the tree sorts).
Status AddDirectoryContents(const std::string& dir, const std::string& prefix, FileTree* tree) {
  std::vector<std::string> names;
  {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) return PosixError(dir, errno);
    while (dirent* ent = ::readdir(d.get())) {
      std::string n = ent->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
  }
  for (const auto& n : names) {
    std::string host = dir + "/" + n;
    std::string image = prefix.empty() ? n : prefix + "/" + n;
    struct stat st;
    if (::lstat(host.c_str(), &st) != 0) return PosixError(host, errno);
    if (S_ISDIR(st.st_mode)) {
      BK_RETURN_IF_ERROR(tree->AddDirectory(image, 0755, "layout"));
      BK_RETURN_IF_ERROR(AddDirectoryContents(host, image, tree));
    } else if (S_ISREG(st.st_mode)) {
      BK_RETURN_IF_ERROR(tree->AddFile(image, 0644, host, "layout"));
    }
  }
  return Status::Ok();
}

}  // namespace

Status WriteOciArchive(const std::string& layout_dir, uint64_t mtime, const std::string& out_path) {
  FileTree tree;
  BK_RETURN_IF_ERROR(AddDirectoryContents(layout_dir, "", &tree));
  BK_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(out_path));
  FdSink sink(out.fd(), out.temp_path());
  BK_RETURN_IF_ERROR(WriteTreeAsTar(tree, mtime, &sink));
  BK_RETURN_IF_ERROR(sink.Finish());
  return out.Commit();
}

Status WriteDockerArchive(const Platform& p, const ImageConfig& c, const std::vector<Layer>& layers,
                          const std::vector<std::string>& layer_files, const std::string& repo_tag,
                          uint64_t mtime, const std::string& out_path, std::string* config_digest) {
  if (layers.size() != layer_files.size())
    return Status::InvalidArgument("docker-archive: layer count");
  std::string config = ConfigJson(p, c, layers);
  std::string config_hex = Sha256Hex(config);
  if (config_digest) *config_digest = "sha256:" + config_hex;
  FileTree tree;
  Json manifest = Json::array();
  Json entry;
  entry["Config"] = config_hex + ".json";
  entry["RepoTags"] = Json::array();
  if (!repo_tag.empty()) entry["RepoTags"].push_back(repo_tag);
  Json layer_names = Json::array();
  std::string parent;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string hex = Hex(layers[i].diff_id);
    BK_RETURN_IF_ERROR(tree.AddFile(hex + ".tar", 0644, layer_files[i], "layer"));
    layer_names.push_back(hex + ".tar");
    // The legacy v1 directory for older loaders: VERSION, json and a link to the layer.
    std::string id = Sha256Hex(parent + "\n" + layers[i].diff_id);
    Json v1;
    v1["id"] = id;
    if (!parent.empty()) v1["parent"] = parent;
    v1["created"] = c.created;
    v1["os"] = p.os;
    v1["architecture"] = p.architecture;
    BK_RETURN_IF_ERROR(tree.AddData(id + "/VERSION", 0644, "1.0", "legacy"));
    BK_RETURN_IF_ERROR(tree.AddData(id + "/json", 0644, Dump(v1), "legacy"));
    BK_RETURN_IF_ERROR(tree.AddSymlink(id + "/layer.tar", "../" + hex + ".tar", "legacy"));
    parent = id;
  }
  entry["Layers"] = layer_names;
  manifest.push_back(entry);
  BK_RETURN_IF_ERROR(tree.AddData(config_hex + ".json", 0644, config, "config"));
  BK_RETURN_IF_ERROR(tree.AddData("manifest.json", 0644, Dump(manifest), "manifest"));
  if (!repo_tag.empty() && !parent.empty()) {
    size_t colon = repo_tag.rfind(':');
    std::string repo = repo_tag.substr(0, colon);
    std::string tag = colon == std::string::npos ? "latest" : repo_tag.substr(colon + 1);
    Json repos;
    repos[repo][tag] = parent;
    BK_RETURN_IF_ERROR(tree.AddData("repositories", 0644, Dump(repos), "repositories"));
  }
  BK_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(out_path));
  FdSink sink(out.fd(), out.temp_path());
  BK_RETURN_IF_ERROR(WriteTreeAsTar(tree, mtime, &sink));
  BK_RETURN_IF_ERROR(sink.Finish());
  return out.Commit();
}

}  // namespace barekit::archive
