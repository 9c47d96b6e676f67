#include "pack/modinfo.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>

#include "base/mapped_file.h"
#include "base/posix_error.h"
#include "exe/object_file.h"

namespace barekit::pack {
namespace {

std::string fmt_hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::vector<std::string> SplitComma(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t c = s.find(',');
    std::string_view part = s.substr(0, c);
    if (!part.empty()) out.emplace_back(part);
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

// Every "*.ko" file below `dir`, keyed by canonical module name. The first in path order wins.
Status IndexModules(const std::string& dir, const std::string& rel,
                    std::map<std::string, std::pair<std::string, std::string>>* index, int depth) {
  if (depth > 16) return Status::Ok();
  std::vector<std::string> names;
  {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("modules directory " + dir, errno);
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    std::string r = rel.empty() ? n : rel + "/" + n;
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      BK_RETURN_IF_ERROR(IndexModules(p, r, index, depth + 1));
    } else if (S_ISREG(st.st_mode) && n.size() > 3 && n.compare(n.size() - 3, 3, ".ko") == 0) {
      index->emplace(CanonicalModuleName(n.substr(0, n.size() - 3)), std::make_pair(p, r));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string CanonicalModuleName(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

Result<ModInfo> ParseModInfo(Bytes section) {
  ModInfo info;
  ByteReader r(section, Endian::kLittle);
  while (r.remaining() > 0) {
    size_t at = r.pos();
    auto rec = r.CString();
    if (!rec) {
      return Status::Corrupt(".modinfo at 0x" + fmt_hex(at) + ": record runs past the section end");
    }
    if (rec->empty()) continue;  // alignment padding
    size_t eq = rec->find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::Corrupt(".modinfo at 0x" + fmt_hex(at) + ": record \"" +
                             std::string(rec->substr(0, 40)) + "\" has no key=value form");
    }
    std::string_view key = rec->substr(0, eq), value = rec->substr(eq + 1);
    if (key == "name") {
      info.name = value;
    } else if (key == "depends") {
      for (auto& d : SplitComma(value)) info.depends.push_back(CanonicalModuleName(d));
    } else if (key == "vermagic") {
      info.vermagic = value;
    }
  }
  return info;
}

Result<ModInfo> ReadModInfo(Bytes ko_bytes) {
  BK_ASSIGN_OR_RETURN(auto objs, exe::OpenObject(ko_bytes));
  if (objs.empty()) return Status::NotMine("not an object file");
  const exe::ObjectFile& o = objs[0];
  const exe::Section* s = o.FindSection(".modinfo");
  if (s == nullptr) return Status::NotFound("no .modinfo section (not a kernel module)");
  auto data = o.SectionData(*s);
  if (!data) {
    return Status::Corrupt(".modinfo at 0x" + fmt_hex(s->offset) +
                           " runs past the end of the file");
  }
  auto info = ParseModInfo(*data);
  if (!info.ok()) {
    // Offsets inside the section become file offsets.
    return info.status().WithContext("section at file offset 0x" + fmt_hex(s->offset));
  }
  return info;
}

Result<std::vector<ModuleFile>> ResolveModules(const std::vector<std::string>& wanted,
                                               const std::string& modules_dir) {
  std::map<std::string, std::pair<std::string, std::string>> index;
  BK_RETURN_IF_ERROR(IndexModules(modules_dir, "", &index, 0));
  std::map<std::string, ModuleFile> found;
  std::vector<std::string> out_order;
  std::set<std::string> done, visiting;
  std::vector<ModuleFile> out;
  std::function<Status(const std::string&, const std::string&)> visit =
      [&](const std::string& name, const std::string& needed_by) -> Status {
    if (done.count(name)) return Status::Ok();
    if (visiting.count(name)) {
      return Status::InvalidArgument("kernel module dependency cycle through " + name);
    }
    auto it = index.find(name);
    if (it == index.end()) {
      return Status::NotFound("kernel module " + name +
                              (needed_by.empty() ? "" : " (needed by " + needed_by + ")") +
                              " not found under " + modules_dir);
    }
    BK_ASSIGN_OR_RETURN(MappedFile m, MappedFile::Open(it->second.first));
    auto info = ReadModInfo(m.bytes());
    if (!info.ok()) return info.status().WithContext(it->second.first);
    visiting.insert(name);
    std::vector<std::string> deps = info->depends;
    std::sort(deps.begin(), deps.end());
    for (const auto& d : deps) BK_RETURN_IF_ERROR(visit(d, name));
    visiting.erase(name);
    done.insert(name);
    ModuleFile f;
    f.name = name;
    f.path = it->second.first;
    f.relpath = it->second.second;
    f.depends = deps;
    out.push_back(std::move(f));
    return Status::Ok();
  };
  std::vector<std::string> sorted;
  for (const auto& w : wanted) sorted.push_back(CanonicalModuleName(w));
  std::sort(sorted.begin(), sorted.end());
  for (const auto& w : sorted) BK_RETURN_IF_ERROR(visit(w, ""));
  return out;
}

}  // namespace barekit::pack
