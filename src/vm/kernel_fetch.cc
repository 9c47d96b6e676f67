#include "vm/kernel_fetch.h"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <tuple>
#include <vector>

#include "archive/atomic_output.h"
#include "base/posix_error.h"
#include "base/unique_fd.h"

extern char** environ;

namespace barekit::vm {
namespace {

constexpr const char* kMetaFile = "barekit-kernel.json";
constexpr time_t kListsMaxAge = time_t{24} * 60 * 60;

// ---- child processes: argv arrays through posix_spawnp, never a shell ----

struct ProcOutput {
  int status = 0;  // exit code, or 128+signal
  std::string out, err;
};

struct SpawnSpec {
  std::vector<std::string> argv;
  std::string cwd;
  int in_fd = -1;   // -1: /dev/null
  int out_fd = -1;  // -1: /dev/null
  int err_fd = -1;  // -1: /dev/null
};

// The environment with LC_ALL=C, so apt's field names and messages are not translated.
std::vector<std::string> ChildEnv() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("LC_ALL=") || kv.starts_with("LANGUAGE=")) continue;
    env.emplace_back(kv);
  }
  env.emplace_back("LC_ALL=C");
  return env;
}

Result<pid_t> Spawn(const SpawnSpec& s) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  auto wire = [&fa](int fd, int target, int flags) {
    if (fd >= 0) {
      posix_spawn_file_actions_adddup2(&fa, fd, target);
    } else {
      posix_spawn_file_actions_addopen(&fa, target, "/dev/null", flags, 0);
    }
  };
  wire(s.in_fd, 0, O_RDONLY);
  wire(s.out_fd, 1, O_WRONLY);
  wire(s.err_fd, 2, O_WRONLY);
  if (!s.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, s.cwd.c_str());
  // The caller may block signals (a signalfd loop); the child starts with a clean mask.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD, SIGHUP}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  for (const auto& a : s.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env = ChildEnv();
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc == ENOENT) {
    return Status::NotFound(s.argv[0] +
                            " not found: barekit kernel fetch needs apt-get, apt-cache, dpkg-deb "
                            "and tar (a Debian-based host)");
  }
  if (rc != 0) return PosixError("spawn " + s.argv[0], rc);
  return pid;
}

int Wait(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 127;
}

Result<UniqueFd> MemFile(const char* name) {
  UniqueFd fd(memfd_create(name, MFD_CLOEXEC));
  if (!fd.valid()) return PosixError("memfd_create", errno);
  return fd;
}

std::string ReadBack(int fd, size_t limit = 16 << 20) {
  std::string s;
  if (lseek(fd, 0, SEEK_SET) < 0) return s;
  char buf[65536];
  while (s.size() < limit) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

Result<ProcOutput> Run(std::vector<std::string> argv, const std::string& cwd = "") {
  BK_ASSIGN_OR_RETURN(UniqueFd out, MemFile("stdout"));
  BK_ASSIGN_OR_RETURN(UniqueFd err, MemFile("stderr"));
  SpawnSpec s;
  s.argv = std::move(argv);
  s.cwd = cwd;
  s.out_fd = out.get();
  s.err_fd = err.get();
  BK_ASSIGN_OR_RETURN(pid_t pid, Spawn(s));
  ProcOutput r;
  r.status = Wait(pid);
  r.out = ReadBack(out.get());
  r.err = ReadBack(err.get());
  return r;
}

// The line of a failed tool's stderr that says why: apt's last "E:" line, else its first
// "W: Failed to fetch" line (the summary "Some index files failed" says less), else its last "W:"
// line, else the last line at all.
std::string WhyLine(const std::string& err) {
  std::string last, last_e, first_fetch, last_w;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.empty()) continue;
    last = line;
    if (line.starts_with("E: ")) last_e = line.substr(3);
    if (line.starts_with("W: ")) last_w = line.substr(3);
    if (line.starts_with("W: Failed to fetch") && first_fetch.empty()) first_fetch = line.substr(3);
  }
  if (!last_e.empty()) return last_e;
  if (!first_fetch.empty()) return first_fetch;
  if (!last_w.empty()) return last_w;
  return last.empty() ? "(no message)" : last;
}

Status ToolFailed(const std::string& what, const ProcOutput& r) {
  std::string exit = r.status == 0 ? "" : " (exit " + std::to_string(r.status) + ")";
  return Status::IoError(what + " failed" + exit + ": " + WhyLine(r.err));
}

// ---- files ----

bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool Exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

Status MakeDirs(const std::string& path) {
  std::string cur;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    cur = path.substr(0, j);
    if (!cur.empty() && mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
      return PosixError("mkdir " + cur, errno);
    }
    i = j + 1;
  }
  if (!IsDir(path)) return Status::IoError(path + ": not a directory");
  return Status::Ok();
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) return names;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Status WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return Status::IoError("cannot write " + path);
  return Status::Ok();
}

// A directory removed (with what is in it) when the guard goes away, unless released.
class TempTree {
 public:
  explicit TempTree(std::string path) : path_(std::move(path)) {}
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  ~TempTree() {
    if (!path_.empty()) (void)archive::RemoveTree(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---- the cache ----

std::string CacheDir(const FetchOptions& o) {
  return o.cache_dir.empty() ? DefaultKernelCache() : o.cache_dir;
}

// A cache entry: <cache>/<package>_<version>/ with boot/vmlinuz-<release>,
// lib/modules/<release>/ and barekit-kernel.json.
Result<KernelFiles> LoadEntry(const std::string& dir) {
  std::ifstream f(dir + "/" + kMetaFile);
  if (!f) return Status::NotFound(dir + ": no " + kMetaFile);
  std::stringstream ss;
  ss << f.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::Corrupt(dir + "/" + kMetaFile + ": not JSON");
  KernelFiles k;
  auto get = [&j](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  k.release = get("release");
  k.package = get("package");
  k.version = get("version");
  k.arch = get("arch");
  k.flavor = get("flavor");
  if (k.release.empty() || k.package.empty() || k.arch.empty()) {
    return Status::Corrupt(dir + "/" + kMetaFile + ": release, package or arch missing");
  }
  k.kernel = dir + "/boot/vmlinuz-" + k.release;
  k.modules_dir = dir + "/lib/modules/" + k.release;
  if (!Exists(k.kernel)) return Status::Corrupt(dir + ": " + k.kernel + " missing");
  if (!IsDir(k.modules_dir)) return Status::Corrupt(dir + ": " + k.modules_dir + " missing");
  k.from_cache = true;
  return k;
}

std::string EntryName(const std::string& package, const std::string& version) {
  std::string v = version;
  for (char& c : v) {
    if (c == ':') c = '%';  // an epoch; keeps the name one path component without a colon
  }
  return package + "_" + v;
}

Result<KernelFiles> NewestCached(const std::string& cache, const std::string& arch,
                                 const std::string& flavor) {
  std::optional<KernelFiles> best;
  for (const auto& name : ListDir(cache)) {
    if (name.starts_with(".") || name.starts_with("apt-")) continue;
    auto k = LoadEntry(cache + "/" + name);
    if (!k.ok() || k->arch != arch || k->flavor != flavor) continue;
    if (!best || CompareDebianVersions(k->version, best->version) > 0) best = *k;
  }
  if (!best) {
    return Status::NotFound("no cached " + flavor + " " + arch + " kernel in " + cache +
                            " (run barekit kernel fetch --arch " + arch + " without --offline)");
  }
  return *best;
}

// ---- apt with a private state per architecture ----

class PrivateApt {
 public:
  PrivateApt(std::string dir, std::string arch) : dir_(std::move(dir)), arch_(std::move(arch)) {}

  Status Prepare() {
    BK_RETURN_IF_ERROR(MakeDirs(dir_ + "/lists/partial"));
    BK_RETURN_IF_ERROR(MakeDirs(dir_ + "/cache/archives/partial"));
    if (!Exists(dir_ + "/status")) BK_RETURN_IF_ERROR(WriteTextFile(dir_ + "/status", ""));
    return Status::Ok();
  }

  // One fetch at a time per architecture: apt's own list lock would make a second one fail.
  Status Lock() {
    lock_ = UniqueFd(open((dir_ + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!lock_.valid()) return PosixError("open " + dir_ + "/lock", errno);
    while (flock(lock_.get(), LOCK_EX) != 0) {
      if (errno != EINTR) return PosixError("flock " + dir_ + "/lock", errno);
    }
    return Status::Ok();
  }

  bool ListsFresh() const {
    struct stat st;
    if (stat((dir_ + "/updated").c_str(), &st) != 0) return false;
    return time(nullptr) - st.st_mtime < kListsMaxAge;
  }

  bool HasLists() const {
    for (const auto& n : ListDir(dir_ + "/lists")) {
      if (n.find("_Packages") != std::string::npos) return true;
    }
    return false;
  }

  Status Update(const std::function<void(const std::string&)>& note) {
    if (note) note("updating the " + arch_ + " package lists (private apt state in " + dir_ + ")");
    BK_ASSIGN_OR_RETURN(ProcOutput r, Run(Command("apt-get", {"-q", "update"})));
    // apt-get update exits 0 when index files failed to download; the lists tell.
    if (r.status != 0 || !HasLists()) {
      std::string why = ToolFailed("apt-get update (" + arch_ + ")", r).message();
      if (!HasLists()) return Status::IoError(why);
      if (note) note("warning: " + why + "; using the package lists from before");
      return Status::Ok();
    }
    return WriteTextFile(dir_ + "/updated", std::to_string(time(nullptr)) + "\n");
  }

  // A resolution (metapackage -> package version) is remembered until the lists change, so a
  // fetch of a cached kernel runs no apt at all (apt-cache takes 1-3 s on these lists).
  std::optional<std::pair<std::string, std::string>> Remembered(const std::string& meta) const {
    std::ifstream f(dir_ + "/resolved-" + meta);
    std::string stamp, package, version;
    if (!(f >> stamp >> package >> version) || stamp != UpdateStamp()) return std::nullopt;
    return std::make_pair(package, version);
  }
  void Remember(const std::string& meta, const std::string& package, const std::string& version) {
    (void)WriteTextFile(dir_ + "/resolved-" + meta,
                        UpdateStamp() + " " + package + " " + version + "\n");
  }

  std::string UpdateStamp() const {
    std::ifstream f(dir_ + "/updated");
    std::string stamp;
    f >> stamp;
    return stamp.empty() ? "never" : stamp;
  }

  std::vector<std::string> Command(const std::string& tool,
                                   const std::vector<std::string>& args) const {
    std::vector<std::string> v = {tool,
                                  "-o",
                                  "APT::Architecture=" + arch_,
                                  "-o",
                                  "APT::Architectures::=" + arch_,
                                  "-o",
                                  "Dir::State::Lists=" + dir_ + "/lists",
                                  "-o",
                                  "Dir::Cache=" + dir_ + "/cache",
                                  "-o",
                                  "Dir::State::status=" + dir_ + "/status",
                                  "-o",
                                  "Dir::Cache::pkgcache=pkgcache.bin",
                                  "-o",
                                  "Dir::Cache::srcpkgcache=srcpkgcache.bin",
                                  "-o",
                                  "Acquire::Languages=none"};
    // As root apt downloads as _apt, who cannot write into a user's cache directory.
    if (geteuid() == 0) v.insert(v.end(), {"-o", "APT::Sandbox::User=root"});
    v.insert(v.end(), args.begin(), args.end());
    return v;
  }

  // The candidate version's fields of `package` (apt-cache show --no-all-versions).
  Result<std::map<std::string, std::string>> Show(const std::string& package) const {
    BK_ASSIGN_OR_RETURN(ProcOutput r,
                        Run(Command("apt-cache", {"show", "--no-all-versions", package})));
    if (r.status != 0) return ToolFailed("apt-cache show " + package, r);
    std::map<std::string, std::string> fields;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) break;  // first paragraph only
      if (line[0] == ' ' || line[0] == '\t') continue;
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      fields[line.substr(0, colon)] = value;
    }
    if (fields.empty())
      return Status::NotFound("apt knows no package " + package + " for " + arch_);
    return fields;
  }

 private:
  std::string dir_, arch_;
  UniqueFd lock_;
};

// From "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2), ..." the first linux-image-* name and
// its pinned version (empty when unpinned).
std::optional<std::pair<std::string, std::string>> KernelDependency(const std::string& depends) {
  std::istringstream in(depends);
  for (std::string item; std::getline(in, item, ',');) {
    item = item.substr(0, item.find('|'));
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    item = item.substr(b);
    size_t e = item.find_first_of(" (");
    std::string name = item.substr(0, e);
    if (size_t c = name.find(':'); c != std::string::npos) name = name.substr(0, c);
    if (!name.starts_with("linux-image-")) continue;
    std::string version;
    if (size_t p = item.find("(="); p != std::string::npos) {
      size_t vb = item.find_first_not_of(' ', p + 2);
      size_t ve = item.find(')', vb);
      if (vb != std::string::npos && ve != std::string::npos) {
        version = item.substr(vb, ve - vb);
        while (!version.empty() && version.back() == ' ') version.pop_back();
      }
    }
    return std::make_pair(name, version);
  }
  return std::nullopt;
}

// dpkg-deb --fsys-tarfile DEB | tar -x: only the kernel image and the modules.
Status ExtractKernel(const std::string& deb, const std::string& into) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return PosixError("pipe", errno);
  UniqueFd rd(p[0]), wr(p[1]);
  BK_ASSIGN_OR_RETURN(UniqueFd err1, MemFile("dpkg-deb-err"));
  BK_ASSIGN_OR_RETURN(UniqueFd err2, MemFile("tar-err"));
  SpawnSpec a;
  a.argv = {"dpkg-deb", "--fsys-tarfile", deb};
  a.out_fd = wr.get();
  a.err_fd = err1.get();
  BK_ASSIGN_OR_RETURN(pid_t pa, Spawn(a));
  SpawnSpec b;
  b.argv = {"tar",
            "-x",
            "-f",
            "-",
            "-C",
            into,
            "--no-same-owner",
            "--wildcards",
            "./boot/vmlinuz-*",
            "./lib/modules/*"};
  b.in_fd = rd.get();
  b.err_fd = err2.get();
  auto pb = Spawn(b);
  rd.Reset();
  wr.Reset();
  int sa = Wait(pa);
  if (!pb.ok()) return pb.status();
  int sb = Wait(*pb);
  if (sa != 0) return ToolFailed("dpkg-deb --fsys-tarfile " + deb, {sa, "", ReadBack(err1.get())});
  if (sb != 0) return ToolFailed("tar -x (from " + deb + ")", {sb, "", ReadBack(err2.get())});
  return Status::Ok();
}

Result<KernelFiles> Download(const PrivateApt& apt, const std::string& cache,
                             const KernelFiles& want, const FetchOptions& o) {
  std::string tmpl = cache + "/.fetch-" + want.package + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) return PosixError("mkdtemp " + tmpl, errno);
  TempTree tmp(tmpl);
  std::string dl = tmp.path() + "/deb", tree = tmp.path() + "/tree";
  BK_RETURN_IF_ERROR(MakeDirs(dl));
  BK_RETURN_IF_ERROR(MakeDirs(tree));
  if (o.note) o.note("downloading " + want.package + " " + want.version + " (" + want.arch + ")");
  BK_ASSIGN_OR_RETURN(
      ProcOutput r,
      Run(apt.Command("apt-get", {"-q", "download", want.package + "=" + want.version}), dl));
  if (r.status != 0) return ToolFailed("apt-get download " + want.package, r);
  std::string deb;
  for (const auto& n : ListDir(dl)) {
    if (n.ends_with(".deb")) deb = dl + "/" + n;
  }
  if (deb.empty()) return Status::IoError("apt-get download " + want.package + " left no .deb");
  if (o.note) o.note("extracting vmlinuz and modules from " + deb.substr(dl.size() + 1));
  BK_RETURN_IF_ERROR(ExtractKernel(deb, tree));

  KernelFiles k = want;
  std::vector<std::string> images;
  for (const auto& n : ListDir(tree + "/boot")) {
    if (n.starts_with("vmlinuz-")) images.push_back(n);
  }
  if (images.size() != 1) {
    return Status::Corrupt(deb + ": expected one boot/vmlinuz-*, found " +
                           std::to_string(images.size()));
  }
  k.release = images[0].substr(std::string("vmlinuz-").size());
  if (!IsDir(tree + "/lib/modules/" + k.release)) {
    return Status::Corrupt(deb + ": no lib/modules/" + k.release);
  }
  nlohmann::json meta = {{"package", k.package}, {"version", k.version},
                         {"release", k.release}, {"arch", k.arch},
                         {"flavor", k.flavor},   {"fetched", time(nullptr)}};
  BK_RETURN_IF_ERROR(
      WriteTextFile(tree + "/" + kMetaFile,
                    meta.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"));

  std::string final_dir = cache + "/" + EntryName(k.package, k.version);
  if (rename(tree.c_str(), final_dir.c_str()) != 0) {
    // Another fetch finished first (it holds a complete entry): use it.
    if ((errno == EEXIST || errno == ENOTEMPTY) && LoadEntry(final_dir).ok()) {
      return LoadEntry(final_dir);
    }
    return PosixError("rename " + tree + " to " + final_dir, errno);
  }
  auto done = LoadEntry(final_dir);
  if (done.ok()) done->from_cache = false;
  return done;
}

}  // namespace

std::string DefaultFlavor(std::string_view arch) { return arch == "arm64" ? "generic" : "cloud"; }

Result<std::string> MetaPackage(std::string_view arch, std::string_view flavor) {
  if (arch != "amd64" && arch != "arm64") {
    return Status::InvalidArgument("--arch " + std::string(arch) + ": expected amd64 or arm64");
  }
  if (flavor == "cloud") return "linux-image-cloud-" + std::string(arch);
  if (flavor == "generic") return "linux-image-" + std::string(arch);
  return Status::InvalidArgument("--flavor " + std::string(flavor) + ": expected cloud or generic");
}

std::string DefaultKernelCache() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/') {
    return std::string(x) + "/barekit/kernels";
  }
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.cache/barekit/kernels";
}

Result<KernelFiles> FetchKernel(const FetchOptions& o) {
  std::string flavor = o.flavor.empty() ? DefaultFlavor(o.arch) : o.flavor;
  BK_ASSIGN_OR_RETURN(std::string meta, MetaPackage(o.arch, flavor));
  std::string cache = CacheDir(o);
  if (o.offline) return NewestCached(cache, o.arch, flavor);

  BK_RETURN_IF_ERROR(MakeDirs(cache));
  PrivateApt apt(cache + "/apt-" + o.arch, o.arch);
  BK_RETURN_IF_ERROR(apt.Prepare());
  BK_RETURN_IF_ERROR(apt.Lock());
  if (!apt.ListsFresh() || !apt.HasLists()) BK_RETURN_IF_ERROR(apt.Update(o.note));

  KernelFiles want;
  want.arch = o.arch;
  want.flavor = flavor;
  if (auto known = apt.Remembered(meta)) {
    std::tie(want.package, want.version) = *known;
  } else {
    BK_ASSIGN_OR_RETURN(auto meta_fields, apt.Show(meta));
    auto dep = KernelDependency(meta_fields["Depends"]);
    if (!dep) {
      return Status::NotFound(
          meta + " " + meta_fields["Version"] +
          " depends on no linux-image-* package (Depends: " + meta_fields["Depends"] + ")");
    }
    std::tie(want.package, want.version) = *dep;
    if (want.version.empty()) {
      BK_ASSIGN_OR_RETURN(auto fields, apt.Show(want.package));
      want.version = fields["Version"];
      if (want.version.empty()) return Status::NotFound("apt shows no version of " + want.package);
    }
    apt.Remember(meta, want.package, want.version);
  }
  if (auto cached = LoadEntry(cache + "/" + EntryName(want.package, want.version)); cached.ok()) {
    return *cached;
  }
  return Download(apt, cache, want, o);
}

// deb-version(7): compare the non-digit parts character by character ('~' before everything,
// even the end; letters before non-letters), then the digit runs numerically.
namespace {
int Order(int c) {
  if (c == 0) return 0;
  if (std::isdigit(c)) return 0;
  if (std::isalpha(c)) return c;
  if (c == '~') return -1;
  return c + 256;
}

int CompareFragment(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    int first_diff = 0;
    while ((i < a.size() && !std::isdigit(static_cast<unsigned char>(a[i]))) ||
           (j < b.size() && !std::isdigit(static_cast<unsigned char>(b[j])))) {
      int ac = i < a.size() ? Order(static_cast<unsigned char>(a[i])) : 0;
      int bc = j < b.size() ? Order(static_cast<unsigned char>(b[j])) : 0;
      if (ac != bc) return ac - bc;
      ++i, ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    while (i < a.size() && j < b.size() && std::isdigit(static_cast<unsigned char>(a[i])) &&
           std::isdigit(static_cast<unsigned char>(b[j]))) {
      if (!first_diff) first_diff = a[i] - b[j];
      ++i, ++j;
    }
    if (i < a.size() && std::isdigit(static_cast<unsigned char>(a[i]))) return 1;
    if (j < b.size() && std::isdigit(static_cast<unsigned char>(b[j]))) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

struct DebVersion {
  unsigned long epoch = 0;
  std::string_view upstream, revision;
};

DebVersion SplitVersion(std::string_view v) {
  DebVersion d;
  if (size_t c = v.find(':'); c != std::string_view::npos) {
    d.epoch = std::strtoul(std::string(v.substr(0, c)).c_str(), nullptr, 10);
    v = v.substr(c + 1);
  }
  if (size_t h = v.rfind('-'); h != std::string_view::npos) {
    d.revision = v.substr(h + 1);
    v = v.substr(0, h);
  }
  d.upstream = v;
  return d;
}
}  // namespace

int CompareDebianVersions(std::string_view a, std::string_view b) {
  DebVersion x = SplitVersion(a), y = SplitVersion(b);
  if (x.epoch != y.epoch) return x.epoch < y.epoch ? -1 : 1;
  if (int c = CompareFragment(x.upstream, y.upstream)) return c;
  return CompareFragment(x.revision, y.revision);
}

}  // namespace barekit::vm
