#include "archive/atomic_output.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>
#include <vector>

#include "base/posix_error.h"

namespace barekit::archive {
namespace {

void SplitDirBase(const std::string& path, std::string* dir, std::string* base) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    *dir = ".";
    *base = path;
  } else {
    *dir = slash == 0 ? "/" : path.substr(0, slash);
    *base = path.substr(slash + 1);
  }
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Ok();  // best effort
  ::fsync(fd);
  ::close(fd);
  return Status::Ok();
}

}  // namespace

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)), temp_(std::exchange(o.temp_, {})), fd_(std::move(o.fd_)) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& o) noexcept {
  if (this != &o) {
    if (!temp_.empty()) ::unlink(temp_.c_str());
    path_ = std::move(o.path_);
    temp_ = std::exchange(o.temp_, {});
    fd_ = std::move(o.fd_);
  }
  return *this;
}

AtomicFile::~AtomicFile() {
  if (!temp_.empty()) ::unlink(temp_.c_str());
}

Result<AtomicFile> AtomicFile::Create(const std::string& path) {
  if (path.empty() || path.back() == '/') {
    return Status::InvalidArgument("output \"" + path + "\" is not a file name");
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument("output " + path + " is a directory");
  }
  std::string dir, base;
  SplitDirBase(path, &dir, &base);
  std::string tmpl = dir + "/." + base + ".tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0) return PosixError("creating a temporary file in " + dir, errno);
  AtomicFile f;
  f.path_ = path;
  f.temp_ = buf.data();
  f.fd_.Reset(fd);
  if (::fchmod(fd, 0644) != 0) return PosixError(f.temp_, errno);
  return f;
}

Status AtomicFile::Commit() {
  if (temp_.empty()) return Status::InvalidArgument("output already committed");
  if (::fsync(fd_.get()) != 0 && errno != EINVAL) return PosixError(temp_, errno);
  if (::close(fd_.Release()) != 0) return PosixError(temp_, errno);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) return PosixError("renaming to " + path_, errno);
  temp_.clear();
  std::string dir, base;
  SplitDirBase(path_, &dir, &base);
  return FsyncDir(dir);
}

AtomicDir::AtomicDir(AtomicDir&& o) noexcept
    : path_(std::move(o.path_)), temp_(std::exchange(o.temp_, {})) {}

AtomicDir& AtomicDir::operator=(AtomicDir&& o) noexcept {
  if (this != &o) {
    if (!temp_.empty()) (void)RemoveTree(temp_);
    path_ = std::move(o.path_);
    temp_ = std::exchange(o.temp_, {});
  }
  return *this;
}

AtomicDir::~AtomicDir() {
  if (!temp_.empty()) (void)RemoveTree(temp_);
}

namespace {

// Empty, or a previous OCI layout.
Status CheckReplaceable(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return PosixError(path, errno);
  }
  if (!S_ISDIR(st.st_mode))
    return Status::InvalidArgument("output " + path + " exists and is not a directory");
  std::string marker = path + "/oci-layout";
  if (::lstat(marker.c_str(), &st) == 0) return Status::Ok();
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return PosixError(path, errno);
  bool empty = true;
  while (dirent* ent = ::readdir(d)) {
    std::string n = ent->d_name;
    if (n != "." && n != "..") empty = false;
  }
  ::closedir(d);
  if (!empty) {
    return Status::InvalidArgument("output directory " + path +
                                   " is not empty and holds no oci-layout; refusing to replace it");
  }
  return Status::Ok();
}

}  // namespace

Result<AtomicDir> AtomicDir::Create(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  BK_RETURN_IF_ERROR(CheckReplaceable(p));
  std::string dir, base;
  SplitDirBase(p, &dir, &base);
  std::string tmpl = dir + "/." + base + ".tmp-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    return PosixError("creating a temporary directory in " + dir, errno);
  AtomicDir d;
  d.path_ = p;
  d.temp_ = buf.data();
  ::chmod(d.temp_.c_str(), 0755);
  return d;
}

Status AtomicDir::Commit() {
  if (temp_.empty()) return Status::InvalidArgument("output already committed");
  BK_RETURN_IF_ERROR(CheckReplaceable(path_));
  struct stat st;
  if (::lstat(path_.c_str(), &st) == 0) {
    // Swap atomically, then drop the old tree (now under the temporary name).
    if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, path_.c_str(), RENAME_EXCHANGE) != 0) {
      return PosixError("replacing " + path_, errno);
    }
    std::string old = std::exchange(temp_, {});
    return RemoveTree(old);
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) return PosixError("renaming to " + path_, errno);
  temp_.clear();
  return Status::Ok();
}

Status RemoveTree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0)
    return errno == ENOENT ? Status::Ok() : PosixError(path, errno);
  if (S_ISDIR(st.st_mode)) {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return PosixError(path, errno);
    std::vector<std::string> names;
    while (dirent* ent = ::readdir(d)) {
      std::string n = ent->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    for (const auto& n : names) BK_RETURN_IF_ERROR(RemoveTree(path + "/" + n));
    if (::rmdir(path.c_str()) != 0) return PosixError(path, errno);
    return Status::Ok();
  }
  if (::unlink(path.c_str()) != 0) return PosixError(path, errno);
  return Status::Ok();
}

}  // namespace barekit::archive
