#include "pack/library_closure.h"

#include <glob.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <set>
#include <sstream>

#include "base/mapped_file.h"

namespace barekit::pack {
namespace {

std::vector<std::string> SplitParts(std::string_view p) {
  std::vector<std::string> parts;
  while (!p.empty()) {
    size_t slash = p.find('/');
    std::string_view part = p.substr(0, slash);
    if (!part.empty() && part != ".") parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  return parts;
}

std::string JoinRel(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : "/") + p;
  return s;
}

std::string Dirname(const std::string& p) {
  size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? "" : p.substr(0, slash);
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str().substr(0, 1 << 20);
}

// Resolves an absolute path inside `sysroot` as if chrooted there. Returns the real path
// (relative) and records each symlink crossed; "" when a component is missing or it loops.
class SysrootResolver {
 public:
  explicit SysrootResolver(std::string sysroot) : root_(std::move(sysroot)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    if (root_ == "/") root_.clear();
  }
  std::string Host(const std::string& rel) const { return root_ + "/" + rel; }

  std::string Resolve(const std::string& abs_path, std::vector<ClosureLink>* links) const {
    std::deque<std::string> todo;
    for (auto& p : SplitParts(abs_path)) todo.push_back(p);
    std::vector<std::string> done;
    int hops = 0;
    while (!todo.empty()) {
      std::string part = todo.front();
      todo.pop_front();
      if (part == "..") {
        if (!done.empty()) done.pop_back();
        continue;
      }
      done.push_back(part);
      std::string rel = JoinRel(done);
      std::string host = Host(rel);
      struct stat st;
      if (::lstat(host.c_str(), &st) != 0) return "";
      if (S_ISLNK(st.st_mode)) {
        if (++hops > 40) return "";
        char buf[PATH_MAX];
        ssize_t n = ::readlink(host.c_str(), buf, sizeof(buf) - 1);
        if (n <= 0) return "";
        std::string target(buf, static_cast<size_t>(n));
        if (links) links->push_back({rel, target, ""});
        done.pop_back();
        if (target[0] == '/') done.clear();
        auto tparts = SplitParts(target);
        for (auto it = tparts.rbegin(); it != tparts.rend(); ++it) todo.push_front(*it);
      } else if (!todo.empty() && !S_ISDIR(st.st_mode)) {
        return "";
      }
    }
    return JoinRel(done);
  }

 private:
  std::string root_;
};

std::string Triplet(std::string_view goarch) {
  if (goarch == "amd64") return "x86_64-linux-gnu";
  if (goarch == "arm64") return "aarch64-linux-gnu";
  if (goarch == "386") return "i386-linux-gnu";
  if (goarch == "arm") return "arm-linux-gnueabihf";
  if (goarch == "riscv64") return "riscv64-linux-gnu";
  if (goarch == "ppc64le") return "powerpc64le-linux-gnu";
  if (goarch == "s390x") return "s390x-linux-gnu";
  if (goarch == "mips64le") return "mips64el-linux-gnuabi64";
  if (goarch == "loong64") return "loongarch64-linux-gnu";
  return "";
}

// Candidate: an image path and a host path; a sysroot candidate resolves through the resolver.
struct Found {
  std::string image;  // relative real path
  std::string host;
  std::vector<ClosureLink> links;
};

class Walker {
 public:
  Walker(const exe::ObjectFile& exe, const ClosureOptions& opts)
      : exe_(exe), opts_(opts), resolver_(opts.sysroot) {
    std::string conf = resolver_.Host("etc/ld.so.conf");
    std::string sysroot = opts.sysroot;
    conf_dirs_ = ParseLdSoConf(ReadSmallFile(conf), [&](const std::string& pattern) {
      std::vector<std::string> texts;
      std::string pat = pattern[0] == '/' ? pattern : "/etc/" + pattern;
      glob_t g{};
      std::string full = resolver_.Host(pat.substr(1));
      if (::glob(full.c_str(), 0, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; ++i) texts.push_back(ReadSmallFile(g.gl_pathv[i]));
      }
      globfree(&g);
      return texts;
    });
    default_dirs_ = DefaultLibraryDirs(exe.arch, exe.ptr_size);
  }

  Result<LibraryClosure> Run() {
    LibraryClosure out;
    const exe::Linkage& l = exe_.linkage;
    if (l.interpreter.empty() && l.needed.empty()) return out;
    std::string exe_name = "/" + opts_.exe_image_path;
    if (!l.interpreter.empty()) {
      Found f;
      if (!FindPath(l.interpreter, &f)) {
        return Status::NotFound("interpreter " + l.interpreter + " of " + opts_.exe_host_path +
                                " not found in sysroot " + opts_.sysroot);
      }
      AddFound(f, "interpreter of " + exe_name, &out);
    }
    struct Item {
      std::string needer_name;   // for messages
      std::string origin_image;  // image dir, for $ORIGIN
      std::string origin_host;   // host dir, for $ORIGIN
      bool in_sysroot;
      std::vector<std::string> needed, rpath, runpath;
    };
    std::deque<Item> queue;
    queue.push_back({exe_name, Dirname(opts_.exe_image_path), Dirname(opts_.exe_host_path), false,
                     l.needed, l.rpath, l.runpath});
    while (!queue.empty()) {
      Item it = std::move(queue.front());
      queue.pop_front();
      for (const std::string& name : it.needed) {
        if (sonames_done_.count(name)) continue;
        std::vector<std::string> searched;
        Found f;
        bool ok = false;
        auto try_dir = [&](const std::string& dir_raw) {
          if (ok) return;
          std::string dir = Expand(dir_raw);
          bool origin = dir_raw.find("$ORIGIN") != std::string::npos ||
                        dir_raw.find("${ORIGIN}") != std::string::npos;
          if (origin && !it.in_sysroot) {
            // $ORIGIN of the executable: next to it on the host, same layout in the image.
            std::string rest = dir.substr(dir.find("$ORIGIN") + 7);
            std::string host = it.origin_host + rest + "/" + name;
            searched.push_back(host);
            ok = TryHostFile(host, it.origin_image + rest + "/" + name, &f);
            return;
          }
          if (origin) {
            size_t at = dir.find("$ORIGIN");
            dir = dir.substr(0, at) + "/" + it.origin_image + dir.substr(at + 7);
          }
          searched.push_back(dir);
          ok = TrySysroot(dir + "/" + name, &f);
        };
        if (name.find('/') != std::string::npos) {
          searched.push_back(name);
          ok = TrySysroot(name[0] == '/' ? name : "/" + name, &f);
        } else {
          if (it.runpath.empty()) {
            for (const auto& d : it.rpath) try_dir(d);
            if (it.in_sysroot && l.runpath.empty()) {
              for (const auto& d : l.rpath) try_dir(d);
            }
          }
          for (const auto& d : it.runpath) try_dir(d);
          for (const auto& d : conf_dirs_) try_dir(d);
          for (const auto& d : default_dirs_) try_dir(d);
        }
        if (!ok) {
          std::string dirs;
          for (const auto& s : searched) dirs += (dirs.empty() ? "" : ", ") + s;
          return Status::NotFound(name + " (needed by " + it.needer_name +
                                  ") not found in sysroot " + opts_.sysroot + "; searched " + dirs);
        }
        sonames_done_.insert(name);
        if (files_done_.count(f.image)) continue;
        AddFound(f, name + ", needed by " + it.needer_name, &out);
        // Walk its own needs.
        BK_ASSIGN_OR_RETURN(MappedFile m, MappedFile::Open(f.host));
        auto objs = exe::OpenObject(m.bytes());
        if (!objs.ok()) return objs.status().WithContext(f.host);
        const exe::Linkage& ll = (*objs)[0].linkage;
        queue.push_back({"/" + f.image, Dirname(f.image), Dirname(f.host), true, ll.needed,
                         ll.rpath, ll.runpath});
      }
    }
    return out;
  }

 private:
  std::string Expand(std::string d) const {
    auto replace = [&](const std::string& from, const std::string& to) {
      for (size_t at = d.find(from); at != std::string::npos; at = d.find(from, at + to.size())) {
        d.replace(at, from.size(), to);
      }
    };
    replace("${ORIGIN}", "$ORIGIN");
    replace("${LIB}", "$LIB");
    replace("$LIB", exe_.ptr_size == 8 ? "lib64" : "lib");
    replace("${PLATFORM}", "$PLATFORM");
    replace("$PLATFORM", std::string(exe_.arch));
    return d;
  }

  // An ELF of the executable's class and machine; ld.so skips others and keeps searching.
  bool Compatible(const std::string& host) const {
    auto m = MappedFile::Open(host);
    if (!m.ok()) return false;
    auto objs = exe::OpenObject(m->bytes());
    if (!objs.ok() || objs->empty()) return false;
    const exe::ObjectFile& o = (*objs)[0];
    return o.format == exe::Format::kElf && o.machine == exe_.machine &&
           o.ptr_size == exe_.ptr_size;
  }

  bool TrySysroot(const std::string& abs, Found* f) const {
    std::vector<ClosureLink> links;
    std::string real = resolver_.Resolve(abs, &links);
    if (real.empty()) return false;
    std::string host = resolver_.Host(real);
    struct stat st;
    if (::stat(host.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !Compatible(host)) return false;
    f->image = real;
    f->host = host;
    f->links = std::move(links);
    return true;
  }

  bool FindPath(const std::string& abs, Found* f) const { return TrySysroot(abs, f); }

  bool TryHostFile(const std::string& host, const std::string& image, Found* f) const {
    struct stat st;
    if (::stat(host.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || !Compatible(host)) return false;
    // Normalise the image path lexically ("app/../lib/x" -> "lib/x").
    std::vector<std::string> parts;
    for (auto& p : SplitParts(image)) {
      if (p == "..") {
        if (!parts.empty()) parts.pop_back();
      } else {
        parts.push_back(p);
      }
    }
    f->image = JoinRel(parts);
    f->host = host;
    f->links.clear();
    return true;
  }

  void AddFound(const Found& f, const std::string& reason, LibraryClosure* out) {
    for (const auto& l : f.links) {
      if (links_done_.insert(l.image_path).second) {
        out->links.push_back({l.image_path, l.target, "symlink on the way to /" + f.image});
      }
    }
    if (files_done_.insert(f.image).second) out->files.push_back({f.image, f.host, reason});
  }

  const exe::ObjectFile& exe_;
  const ClosureOptions& opts_;
  SysrootResolver resolver_;
  std::vector<std::string> conf_dirs_, default_dirs_;
  std::set<std::string> sonames_done_, files_done_, links_done_;
};

}  // namespace

std::vector<std::string> DefaultLibraryDirs(std::string_view goarch, int ptr_size) {
  std::vector<std::string> dirs;
  std::string t = Triplet(goarch);
  if (!t.empty()) {
    dirs.push_back("/lib/" + t);
    dirs.push_back("/usr/lib/" + t);
  }
  if (ptr_size == 8) {
    dirs.push_back("/lib64");
    dirs.push_back("/usr/lib64");
  }
  dirs.push_back("/lib");
  dirs.push_back("/usr/lib");
  dirs.push_back("/usr/local/lib");
  return dirs;
}

std::vector<std::string> ParseLdSoConf(
    std::string_view text,
    const std::function<std::vector<std::string>(const std::string&)>& expand_include, int depth) {
  std::vector<std::string> dirs;
  if (depth > 8) return dirs;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    auto trim = [](std::string s) {
      size_t a = s.find_first_not_of(" \t\r");
      size_t b = s.find_last_not_of(" \t\r");
      return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
    };
    line = trim(line);
    if (line.empty()) continue;
    if (line.rfind("include", 0) == 0 && line.size() > 7 && (line[7] == ' ' || line[7] == '\t')) {
      for (const auto& t : expand_include(trim(line.substr(8)))) {
        for (auto& d : ParseLdSoConf(t, expand_include, depth + 1)) dirs.push_back(d);
      }
      continue;
    }
    if (line[0] == '/') dirs.push_back(line);
  }
  return dirs;
}

Result<LibraryClosure> FindLibraryClosure(const exe::ObjectFile& exe, const ClosureOptions& opts) {
  struct stat st;
  if (::stat(opts.sysroot.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::NotFound("sysroot " + opts.sysroot + " is not a directory");
  }
  Walker w(exe, opts);
  return w.Run();
}

}  // namespace barekit::pack
