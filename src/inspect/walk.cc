#include "inspect/walk.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace barekit::inspect {
namespace {

bool IsExeName(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".exe") == 0;
}

void WalkDir(const std::string& dir, std::vector<WalkedPath>* out, int depth) {
  if (depth > 256) {
    out->push_back({dir, false, "directory nesting deeper than 256 levels"});
    return;
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    out->push_back({dir, false, std::string("cannot read directory: ") + std::strerror(errno)});
    return;
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string path = dir.back() == '/' ? dir + name : dir + "/" + name;
    struct stat lst {};
    if (::lstat(path.c_str(), &lst) != 0) continue;
    if (S_ISDIR(lst.st_mode)) {
      WalkDir(path, out, depth + 1);
      continue;
    }
    struct stat st = lst;
    if (S_ISLNK(lst.st_mode)) {
      // File symlinks only; a dangling link or a link to a directory is not followed.
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    }
    if (!S_ISREG(st.st_mode)) continue;
    if ((st.st_mode & 0111) == 0 && !IsExeName(name)) continue;
    out->push_back({path, false, ""});
  }
}

}  // namespace

std::vector<WalkedPath> ExpandPaths(const std::vector<std::string>& args) {
  std::vector<WalkedPath> out;
  for (const std::string& a : args) {
    struct stat st {};
    if (::stat(a.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      WalkDir(a, &out, 0);
    } else {
      out.push_back({a, true, ""});
    }
  }
  return out;
}

}  // namespace barekit::inspect
