#include "inspect/requirements.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>

namespace barekit::inspect {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "1.21.5rc1" into numeric components; stops at the first non-digit/non-dot and
// remembers whether a pre-release suffix (rc/beta) followed.
std::vector<uint64_t> VersionParts(std::string_view v, bool* prerelease) {
  if (v.substr(0, 6) == "devel ") v.remove_prefix(6);
  if (v.substr(0, 2) == "go") v.remove_prefix(2);
  std::vector<uint64_t> parts;
  uint64_t cur = 0;
  bool any = false;
  *prerelease = false;
  for (char c : v) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      cur = cur * 10 + static_cast<uint64_t>(c - '0');
      any = true;
    } else if (c == '.') {
      parts.push_back(cur);
      cur = 0;
      any = false;
    } else {
      *prerelease = c == 'r' || c == 'b';
      break;
    }
  }
  if (any) parts.push_back(cur);
  return parts;
}

const std::string* Setting(const SliceReport& s, std::string_view key) {
  if (!s.go || !s.go->build_info) return nullptr;
  return s.go->build_info->Setting(key);
}

}  // namespace

int CompareGoVersions(std::string_view a, std::string_view b) {
  bool pa = false;
  bool pb = false;
  auto va = VersionParts(a, &pa);
  auto vb = VersionParts(b, &pb);
  for (size_t i = 0; i < std::max(va.size(), vb.size()); ++i) {
    uint64_t x = i < va.size() ? va[i] : 0;
    uint64_t y = i < vb.size() ? vb[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  if (pa != pb) return pa ? -1 : 1;  // go1.22rc1 < go1.22
  return 0;
}

Result<uint64_t> ParseSize(std::string_view s) {
  s = Trim(s);
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0)
    return Status::InvalidArgument(fmt::format("size '{}' does not start with a number", s));
  double num = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + i, num);
  if (ec != std::errc() || p != s.data() + i) {
    return Status::InvalidArgument(fmt::format("size '{}' has a bad number", s));
  }
  std::string unit;
  for (char c : s.substr(i)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double mult = 0;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "k" || unit == "kib")
    mult = 1024.0;
  else if (unit == "kb")
    mult = 1e3;
  else if (unit == "m" || unit == "mib")
    mult = 1024.0 * 1024;
  else if (unit == "mb")
    mult = 1e6;
  else if (unit == "g" || unit == "gib")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "gb")
    mult = 1e9;
  else
    return Status::InvalidArgument(fmt::format("size '{}' has an unknown unit '{}'", s, unit));
  double v = num * mult;
  if (!(v >= 0) || v > 1.8e19)
    return Status::InvalidArgument(fmt::format("size '{}' is out of range", s));
  return static_cast<uint64_t>(std::llround(v));
}

Result<std::vector<Requirement>> ParseRequirements(std::string_view spec) {
  std::vector<Requirement> out;
  size_t col = 0;
  while (col <= spec.size()) {
    size_t end = spec.find(',', col);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view raw = spec.substr(col, end - col);
    std::string_view item = Trim(raw);
    auto bad = [&](std::string_view why) {
      return Status::InvalidArgument(
          fmt::format("--require column {}: '{}': {}", col + 1, item, why));
    };
    if (!item.empty()) {
      Requirement r{Requirement::Kind::kStatic, std::string(item), "", "", 0};
      if (item == "static")
        r.kind = Requirement::Kind::kStatic;
      else if (item == "nocgo")
        r.kind = Requirement::Kind::kNoCgo;
      else if (item == "stripped")
        r.kind = Requirement::Kind::kStripped;
      else if (item == "trimpath")
        r.kind = Requirement::Kind::kTrimpath;
      else if (item == "pie")
        r.kind = Requirement::Kind::kPie;
      else if (item == "go")
        r.kind = Requirement::Kind::kGo;
      else if (item == "notpacked" || item == "unpacked")
        r.kind = Requirement::Kind::kNotPacked;
      else if (item.substr(0, 3) == "os=") {
        r.kind = Requirement::Kind::kOs;
        r.value = std::string(item.substr(3));
        if (r.value.empty()) return bad("needs an OS name, like os=linux");
      } else if (item.substr(0, 5) == "arch=") {
        r.kind = Requirement::Kind::kArch;
        r.value = std::string(item.substr(5));
        if (r.value.empty()) return bad("needs a GOARCH name, like arch=arm64");
      } else if (item.substr(0, 9) == "max-size=") {
        r.kind = Requirement::Kind::kMaxSize;
        auto sz = ParseSize(item.substr(9));
        if (!sz.ok()) return bad(sz.status().message());
        r.bytes = *sz;
      } else if (item.substr(0, 2) == "go" &&
                 (item.size() > 2 && (item[2] == '>' || item[2] == '<' || item[2] == '='))) {
        r.kind = Requirement::Kind::kGoVersion;
        std::string_view rest = item.substr(2);
        for (std::string_view op : {">=", "<=", "==", ">", "<", "="}) {
          if (rest.substr(0, op.size()) == op) {
            r.op = op == "=" ? "==" : std::string(op);
            rest.remove_prefix(op.size());
            break;
          }
        }
        bool pre = false;
        if (rest.empty() || VersionParts(rest, &pre).empty())
          return bad("needs a version, like go>=1.21");
        r.value = std::string(rest);
      } else {
        return bad(
            "unknown requirement (known: static, nocgo, stripped, trimpath, pie, go, "
            "notpacked, os=, arch=, go>=, max-size=)");
      }
      out.push_back(std::move(r));
    }
    col = end + 1;
  }
  if (out.empty()) return Status::InvalidArgument("--require names no requirement");
  return out;
}

std::vector<std::string> CheckRequirements(const FileReport& file,
                                           const std::vector<Requirement>& reqs) {
  std::vector<std::string> v;
  if (!file.error.empty()) {
    v.push_back(file.error);
    return v;
  }
  for (const SliceReport& s : file.slices) {
    const exe::ObjectFile& o = s.object;
    std::string where = file.slices.size() > 1 ? fmt::format("[{}] ", o.arch) : "";
    const gobin::BuildInfo* bi = s.go && s.go->build_info ? &*s.go->build_info : nullptr;
    for (const Requirement& r : reqs) {
      std::string why;
      switch (r.kind) {
        case Requirement::Kind::kStatic:
          if (o.linkage.kind == exe::LinkKind::kDynamic) {
            why = "not static: dynamically linked";
            if (!o.linkage.interpreter.empty()) why += ", interpreter " + o.linkage.interpreter;
            if (!o.linkage.needed.empty()) why += ", needs " + o.linkage.needed.front();
          }
          break;
        case Requirement::Kind::kNoCgo: {
          const std::string* cgo = Setting(s, "CGO_ENABLED");
          if (cgo != nullptr) {
            if (*cgo != "0") why = "cgo: built with CGO_ENABLED=" + *cgo;
          } else if (o.linkage.kind == exe::LinkKind::kDynamic && o.format == exe::Format::kElf) {
            why = "cgo: dynamically linked against C libraries (CGO_ENABLED not recorded)";
          } else if (!s.go) {
            why = "cgo: not a Go binary";
          }
          break;
        }
        case Requirement::Kind::kStripped:
          if (o.has_symtab || o.has_dwarf) {
            why =
                fmt::format("not stripped: {}{}{}", o.has_symtab ? "symbol table" : "",
                            o.has_symtab && o.has_dwarf ? " and " : "", o.has_dwarf ? "DWARF" : "");
          }
          break;
        case Requirement::Kind::kTrimpath: {
          const std::string* t = Setting(s, "-trimpath");
          if (t == nullptr || *t != "true") why = "not built with -trimpath";
          break;
        }
        case Requirement::Kind::kPie:
          if (!o.linkage.pie) why = "not PIE";
          break;
        case Requirement::Kind::kGo:
          if (!s.go) why = "not a Go binary";
          break;
        case Requirement::Kind::kNotPacked:
          if (!o.packer.empty()) why = "packed with " + o.packer;
          break;
        case Requirement::Kind::kOs:
          if (o.os != r.value)
            why = fmt::format("os is {}, want {}", o.os.empty() ? "unknown" : o.os, r.value);
          break;
        case Requirement::Kind::kArch:
          if (o.arch != r.value) {
            why = fmt::format("arch is {}, want {}",
                              o.arch.empty() ? o.machine : std::string(o.arch), r.value);
          }
          break;
        case Requirement::Kind::kGoVersion: {
          if (bi == nullptr || bi->go_version.empty()) {
            why = fmt::format("go version unknown, want {}", r.text);
            break;
          }
          int c = CompareGoVersions(bi->go_version, r.value);
          bool ok = r.op == ">="   ? c >= 0
                    : r.op == "<=" ? c <= 0
                    : r.op == ">"  ? c > 0
                    : r.op == "<"  ? c < 0
                                   : c == 0;
          if (!ok) why = fmt::format("go version is {}, want {}", bi->go_version, r.text);
          break;
        }
        case Requirement::Kind::kMaxSize:
          if (file.size > r.bytes) {
            why = fmt::format("size {} bytes exceeds max-size {} ({} bytes)", file.size,
                              r.text.substr(9), r.bytes);
          }
          break;
      }
      if (!why.empty()) v.push_back(where + why);
    }
  }
  return v;
}

}  // namespace barekit::inspect
