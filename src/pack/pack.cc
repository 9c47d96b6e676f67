#include "pack/pack.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "archive/atomic_output.h"
#include "archive/cpio_writer.h"
#include "archive/oci_layout.h"
#include "archive/sha256.h"
#include "archive/tar_writer.h"
#include "base/mapped_file.h"
#include "base/posix_error.h"
#include "exe/object_file.h"
#include "gobin/buildinfo.h"
#include "gobin/pclntab.h"
#include "pack/base_files.h"
#include "pack/library_closure.h"
#include "pack/modinfo.h"

namespace barekit::pack {
namespace {

using archive::Entry;
using archive::EntryType;
using archive::FileTree;

constexpr const char* kCaPath = "etc/ssl/certs/ca-certificates.crt";
constexpr const char* kOciInitPath = "sbin/barekit-init";

// Go's crypto/x509 search list (root_linux.go), first match wins.
const char* const kGoCaFiles[] = {
    "etc/ssl/certs/ca-certificates.crt",
    "etc/pki/tls/certs/ca-bundle.crt",
    "etc/ssl/ca-bundle.pem",
    "etc/pki/tls/cacert.pem",
    "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "etc/ssl/cert.pem",
};

std::string Basename(const std::string& p) {
  size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string HostPath(const std::string& root, const std::string& rel) {
  return (root == "/" || root.empty() ? "" : root) + "/" + rel;
}

bool IsRegular(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

struct Binary {
  std::string host_path;
  std::string name;
  MappedFile map;
  exe::ObjectFile obj;
  std::string arch;
  GoFacts facts;
  std::map<std::string, std::string> labels;
};

Result<std::unique_ptr<Binary>> LoadBinary(const std::string& path, const PackOptions& opts) {
  auto b = std::make_unique<Binary>();
  b->host_path = path;
  b->name = Basename(path);
  auto mapped = MappedFile::Open(path);
  if (!mapped.ok()) return mapped.status().WithContext(path);
  b->map = std::move(*mapped);
  auto objs = exe::OpenObject(b->map.bytes());
  if (!objs.ok()) return objs.status().WithContext(path);
  if (objs->size() != 1 || (*objs)[0].format != exe::Format::kElf) {
    return Status::Unsupported(path + ": not a Linux ELF executable (pack builds Linux images)");
  }
  b->obj = std::move((*objs)[0]);
  if (!b->obj.os.empty() && b->obj.os != "linux") {
    return Status::Unsupported(path + ": built for " + std::string(b->obj.os) + ", not linux");
  }
  if (b->obj.arch.empty()) {
    return Status::Unsupported(path + ": unknown architecture " + b->obj.machine);
  }
  if (!b->obj.is_executable) return Status::InvalidArgument(path + ": not an executable");
  b->arch = b->obj.arch;
  if (opts.facts) {
    b->facts = *opts.facts;
  } else if (auto table = gobin::ReadFunctionTable(b->obj); table.ok()) {
    b->facts.known = true;
    for (const auto& f : table->funcs) {
      b->facts.functions.emplace(f.name);
      if (!f.package().empty()) b->facts.packages.emplace(gobin::UnescapePackage(f.package()));
    }
  }
  if (auto bi = gobin::ReadBuildInfo(b->obj); bi.ok()) {
    if (bi->main && !bi->main->version.empty() && bi->main->version != "(devel)") {
      b->labels["org.opencontainers.image.version"] = bi->main->version;
    }
    if (const std::string* rev = bi->Setting("vcs.revision")) {
      b->labels["org.opencontainers.image.revision"] = *rev;
    }
    if (bi->main && bi->main->path.find('.') != std::string::npos &&
        bi->main->path.find('/') != std::string::npos) {
      b->labels["org.opencontainers.image.source"] = "https://" + bi->main->path;
    }
  }
  b->labels["org.opencontainers.image.title"] = b->name;
  return b;
}

// Permission bits for host inputs: only "executable or not" survives, so the umask and the
// checkout that made the inputs do not change the image.
uint32_t NormalMode(mode_t m) { return (m & 0111) ? 0755 : 0644; }

// Adds a host file or tree at `dst`. Symlinks are kept verbatim (and checked later) unless
// `follow_absolute` turns absolute ones into copies of their targets.
Status AddHostPath(const std::string& src, const std::string& dst, const std::string& reason,
                   bool follow_absolute, FileTree* tree, int depth = 0) {
  if (depth > 64) return Status::InvalidArgument(src + ": directory tree too deep");
  struct stat st;
  if (::lstat(src.c_str(), &st) != 0) return PosixError(src, errno);
  if (S_ISLNK(st.st_mode)) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(src.c_str(), buf, sizeof(buf) - 1);
    if (n <= 0) return PosixError(src, errno);
    std::string target(buf, static_cast<size_t>(n));
    if (follow_absolute && target[0] == '/') {
      if (::stat(src.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return Status::Ok();
      return tree->AddFile(dst, NormalMode(st.st_mode), src, reason);
    }
    return tree->AddSymlink(dst, target, reason);
  }
  if (S_ISREG(st.st_mode)) return tree->AddFile(dst, NormalMode(st.st_mode), src, reason);
  if (!S_ISDIR(st.st_mode))
    return Status::InvalidArgument(src + ": not a file, directory or symlink");
  if (depth == 0 || true) {
    Entry d;
    d.path = dst;
    d.type = EntryType::kDirectory;
    d.mode = 0755;
    d.reason = reason;
    BK_RETURN_IF_ERROR(tree->Add(d));
  }
  std::vector<std::string> names;
  DIR* dir = ::opendir(src.c_str());
  if (dir == nullptr) return PosixError(src, errno);
  while (dirent* e = ::readdir(dir)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    BK_RETURN_IF_ERROR(
        AddHostPath(src + "/" + n, dst + "/" + n, reason, follow_absolute, tree, depth + 1));
  }
  return Status::Ok();
}

// Adds a generated file unless the user supplied that path with --add.
Status AddGenerated(FileTree* tree, const std::string& path, uint32_t mode, std::string data,
                    const std::string& reason) {
  if (tree->Find(path) != nullptr) return Status::Ok();
  return tree->AddData(path, mode, std::move(data), reason);
}

Status AddGeneratedDir(FileTree* tree, const std::string& path, uint32_t mode, uint32_t uid,
                       const std::string& reason) {
  const Entry* e = tree->Find(path);
  if (e != nullptr && !e->implicit) return Status::Ok();
  Entry d;
  d.path = path;
  d.type = EntryType::kDirectory;
  d.mode = mode;
  d.uid = d.gid = uid;
  d.reason = reason;
  return tree->Add(d, /*replace=*/e != nullptr);
}

struct Image {
  std::string arch;
  FileTree tree;
  std::vector<std::string> entrypoint;
  bool has_ca = false;
  std::map<std::string, std::string> labels;
  std::vector<std::string> modules;
};

Result<std::string> InitBytes(const std::string& arch, const PackOptions& opts) {
  if (!opts.init_binary.empty()) {
    auto m = MappedFile::Open(opts.init_binary);
    if (!m.ok()) return m.status().WithContext("--init-binary " + opts.init_binary);
    return std::string(AsStringView(m->bytes()));
  }
  if (opts.embedded_init) {
    auto r = opts.embedded_init(arch);
    if (r.ok()) return r;
  }
  return Status::NotFound("no barekit-init is embedded for " + arch +
                          "; pass --init-binary FILE (a static barekit-init for " + arch +
                          ") or --no-init");
}

Result<Image> BuildImage(const std::string& arch, const std::vector<Binary*>& bins,
                         const PackOptions& opts, std::vector<ModuleFile>* modules_out) {
  Image img;
  img.arch = arch;
  FileTree& t = img.tree;
  bool initramfs = opts.kind == OutputKind::kInitramfs;

  // 1. The binaries and their libraries.
  Needs needs;
  for (Binary* b : bins) {
    std::string kind(exe::LinkKindName(b->obj.linkage.kind));
    BK_RETURN_IF_ERROR(
        t.AddFile("app/" + b->name, 0755, b->host_path, "binary (" + arch + ", " + kind + ")"));
    MergeNeeds(DecideNeeds(b->facts), &needs);
    for (const auto& [k, v] : b->labels) img.labels.emplace(k, v);
    ClosureOptions co;
    co.sysroot = opts.sysroot;
    co.exe_host_path = b->host_path;
    co.exe_image_path = "app/" + b->name;
    auto closure = FindLibraryClosure(b->obj, co);
    if (!closure.ok()) return closure.status().WithContext(b->host_path);
    for (const auto& l : closure->links) {
      const Entry* e = t.Find(l.image_path);
      if (e && e->type == EntryType::kSymlink && e->data == l.target) continue;
      BK_RETURN_IF_ERROR(t.AddSymlink(l.image_path, l.target, l.reason));
    }
    for (const auto& f : closure->files) {
      // An $ORIGIN library may sit below a merged-/usr link ("lib" -> "usr/lib").
      std::string path = t.ResolveParentLinks(f.image_path);
      const Entry* e = t.Find(path);
      if (e && e->source == f.host_path) continue;
      BK_RETURN_IF_ERROR(t.AddFile(path, 0755, f.host_path, f.reason));
    }
  }
  if (bins.size() > 0) img.entrypoint = {"/app/" + bins[0]->name};

  // 2. What the user asked for.
  for (const auto& a : opts.adds) {
    BK_RETURN_IF_ERROR(AddHostPath(a.src, a.dst, "--add " + a.src, false, &t));
  }

  // 3. What the binaries need.
  if (needs.ca_bundle && !t.Find(kCaPath)) {
    std::string src = opts.ca_bundle;
    if (src.empty()) {
      for (const char* c : kGoCaFiles) {
        if (IsRegular(HostPath(opts.host_root, c))) {
          src = HostPath(opts.host_root, c);
          break;
        }
      }
    }
    if (src.empty()) {
      return Status::NotFound(
          "the image needs a CA bundle (" + needs.ca_reason +
          ") but the host has none of Go's bundle paths; pass --ca-bundle FILE");
    }
    BK_RETURN_IF_ERROR(t.AddFile(kCaPath, 0644, src, "CA bundle: " + needs.ca_reason));
    img.has_ca = true;
  } else if (t.Find(kCaPath)) {
    img.has_ca = true;
  }
  if (needs.zoneinfo) {
    std::string zi = HostPath(opts.host_root, "usr/share/zoneinfo");
    std::string reason = "zoneinfo: " + needs.zoneinfo_reason;
    if (opts.tz_zones.empty()) {
      // The whole database except the duplicate "right"/"posix" trees and the host's localtime.
      struct stat st;
      if (::stat(zi.c_str(), &st) != 0) {
        return Status::NotFound("the image needs zoneinfo (" + needs.zoneinfo_reason + ") but " +
                                zi + " is missing; install tzdata or build with -tags timetzdata");
      }
      BK_RETURN_IF_ERROR(AddGeneratedDir(&t, "usr/share/zoneinfo", 0755, 0, reason));
      DIR* d = ::opendir(zi.c_str());
      if (d == nullptr) return PosixError(zi, errno);
      std::vector<std::string> names;
      while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
      ::closedir(d);
      std::sort(names.begin(), names.end());
      for (const auto& n : names) {
        if (n == "." || n == ".." || n == "right" || n == "posix" || n == "localtime" ||
            n == "posixrules") {
          continue;
        }
        BK_RETURN_IF_ERROR(AddHostPath(zi + "/" + n, "usr/share/zoneinfo/" + n, reason, true, &t));
      }
    } else {
      for (const auto& z : opts.tz_zones) {
        BK_ASSIGN_OR_RETURN(std::string rel, archive::NormalizeImagePath(z));
        std::string src = zi + "/" + rel;
        if (!IsRegular(src)) return Status::NotFound("--tz " + z + ": no zone file " + src);
        BK_RETURN_IF_ERROR(t.AddFile("usr/share/zoneinfo/" + rel, 0644, src, reason + " (--tz)"));
      }
    }
  }
  if (needs.net) {
    BK_RETURN_IF_ERROR(AddGenerated(&t, "etc/nsswitch.conf", 0644, NsswitchFile(),
                                    "resolver order: " + needs.net_reason));
    BK_RETURN_IF_ERROR(AddGenerated(&t, "etc/hosts", 0644, HostsFile(), needs.net_reason));
    if (initramfs) {
      BK_RETURN_IF_ERROR(
          AddGenerated(&t, "etc/resolv.conf", 0644, ResolvConfFile(),
                       "generated (initramfs has no runtime to supply it): " + needs.net_reason));
    }
    std::string services = HostPath(opts.host_root, "etc/services");
    if (!t.Find("etc/services") && IsRegular(services)) {
      BK_RETURN_IF_ERROR(t.AddFile("etc/services", 0644, services,
                                   "port names for net.LookupPort: " + needs.net_reason));
    }
  }
  if (needs.mime) {
    std::string mt = HostPath(opts.host_root, "etc/mime.types");
    if (!t.Find("etc/mime.types") && IsRegular(mt)) {
      BK_RETURN_IF_ERROR(t.AddFile("etc/mime.types", 0644, mt, needs.mime_reason));
    }
  }

  // 4. Always.
  std::string user_reason = "always (root, nobody, nonroot 65532)";
  if (needs.user_db) user_reason += "; " + needs.user_reason;
  BK_RETURN_IF_ERROR(AddGenerated(&t, "etc/passwd", 0644, PasswdFile(), user_reason));
  BK_RETURN_IF_ERROR(AddGenerated(&t, "etc/group", 0644, GroupFile(), user_reason));
  BK_RETURN_IF_ERROR(AddGenerated(&t, "etc/os-release", 0644, OsReleaseFile(opts.barekit_version),
                                  "always: names the image"));
  BK_RETURN_IF_ERROR(AddGeneratedDir(&t, "tmp", 01777, 0, "always: many programs assume /tmp"));
  BK_RETURN_IF_ERROR(AddGeneratedDir(&t, "root", 0700, 0, "home of root"));
  BK_RETURN_IF_ERROR(AddGeneratedDir(&t, "home", 0755, 0, "homes"));
  BK_RETURN_IF_ERROR(AddGeneratedDir(&t, "home/nonroot", 0700, 65532, "home of nonroot"));

  // 5. Init.
  if (initramfs) {
    BK_RETURN_IF_ERROR(t.AddDevice("dev/console", EntryType::kCharDevice, 0600, 5, 1,
                                   "the kernel opens it for /init before devtmpfs exists"));
    BK_RETURN_IF_ERROR(t.AddDevice("dev/null", EntryType::kCharDevice, 0666, 1, 3,
                                   "stdin of /init and services before devtmpfs exists"));
    for (const char* d : {"proc", "sys", "run"}) {
      BK_RETURN_IF_ERROR(AddGeneratedDir(&t, d, 0755, 0, "mount point"));
    }
    BK_RETURN_IF_ERROR(AddGeneratedDir(&t, "dev", 0755, 0, "mount point (devtmpfs)"));
    if (!opts.modules.empty()) {
      if (opts.modules_dir.empty())
        return Status::InvalidArgument("--modules needs --modules-dir DIR");
      BK_ASSIGN_OR_RETURN(*modules_out, ResolveModules(opts.modules, opts.modules_dir));
      for (const auto& m : *modules_out) {
        std::string dst = "lib/modules/" + m.relpath;
        std::string why = "kernel module " + m.name;
        if (!m.depends.empty()) {
          why += " (depends on";
          for (const auto& d : m.depends) why += " " + d;
          why += ")";
        }
        BK_RETURN_IF_ERROR(t.AddFile(dst, 0644, m.path, why));
        img.modules.push_back("/" + dst);
      }
    }
    if (opts.no_init) {
      if (bins.size() != 1)
        return Status::InvalidArgument("--no-init with an initramfs needs exactly one binary");
      BK_RETURN_IF_ERROR(
          t.AddSymlink("init", "app/" + bins[0]->name, "--no-init: the binary is /init"));
    } else {
      BK_ASSIGN_OR_RETURN(std::string init, InitBytes(arch, opts));
      BK_RETURN_IF_ERROR(
          t.AddData("init", 0755, std::move(init), "barekit-init (PID 1) for " + arch));
      if (!opts.init_config.empty()) {
        BK_RETURN_IF_ERROR(
            t.AddFile("etc/barekit/init.toml", 0644, opts.init_config, "--init-config"));
        // The user's config stays as written; barekit-init reads the modules from this list.
        if (!img.modules.empty()) {
          std::string order = "# kernel modules in load order (barekit pack --modules)\n";
          for (const std::string& m : img.modules) order += m + "\n";
          BK_RETURN_IF_ERROR(t.AddData("etc/barekit/image-modules.order", 0644, std::move(order),
                                       "module load order for barekit-init (--init-config given)"));
        }
      } else {
        std::vector<InitService> services;
        for (Binary* b : bins) services.push_back({b->name, {"/app/" + b->name}});
        std::sort(services.begin(), services.end(),
                  [](const InitService& x, const InitService& y) { return x.name < y.name; });
        BK_RETURN_IF_ERROR(t.AddData("etc/barekit/init.toml", 0644,
                                     InitConfigToml(services, img.modules),
                                     "init config: one service per binary"));
      }
    }
  } else if (!opts.no_init) {
    BK_ASSIGN_OR_RETURN(std::string init, InitBytes(arch, opts));
    BK_RETURN_IF_ERROR(t.AddData(kOciInitPath, 0755, std::move(init),
                                 "barekit-init in container mode (entrypoint)"));
    if (!opts.init_config.empty()) {
      BK_RETURN_IF_ERROR(
          t.AddFile("etc/barekit/init.toml", 0644, opts.init_config, "--init-config"));
    }
    std::vector<std::string> ep = {"/" + std::string(kOciInitPath), "--"};
    ep.insert(ep.end(), img.entrypoint.begin(), img.entrypoint.end());
    img.entrypoint = ep;
  }
  BK_RETURN_IF_ERROR(t.CheckSymlinks());
  return img;
}

std::string TypeName(EntryType t) {
  switch (t) {
    case EntryType::kDirectory:
      return "dir";
    case EntryType::kRegular:
      return "file";
    case EntryType::kSymlink:
      return "symlink";
    case EntryType::kCharDevice:
      return "char";
    case EntryType::kBlockDevice:
      return "block";
    case EntryType::kFifo:
      return "fifo";
  }
  return "?";
}

archive::ImageConfig MakeConfig(const Image& img, const PackOptions& opts) {
  archive::ImageConfig c;
  c.created = archive::Rfc3339Utc(opts.source_date_epoch);
  c.user = opts.user;
  c.env = {"PATH=/app:/usr/local/bin:/usr/bin:/bin"};
  if (img.has_ca) c.env.push_back("SSL_CERT_FILE=/" + std::string(kCaPath));
  c.entrypoint = img.entrypoint;
  c.working_dir = "/home/nonroot";
  if (opts.user.rfind("0", 0) == 0) c.working_dir = "/";
  c.labels = img.labels;
  c.history_created_by = "barekit pack " + opts.barekit_version;
  return c;
}

void SplitTag(const std::string& tag, std::string* name, std::string* ref) {
  size_t slash = tag.find_last_of('/');
  size_t colon = tag.find_last_of(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    *name = tag.substr(0, colon);
    *ref = tag.substr(colon + 1);
  } else {
    *name = tag;
    *ref = "latest";
  }
}

// A scratch directory next to the output, removed on scope exit.
class ScratchDir {
 public:
  static Result<ScratchDir> Create(const std::string& near) {
    size_t slash = near.find_last_of('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : near.substr(0, slash));
    std::string tmpl = dir + "/.barekit-pack-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr)
      return PosixError("creating a scratch directory in " + dir, errno);
    ScratchDir s;
    s.path_ = buf.data();
    ::chmod(s.path_.c_str(), 0755);
    return s;
  }
  ScratchDir() = default;
  ScratchDir(ScratchDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  ~ScratchDir() {
    if (!path_.empty()) (void)archive::RemoveTree(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

uint64_t FileSize(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

Status WriteOciLayoutTo(const std::string& dir, const std::vector<Image>& images,
                        const PackOptions& opts, int level, const std::string& ref,
                        std::string* digest) {
  archive::OciLayoutWriter w(dir);
  BK_RETURN_IF_ERROR(w.Init());
  std::vector<archive::Descriptor> manifests;
  uint64_t mtime = static_cast<uint64_t>(opts.source_date_epoch);
  for (const Image& img : images) {
    BK_ASSIGN_OR_RETURN(archive::Layer layer,
                        w.WriteLayer(img.tree, mtime, opts.compression, level));
    archive::Platform p;
    p.architecture = img.arch;
    if (img.arch == "arm") p.variant = "v7";
    std::map<std::string, std::string> ann = img.labels;
    ann["org.opencontainers.image.created"] = archive::Rfc3339Utc(opts.source_date_epoch);
    BK_ASSIGN_OR_RETURN(archive::Descriptor m,
                        w.WriteImage(p, MakeConfig(img, opts), {layer}, ann));
    manifests.push_back(m);
  }
  BK_ASSIGN_OR_RETURN(archive::Descriptor top, w.Finish(manifests, ref));
  *digest = top.digest;
  return Status::Ok();
}

}  // namespace

std::string_view OutputKindName(OutputKind k) {
  switch (k) {
    case OutputKind::kInitramfs:
      return "initramfs";
    case OutputKind::kOciLayout:
      return "oci";
    case OutputKind::kOciArchive:
      return "oci-archive";
    case OutputKind::kDockerArchive:
      return "docker-archive";
  }
  return "?";
}

Result<AddSpec> ParseAddSpec(std::string_view spec) {
  size_t colon = spec.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= spec.size()) {
    return Status::InvalidArgument("--add " + std::string(spec) + ": expected SRC:DST");
  }
  AddSpec a{std::string(spec.substr(0, colon)), std::string(spec.substr(colon + 1))};
  if (a.dst[0] != '/') {
    return Status::InvalidArgument("--add " + std::string(spec) +
                                   ": DST must be an absolute image path");
  }
  auto norm = archive::NormalizeImagePath(a.dst);
  if (!norm.ok()) return norm.status().WithContext("--add " + std::string(spec));
  a.dst = *norm;
  return a;
}

Result<PackReport> Pack(const PackOptions& opts) {
  if (opts.binaries.empty()) return Status::InvalidArgument("no binary to pack");
  if (opts.output.empty()) return Status::InvalidArgument("no output given");
  int level = opts.level ? opts.level : archive::DefaultLevel(opts.compression);
  if (opts.kind == OutputKind::kDockerArchive && opts.compression != archive::Compression::kNone) {
    // docker-archive layers are plain tars; compression does not apply.
  }
  for (const auto& a : opts.adds) {
    struct stat st;
    if (::lstat(a.src.c_str(), &st) != 0) return PosixError("--add " + a.src, errno);
  }
  if (!opts.init_binary.empty() && !IsRegular(opts.init_binary)) {
    return Status::NotFound("--init-binary " + opts.init_binary + ": not a readable file");
  }
  if (!opts.init_config.empty() && !IsRegular(opts.init_config)) {
    return Status::NotFound("--init-config " + opts.init_config + ": not a readable file");
  }

  // Load every binary; group by architecture (sorted, so argument order does not matter).
  std::vector<std::unique_ptr<Binary>> bins;
  std::map<std::string, std::vector<Binary*>> by_arch;
  for (const auto& path : opts.binaries) {
    BK_ASSIGN_OR_RETURN(auto b, LoadBinary(path, opts));
    by_arch[b->arch].push_back(b.get());
    bins.push_back(std::move(b));
  }
  if (by_arch.size() > 1 && opts.kind != OutputKind::kOciLayout &&
      opts.kind != OutputKind::kOciArchive) {
    std::string arches;
    for (const auto& [a, v] : by_arch) arches += (arches.empty() ? "" : ", ") + a;
    return Status::InvalidArgument(std::string(OutputKindName(opts.kind)) +
                                   " holds one architecture, but the binaries are " + arches +
                                   "; use --oci or --oci-archive for a multi-platform index");
  }

  PackReport rep;
  rep.output = opts.output;
  rep.kind = OutputKindName(opts.kind);
  std::vector<Image> images;
  for (const auto& [arch, group] : by_arch) {
    std::vector<ModuleFile> modules;
    BK_ASSIGN_OR_RETURN(Image img, BuildImage(arch, group, opts, &modules));
    for (const auto& m : modules) rep.modules.push_back(m.name);
    rep.arches.push_back(arch);
    for (Binary* b : group) rep.binary_bytes += b->map.size();
    for (const auto& [p, e] : img.tree.entries()) {
      rep.files.push_back(
          {arch, "/" + p, TypeName(e.type),
           e.type == EntryType::kRegular || e.type == EntryType::kSymlink ? e.size : 0, e.reason});
      if (e.type == EntryType::kRegular) rep.content_bytes += e.size;
    }
    images.push_back(std::move(img));
  }

  std::string tag = opts.tag.empty() ? bins[0]->name + ":latest" : opts.tag;
  std::string name, ref;
  SplitTag(tag, &name, &ref);
  uint64_t mtime = static_cast<uint64_t>(opts.source_date_epoch);
  archive::Compression comp = opts.compression;

  switch (opts.kind) {
    case OutputKind::kInitramfs: {
      if (opts.source_date_epoch < 0 || opts.source_date_epoch > 0xffffffffLL) {
        return Status::InvalidArgument("SOURCE_DATE_EPOCH does not fit cpio's 32-bit mtime");
      }
      BK_ASSIGN_OR_RETURN(archive::AtomicFile out, archive::AtomicFile::Create(opts.output));
      archive::FdSink file(out.fd(), out.temp_path());
      archive::HashingSink hashed(&file);
      BK_ASSIGN_OR_RETURN(auto c, archive::MakeCompressor(comp, level, &hashed));
      BK_RETURN_IF_ERROR(
          archive::WriteTreeAsCpio(images[0].tree, static_cast<uint32_t>(mtime), c.get()));
      BK_RETURN_IF_ERROR(c->Finish());
      rep.digest = hashed.Digest();
      rep.output_size = hashed.size();
      BK_RETURN_IF_ERROR(out.Commit());
      break;
    }
    case OutputKind::kOciLayout: {
      BK_ASSIGN_OR_RETURN(archive::AtomicDir out, archive::AtomicDir::Create(opts.output));
      BK_RETURN_IF_ERROR(WriteOciLayoutTo(out.temp_path(), images, opts, level, ref, &rep.digest));
      BK_RETURN_IF_ERROR(out.Commit());
      break;
    }
    case OutputKind::kOciArchive: {
      BK_ASSIGN_OR_RETURN(ScratchDir scratch, ScratchDir::Create(opts.output));
      BK_RETURN_IF_ERROR(WriteOciLayoutTo(scratch.path(), images, opts, level, ref, &rep.digest));
      BK_RETURN_IF_ERROR(archive::WriteOciArchive(scratch.path(), mtime, opts.output));
      rep.output_size = FileSize(opts.output);
      break;
    }
    case OutputKind::kDockerArchive: {
      comp = archive::Compression::kNone;
      BK_ASSIGN_OR_RETURN(ScratchDir scratch, ScratchDir::Create(opts.output));
      std::string layer_path = scratch.path() + "/layer.tar";
      archive::Layer layer;
      {
        UniqueFd fd(::open(layer_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!fd.valid()) return PosixError(layer_path, errno);
        archive::FdSink file(fd.get(), layer_path);
        archive::HashingSink h(&file);
        BK_RETURN_IF_ERROR(archive::WriteTreeAsTar(images[0].tree, mtime, &h));
        BK_RETURN_IF_ERROR(h.Finish());
        layer.diff_id = h.Digest();
        layer.tar_size = h.size();
        layer.blob.digest = layer.diff_id;
        layer.blob.size = h.size();
        layer.blob.media_type = "application/vnd.docker.image.rootfs.diff.tar";
      }
      archive::Platform p;
      p.architecture = images[0].arch;
      BK_RETURN_IF_ERROR(archive::WriteDockerArchive(p, MakeConfig(images[0], opts), {layer},
                                                     {layer_path}, name + ":" + ref, mtime,
                                                     opts.output, &rep.digest));
      rep.output_size = FileSize(opts.output);
      break;
    }
  }
  rep.compression = archive::CompressionName(comp);
  rep.compressor = archive::CompressorVersion(comp);
  return rep;
}

std::string ReportJson(const PackReport& r) {
  nlohmann::ordered_json j;
  j["output"] = r.output;
  j["kind"] = r.kind;
  j["architectures"] = r.arches;
  j["compression"] = r.compression;
  if (!r.compressor.empty()) j["compressor"] = r.compressor;
  j["digest"] = r.digest;
  if (r.output_size) j["output_size"] = r.output_size;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& f : r.files) {
    nlohmann::ordered_json e;
    if (r.arches.size() > 1) e["arch"] = f.arch;
    e["path"] = f.path;
    e["type"] = f.type;
    e["size"] = f.size;
    e["reason"] = f.reason;
    files.push_back(e);
  }
  j["files"] = files;
  if (!r.modules.empty()) j["modules"] = r.modules;
  nlohmann::ordered_json tot;
  tot["files"] = r.files.size();
  tot["content_bytes"] = r.content_bytes;
  tot["binary_bytes"] = r.binary_bytes;
  tot["added_bytes"] = r.content_bytes - std::min(r.content_bytes, r.binary_bytes);
  if (r.binary_bytes) {
    tot["content_vs_binary"] =
        static_cast<double>(r.content_bytes) / static_cast<double>(r.binary_bytes);
  }
  j["totals"] = tot;
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string ReportText(const PackReport& r) {
  std::string s;
  for (const auto& f : r.files) {
    if (f.type == "dir") continue;
    char line[64];
    std::snprintf(line, sizeof(line), "%10llu  ", static_cast<unsigned long long>(f.size));
    s += line + f.path + "  (" + f.reason + ")\n";
  }
  s += r.kind + " " + r.output + ": " + std::to_string(r.files.size()) + " entries, " +
       std::to_string(r.content_bytes) + " bytes of files (binaries " +
       std::to_string(r.binary_bytes) + ")";
  if (r.output_size) s += ", " + std::to_string(r.output_size) + " bytes written";
  s += "\n";
  if (!r.digest.empty()) s += "digest " + r.digest + "\n";
  return s;
}

}  // namespace barekit::pack
