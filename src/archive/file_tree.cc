#include "archive/file_tree.h"

#include <sys/stat.h>

#include <vector>

#include "base/mapped_file.h"
#include "base/posix_error.h"

namespace barekit::archive {
namespace {

std::vector<std::string_view> SplitPath(std::string_view p) {
  std::vector<std::string_view> parts;
  while (!p.empty()) {
    size_t slash = p.find('/');
    std::string_view part = p.substr(0, slash);
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash + 1);
  }
  return parts;
}

std::string_view TypeName(EntryType t) {
  switch (t) {
    case EntryType::kDirectory:
      return "directory";
    case EntryType::kRegular:
      return "file";
    case EntryType::kSymlink:
      return "symlink";
    case EntryType::kCharDevice:
      return "character device";
    case EntryType::kBlockDevice:
      return "block device";
    case EntryType::kFifo:
      return "fifo";
  }
  return "?";
}

std::string Describe(const Entry& e) {
  std::string d(TypeName(e.type));
  if (!e.source.empty()) d += " from " + e.source;
  if (!e.reason.empty()) d += " (" + e.reason + ")";
  return d;
}

}  // namespace

Result<std::string> NormalizeImagePath(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("image path contains a NUL byte");
  }
  std::string out;
  for (std::string_view part : SplitPath(path)) {
    if (part == "..") {
      return Status::InvalidArgument("image path \"" + std::string(path) + "\" contains \"..\"");
    }
    if (!out.empty()) out += '/';
    out += part;
  }
  if (out.empty())
    return Status::InvalidArgument("image path \"" + std::string(path) + "\" names the root");
  return out;
}

Status FileTree::AddParents(const std::string& path) {
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    auto it = entries_.find(parent);
    if (it == entries_.end()) {
      Entry d;
      d.path = parent;
      d.type = EntryType::kDirectory;
      d.mode = 0755;
      d.reason = "parent directory";
      d.implicit = true;
      entries_.emplace(parent, std::move(d));
    } else if (it->second.type != EntryType::kDirectory) {
      return Status::InvalidArgument("/" + path + " needs /" + parent +
                                     " to be a directory, but it is a " + Describe(it->second));
    }
  }
  return Status::Ok();
}

Status FileTree::Add(Entry e, bool replace) {
  BK_ASSIGN_OR_RETURN(e.path, NormalizeImagePath(e.path));
  e.mode &= 07777;
  auto it = entries_.find(e.path);
  if (it != entries_.end()) {
    Entry& old = it->second;
    if (old.type == EntryType::kDirectory && e.type == EntryType::kDirectory) {
      // A directory named explicitly takes over an implicit parent's mode and reason.
      if (old.implicit || replace) old = std::move(e);
      return Status::Ok();
    }
    if (old.type == EntryType::kDirectory) {
      for (const auto& [p, child] : entries_) {
        if (p.size() > e.path.size() && p.compare(0, e.path.size(), e.path) == 0 &&
            p[e.path.size()] == '/') {
          return Status::InvalidArgument("two inputs for /" + e.path + ": " + Describe(e) +
                                         ", and a directory holding /" + p);
        }
      }
    }
    if (!replace) {
      return Status::InvalidArgument("two inputs for /" + e.path + ": " + Describe(old) + " and " +
                                     Describe(e));
    }
    old = std::move(e);
    return Status::Ok();
  }
  BK_RETURN_IF_ERROR(AddParents(e.path));
  std::string key = e.path;
  entries_.emplace(std::move(key), std::move(e));
  return Status::Ok();
}

Status FileTree::AddDirectory(std::string_view path, uint32_t mode, std::string reason) {
  Entry e;
  e.path = path;
  e.type = EntryType::kDirectory;
  e.mode = mode;
  e.reason = std::move(reason);
  return Add(std::move(e));
}

Status FileTree::AddFile(std::string_view path, uint32_t mode, std::string source,
                         std::string reason) {
  struct stat st;
  if (::stat(source.c_str(), &st) != 0) return PosixError(source, errno);
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(source + ": not a regular file");
  if (::access(source.c_str(), R_OK) != 0) return PosixError(source, errno);
  Entry e;
  e.path = path;
  e.type = EntryType::kRegular;
  e.mode = mode;
  e.source = std::move(source);
  e.size = static_cast<uint64_t>(st.st_size);
  e.reason = std::move(reason);
  return Add(std::move(e));
}

Status FileTree::AddData(std::string_view path, uint32_t mode, std::string data,
                         std::string reason) {
  Entry e;
  e.path = path;
  e.type = EntryType::kRegular;
  e.mode = mode;
  e.size = data.size();
  e.data = std::move(data);
  e.reason = std::move(reason);
  return Add(std::move(e));
}

Status FileTree::AddSymlink(std::string_view path, std::string target, std::string reason) {
  if (target.empty() || target.find('\0') != std::string::npos) {
    return Status::InvalidArgument("symlink /" + std::string(path) + " has an empty or NUL target");
  }
  Entry e;
  e.path = path;
  e.type = EntryType::kSymlink;
  e.mode = 0777;
  e.size = target.size();
  e.data = std::move(target);
  e.reason = std::move(reason);
  return Add(std::move(e));
}

Status FileTree::AddDevice(std::string_view path, EntryType type, uint32_t mode, uint32_t major,
                           uint32_t minor, std::string reason) {
  Entry e;
  e.path = path;
  e.type = type;
  e.mode = mode;
  e.rdev_major = major;
  e.rdev_minor = minor;
  e.reason = std::move(reason);
  return Add(std::move(e));
}

const Entry* FileTree::Find(std::string_view path) const {
  auto it = entries_.find(std::string(path));
  return it == entries_.end() ? nullptr : &it->second;
}

bool FileTree::Remove(std::string_view path) { return entries_.erase(std::string(path)) > 0; }

std::string FileTree::Resolve(const std::string& path, int depth) const {
  if (depth > 40) return "";
  std::vector<std::string> stack;
  std::vector<std::string_view> parts = SplitPath(path);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    if (part == "..") {
      if (stack.empty()) return "";
      stack.pop_back();
      continue;
    }
    std::string cur;
    for (const auto& s : stack) cur += s + "/";
    cur += part;
    const Entry* e = Find(cur);
    if (e == nullptr) return "";
    if (e->type == EntryType::kSymlink) {
      std::string base;
      if (e->data[0] != '/') {
        for (const auto& s : stack) base += s + "/";
      }
      std::string rest;
      for (size_t j = i + 1; j < parts.size(); ++j) rest += "/" + std::string(parts[j]);
      std::string target = base + e->data + rest;
      return Resolve(target, depth + 1);
    }
    stack.emplace_back(part);
  }
  std::string out;
  for (const auto& s : stack) out += (out.empty() ? "" : "/") + s;
  return out.empty() ? "." : out;
}

std::string FileTree::ResolveParentLinks(const std::string& path) const {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return path;
  std::string cur;
  for (std::string_view comp : SplitPath(std::string_view(path).substr(0, slash))) {
    std::string next = cur.empty() ? std::string(comp) : cur + "/" + std::string(comp);
    const Entry* e = Find(next);
    if (e != nullptr && e->type == EntryType::kSymlink) {
      std::string r = Resolve(next, 0);
      if (r.empty()) return path;
      next = r == "." ? "" : r;
    }
    cur = next;
  }
  return (cur.empty() ? "" : cur + "/") + path.substr(slash + 1);
}

Status FileTree::CheckSymlinks() const {
  for (const auto& [path, e] : entries_) {
    if (e.type != EntryType::kSymlink) continue;
    const std::string& t = e.data;
    if (t[0] == '/') {
      if (Resolve(t, 0).empty()) {
        return Status::InvalidArgument("absolute symlink /" + path + " -> " + t +
                                       " points outside the image (no such entry)");
      }
      continue;
    }
    // Relative: count depth lexically from the link's directory.
    int depth = 0;
    for (size_t i = 0; i < path.size(); ++i) depth += path[i] == '/';
    for (std::string_view part : SplitPath(t)) {
      if (part == "..") {
        if (--depth < 0) {
          return Status::InvalidArgument("symlink /" + path + " -> " + t +
                                         " climbs above the image root with \"..\"");
        }
      } else {
        ++depth;
      }
    }
  }
  return Status::Ok();
}

Status FileTree::ForEach(const std::function<Status(const Entry&, Bytes)>& fn) const {
  for (const auto& [path, e] : entries_) {
    if (e.type == EntryType::kRegular && !e.source.empty()) {
      BK_ASSIGN_OR_RETURN(MappedFile m, MappedFile::Open(e.source));
      if (m.size() != e.size) {
        return Status::IoError(e.source + ": changed size while the image was written (" +
                               std::to_string(e.size) + " -> " + std::to_string(m.size()) + ")");
      }
      BK_RETURN_IF_ERROR(fn(e, m.bytes()));
    } else if (e.type == EntryType::kRegular) {
      BK_RETURN_IF_ERROR(fn(e, AsBytes(e.data)));
    } else {
      BK_RETURN_IF_ERROR(fn(e, Bytes()));
    }
  }
  return Status::Ok();
}

uint64_t FileTree::TotalFileBytes() const {
  uint64_t n = 0;
  for (const auto& [p, e] : entries_) {
    if (e.type == EntryType::kRegular) n += e.size;
  }
  return n;
}

}  // namespace barekit::archive
