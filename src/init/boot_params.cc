#include "init/boot_params.h"

#include <cstddef>

namespace barekit::init {
namespace {

constexpr size_t kMaxIfaceName = 15;  // IFNAMSIZ - 1
constexpr size_t kMaxValue = 256;     // a kernel command-line word is short; refuse anything long

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool IsPrintable(std::string_view s) {
  for (char c : s)
    if (c <= ' ' || c > '~') return false;
  return true;
}

Status NetError(std::string_view value, std::string_view why) {
  std::string m = "barekit_net: ";
  m.append(why);
  if (IsPrintable(value) && value.size() <= kMaxValue) {
    m += " in '";
    m.append(value);
    m += "' (want IFACE:A.B.C.D/PREFIX[:GATEWAY])";
  }
  return Status::InvalidArgument(m);
}

}  // namespace

bool IsIpv4(std::string_view s) {
  int parts = 0;
  while (true) {
    size_t digits = 0;
    int v = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') {
      v = v * 10 + (s[digits] - '0');
      if (++digits > 3) return false;
    }
    if (digits == 0 || v > 255) return false;
    s.remove_prefix(digits);
    ++parts;
    if (parts == 4) return s.empty();
    if (s.empty() || s.front() != '.') return false;
    s.remove_prefix(1);
  }
}

Result<ControlSpec> ParseControlSpec(std::string_view value) {
  ControlSpec spec;
  if (value.empty()) return Status::InvalidArgument("barekit_control: empty");
  if (value.size() > kMaxValue) return Status::InvalidArgument("barekit_control: too long");
  if (value.rfind("virtio:", 0) == 0) {
    std::string_view name = value.substr(7);
    if (name.empty() || !IsPrintable(name) || name.find('/') != std::string_view::npos)
      return Status::InvalidArgument("barekit_control: bad virtio port name '" +
                                     std::string(IsPrintable(name) ? name : "?") + "'");
    spec.virtio_name = std::string(name);
    return spec;
  }
  if (value.front() != '/' || !IsPrintable(value))
    return Status::InvalidArgument("barekit_control: want an absolute device path or virtio:NAME");
  spec.path = std::string(value);
  return spec;
}

Result<NetworkConfig> ParseNetSpec(std::string_view value) {
  if (value.size() > kMaxValue) return NetError(value, "too long");
  size_t c1 = value.find(':');
  if (c1 == std::string_view::npos) return NetError(value, "no ':' after the interface");
  std::string_view iface = value.substr(0, c1);
  std::string_view rest = value.substr(c1 + 1);
  size_t c2 = rest.find(':');
  std::string_view addr = rest.substr(0, c2);
  std::string_view gw = c2 == std::string_view::npos ? std::string_view() : rest.substr(c2 + 1);
  if (iface.empty() || iface.size() > kMaxIfaceName || !IsPrintable(iface) ||
      iface.find('/') != std::string_view::npos)
    return NetError(value, "bad interface name");
  size_t slash = addr.find('/');
  if (slash == std::string_view::npos) return NetError(value, "no /PREFIX after the address");
  if (!IsIpv4(addr.substr(0, slash))) return NetError(value, "bad address");
  std::string_view prefix = addr.substr(slash + 1);
  int p = 0;
  if (prefix.empty() || prefix.size() > 2) return NetError(value, "bad prefix length");
  for (char ch : prefix) {
    if (ch < '0' || ch > '9') return NetError(value, "bad prefix length");
    p = p * 10 + (ch - '0');
  }
  if (p > 32) return NetError(value, "bad prefix length");
  if (c2 != std::string_view::npos && !IsIpv4(gw)) return NetError(value, "bad gateway");
  NetworkConfig n;
  n.interface = std::string(iface);
  n.address = std::string(addr);
  n.gateway = std::string(gw);
  return n;
}

ModuleList ParseModulesOrder(std::string_view text, std::string_view file_name) {
  ModuleList out;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() != '/' || !IsPrintable(line) || line.size() > 4096) {
      out.problems.push_back(std::string(file_name) + ":" + std::to_string(line_no) +
                             ": not an absolute path");
      continue;
    }
    out.paths.emplace_back(line);
  }
  return out;
}

}  // namespace barekit::init
