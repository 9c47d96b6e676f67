#include "init/config.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "base/toml.h"  // toml++ configured for barekit-init (no exceptions, no iostreams)

namespace barekit::init {
namespace {

const char* const kSignalNames[32] = {
    nullptr, "HUP",  "INT",  "QUIT", "ILL",    "TRAP",   "ABRT",  "BUS",  "FPE",  "KILL", "USR1",
    "SEGV",  "USR2", "PIPE", "ALRM", "TERM",   "STKFLT", "CHLD",  "CONT", "STOP", "TSTP", "TTIN",
    "TTOU",  "URG",  "XCPU", "XFSZ", "VTALRM", "PROF",   "WINCH", "IO",   "PWR",  "SYS"};

// The config's own value kinds on top of barekit's TOML reader (file:line:col errors).
class Parser : public TomlReader {
 public:
  using TomlReader::TomlReader;

  Status Duration(const toml::node& n, std::string_view key, Millis* out) const {
    std::optional<Millis> d;
    if (const auto* s = n.as_string())
      d = ParseDuration(s->get());
    else if (const auto* i = n.as_integer()) {
      if (i->get() >= 0 && i->get() <= 86400 * 365) d = i->get() * 1000;
    } else if (const auto* f = n.as_floating_point()) {
      if (f->get() >= 0 && f->get() <= 86400.0 * 365) d = static_cast<Millis>(f->get() * 1000);
    }
    if (!d)
      return Error(n.source(),
                   std::string(key) + ": expected a duration like \"500ms\", \"2s\" or 3");
    *out = *d;
    return Status::Ok();
  }

  Status Signal(const toml::node& n, std::string_view key, int* out) const {
    std::optional<int> sig;
    if (const auto* s = n.as_string())
      sig = ParseSignal(s->get());
    else if (const auto* i = n.as_integer()) {
      if (i->get() >= 1 && i->get() <= 31) sig = static_cast<int>(i->get());
    }
    if (!sig) return Error(n.source(), std::string(key) + ": expected a signal name like \"TERM\"");
    *out = *sig;
    return Status::Ok();
  }

  Status Readiness(const toml::node& n, Readiness* r) const {
    const auto* t = n.as_table();
    if (!t)
      return Error(n.source(),
                   "ready: expected a table like { kind = \"tcp\", address = \"127.0.0.1:80\" }");
    const toml::node* kind = t->get("kind");
    if (!kind) return Error(n.source(), "ready: missing 'kind' (fd, notify, tcp, http or exec)");
    std::string k;
    BK_RETURN_IF_ERROR(String(*kind, "ready.kind", &k));
    if (k == "fd")
      r->kind = ReadyKind::kFd;
    else if (k == "notify")
      r->kind = ReadyKind::kNotify;
    else if (k == "tcp")
      r->kind = ReadyKind::kTcp;
    else if (k == "http")
      r->kind = ReadyKind::kHttp;
    else if (k == "exec")
      r->kind = ReadyKind::kExec;
    else
      return Error(kind->source(),
                   "ready.kind: unknown kind '" + k + "' (fd, notify, tcp, http or exec)");
    for (auto&& [key, v] : *t) {
      std::string_view name = key.str();
      int64_t i = 0;
      if (name == "kind") continue;
      if (name == "fd") {
        BK_RETURN_IF_ERROR(Int(v, "ready.fd", 3, 1023, &i));
        r->fd = static_cast<int>(i);
      } else if (name == "address" || name == "url") {
        BK_RETURN_IF_ERROR(String(v, "ready.address", &r->address));
      } else if (name == "argv") {
        BK_RETURN_IF_ERROR(StringList(v, "ready.argv", &r->argv));
      } else if (name == "initial_delay") {
        BK_RETURN_IF_ERROR(Duration(v, "ready.initial_delay", &r->initial_delay));
      } else if (name == "period") {
        BK_RETURN_IF_ERROR(Duration(v, "ready.period", &r->period));
      } else if (name == "timeout") {
        BK_RETURN_IF_ERROR(Duration(v, "ready.timeout", &r->timeout));
      } else if (name == "tries") {
        BK_RETURN_IF_ERROR(Int(v, "ready.tries", 1, 1000000, &i));
        r->tries = static_cast<int>(i);
      } else {
        return Error(key.source(), "ready: unknown key '" + std::string(name) + "'");
      }
    }
    if ((r->kind == ReadyKind::kTcp || r->kind == ReadyKind::kHttp) && r->address.empty())
      return Error(n.source(), "ready: kind '" + k + "' needs 'address'");
    if (r->kind == ReadyKind::kHttp && r->address.rfind("http://", 0) != 0)
      return Error(n.source(), "ready: http address must start with http://");
    if (r->kind == ReadyKind::kTcp && r->address.rfind(':') == std::string::npos)
      return Error(n.source(), "ready: tcp address must be host:port");
    if (r->kind == ReadyKind::kExec && r->argv.empty())
      return Error(n.source(), "ready: kind 'exec' needs a non-empty 'argv'");
    if (r->period <= 0) r->period = 1;
    if (r->timeout <= 0) r->timeout = 1;
    return Status::Ok();
  }

  Status Service(std::string_view name, const toml::node& n, ServiceConfig* s) const {
    const auto* t = n.as_table();
    if (!t) return Error(n.source(), "service." + std::string(name) + ": expected a table");
    s->name = name;
    for (auto&& [key, v] : *t) {
      std::string_view k = key.str();
      int64_t i = 0;
      if (k == "argv" || k == "command") {
        BK_RETURN_IF_ERROR(StringList(v, k, &s->argv));
        if (s->argv.empty()) return Error(v.source(), std::string(k) + ": must not be empty");
      } else if (k == "env") {
        const auto* et = v.as_table();
        if (!et) return Error(v.source(), "env: expected a table like { KEY = \"value\" }");
        for (auto&& [ek, ev] : *et) {
          std::string val;
          BK_RETURN_IF_ERROR(String(ev, "env." + std::string(ek.str()), &val));
          if (ek.str().empty() || ek.str().find('=') != std::string_view::npos)
            return Error(ek.source(), "env: bad variable name");
          s->env.push_back(std::string(ek.str()) + "=" + val);
        }
      } else if (k == "cwd" || k == "directory") {
        BK_RETURN_IF_ERROR(String(v, k, &s->cwd));
      } else if (k == "user" || k == "group") {
        BK_RETURN_IF_ERROR(Int(v, k, 0, 0xfffffffe, &i));
        (k == "user" ? s->uid : s->gid) = static_cast<uint32_t>(i);
      } else if (k == "restart") {
        std::string r;
        BK_RETURN_IF_ERROR(String(v, k, &r));
        if (r == "always")
          s->restart = RestartPolicy::kAlways;
        else if (r == "on-failure")
          s->restart = RestartPolicy::kOnFailure;
        else if (r == "never" || r == "no")
          s->restart = RestartPolicy::kNever;
        else
          return Error(v.source(),
                       "restart: expected always, on-failure or never, not '" + r + "'");
      } else if (k == "restart_delay") {
        BK_RETURN_IF_ERROR(Duration(v, k, &s->restart_delay));
      } else if (k == "restart_delay_max") {
        BK_RETURN_IF_ERROR(Duration(v, k, &s->restart_delay_max));
      } else if (k == "start_limit_burst") {
        BK_RETURN_IF_ERROR(Int(v, k, 0, 1000000, &i));
        s->start_limit_burst = static_cast<int>(i);
      } else if (k == "start_limit_interval") {
        BK_RETURN_IF_ERROR(Duration(v, k, &s->start_limit_interval));
      } else if (k == "stable_after") {
        BK_RETURN_IF_ERROR(Duration(v, k, &s->stable_after));
      } else if (k == "critical") {
        BK_RETURN_IF_ERROR(Bool(v, k, &s->critical));
      } else if (k == "oneshot") {
        BK_RETURN_IF_ERROR(Bool(v, k, &s->oneshot));
      } else if (k == "after") {
        BK_RETURN_IF_ERROR(StringList(v, k, &s->after));
      } else if (k == "ready") {
        BK_RETURN_IF_ERROR(Readiness(v, &s->ready));
      } else if (k == "stop_signal") {
        BK_RETURN_IF_ERROR(Signal(v, k, &s->stop_signal));
      } else if (k == "stop_timeout") {
        BK_RETURN_IF_ERROR(Duration(v, k, &s->stop_timeout));
      } else {
        return Error(key.source(),
                     "service." + std::string(name) + ": unknown key '" + std::string(k) + "'");
      }
    }
    if (s->argv.empty())
      return Error(n.source(), "service." + std::string(name) + ": missing 'argv'");
    if (s->restart_delay_max < s->restart_delay) s->restart_delay_max = s->restart_delay;
    return Status::Ok();
  }

  Status Init(const toml::node& n, Config* c) const {
    const auto* t = n.as_table();
    if (!t) return Error(n.source(), "init: expected a table");
    for (auto&& [key, v] : *t) {
      std::string_view k = key.str();
      if (k == "hostname") {
        BK_RETURN_IF_ERROR(String(v, k, &c->hostname));
        if (c->hostname.size() > 64) return Error(v.source(), "hostname: longer than 64 bytes");
      } else if (k == "modules") {
        BK_RETURN_IF_ERROR(StringList(v, k, &c->modules));
      } else if (k == "grace") {
        BK_RETURN_IF_ERROR(Duration(v, k, &c->grace));
      } else if (k == "network") {
        const auto* nt = v.as_table();
        if (!nt) return Error(v.source(), "network: expected a table");
        for (auto&& [nk, nv] : *nt) {
          if (nk.str() == "interface")
            BK_RETURN_IF_ERROR(String(nv, "network.interface", &c->network.interface));
          else if (nk.str() == "address")
            BK_RETURN_IF_ERROR(String(nv, "network.address", &c->network.address));
          else if (nk.str() == "gateway")
            BK_RETURN_IF_ERROR(String(nv, "network.gateway", &c->network.gateway));
          else
            return Error(nk.source(), "network: unknown key '" + std::string(nk.str()) + "'");
        }
        if (c->network.interface.empty() != c->network.address.empty())
          return Error(v.source(), "network: needs both 'interface' and 'address'");
      } else {
        return Error(key.source(), "init: unknown key '" + std::string(k) + "'");
      }
    }
    return Status::Ok();
  }
};

// Orders services so each comes after everything it names in `after`; reports unknown names
// and cycles at the offending service.
Status CheckDependencies(const Parser& p, const std::vector<toml::source_region>& where,
                         const std::vector<ServiceConfig>& services) {
  std::map<std::string_view, size_t> index;
  for (size_t i = 0; i < services.size(); ++i) index[services[i].name] = i;
  for (size_t i = 0; i < services.size(); ++i) {
    for (const std::string& dep : services[i].after) {
      if (!index.count(dep))
        return p.Error(where[i], "service." + services[i].name +
                                     ": 'after' names unknown service '" + dep + "'");
      if (dep == services[i].name)
        return p.Error(where[i], "service." + services[i].name + ": depends on itself");
    }
  }
  // Kahn's algorithm: anything left over sits on a cycle.
  std::vector<int> pending(services.size());
  for (size_t i = 0; i < services.size(); ++i)
    pending[i] = static_cast<int>(services[i].after.size());
  std::vector<bool> done(services.size());
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 0; i < services.size(); ++i) {
      if (done[i] || pending[i] > 0) continue;
      done[i] = progress = true;
      for (size_t j = 0; j < services.size(); ++j)
        for (const std::string& dep : services[j].after)
          if (dep == services[i].name) --pending[j];
    }
  }
  for (size_t i = 0; i < services.size(); ++i)
    if (!done[i])
      return p.Error(where[i],
                     "service." + services[i].name + ": dependency cycle through 'after'");
  return Status::Ok();
}

// toml++ 3.3's is_non_ascii_horizontal_whitespace() reaches its "unreachable" default for most
// code points in three ranges (a table-generator bug): the same test, to keep them out.
bool TomlppMisclassifies(uint32_t c) {
  if (c < 0xA0 || c > 0xFEFF) return false;
  const uint64_t chunk = (c - 0xA0) / 0x3FA;
  if ((1ull << chunk) & 0x7FFFFFFFFFFFF75Eull) return false;
  if (c == 0xA0 || c == 0x3000 || c == 0xFEFF) return false;
  return chunk != 5 && chunk != 7;
}

// The code point of the UTF-8 sequence at t[i] (0 if malformed: toml++ reports those itself).
uint32_t DecodeUtf8(std::string_view t, size_t i, size_t* len) {
  const unsigned char b = static_cast<unsigned char>(t[i]);
  size_t n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
  *len = 1;
  if (n == 1 || i + n > t.size()) return 0;
  uint32_t c = b & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    const unsigned char cb = static_cast<unsigned char>(t[i + k]);
    if ((cb & 0xC0) != 0x80) return 0;
    c = (c << 6) | (cb & 0x3F);
  }
  *len = n;
  return c;
}

// TOML allows non-ASCII only inside strings and comments, and toml++ 3.3 mishandles such
// characters elsewhere and some of them anywhere (see above); they are reported here first.
Status RejectNonAsciiOutsideStrings(const Parser& p, std::string_view t) {
  enum { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral } state = kCode;
  uint32_t line = 1, col = 1;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    const unsigned char u = static_cast<unsigned char>(c);
    auto at = [&](std::string_view s) { return t.substr(i, s.size()) == s; };
    if (u >= 0x80) {
      size_t len;
      const uint32_t cp = DecodeUtf8(t, i, &len);
      if (state == kCode || TomlppMisclassifies(cp)) {
        toml::source_region r;
        r.begin = {line, col};
        if (state == kCode) return p.Error(r, "non-ASCII character outside a string or comment");
        char msg[96];
        std::snprintf(msg, sizeof msg,
                      "character U+%04X is not supported here; write it as \\u%04X in a \"string\"",
                      cp, cp);
        return p.Error(r, msg);
      }
    }
    switch (state) {
      case kCode:
        if (c == '#')
          state = kComment;
        else if (at("\"\"\""))
          state = kMultiBasic, i += 2, col += 2;
        else if (at("'''"))
          state = kMultiLiteral, i += 2, col += 2;
        else if (c == '"')
          state = kBasic;
        else if (c == '\'')
          state = kLiteral;
        break;
      case kComment:
        if (c == '\n') state = kCode;
        break;
      case kBasic:
        if (c == '\\' && i + 1 < t.size() && t[i + 1] != '\n' &&
            static_cast<unsigned char>(t[i + 1]) < 0x80)
          ++i, ++col;
        else if (c == '"' || c == '\n')
          state = kCode;
        break;
      case kLiteral:
        if (c == '\'' || c == '\n') state = kCode;
        break;
      case kMultiBasic:
        if (c == '\\' && i + 1 < t.size() && t[i + 1] != '\n' &&
            static_cast<unsigned char>(t[i + 1]) < 0x80)
          ++i, ++col;
        else if (at("\"\"\""))
          state = kCode, i += 2, col += 2;
        break;
      case kMultiLiteral:
        if (at("'''")) state = kCode, i += 2, col += 2;
        break;
    }
    if (c == '\n')
      line++, col = 1;
    else if ((u & 0xC0) != 0x80)
      col++;  // columns count characters, not UTF-8 continuation bytes
  }
  return Status::Ok();
}

}  // namespace

std::optional<Millis> ParseDuration(std::string_view s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  std::string buf(s);
  char* end = nullptr;
  double v = std::strtod(buf.c_str(), &end);
  if (end == buf.c_str() || !(v >= 0) || v > 86400.0 * 365) return std::nullopt;
  std::string_view unit(end);
  double scale;
  if (unit.empty() || unit == "s")
    scale = 1000;
  else if (unit == "ms")
    scale = 1;
  else if (unit == "m" || unit == "min")
    scale = 60000;
  else if (unit == "h")
    scale = 3600000;
  else
    return std::nullopt;
  return static_cast<Millis>(v * scale + 0.5);
}

std::optional<int> ParseSignal(std::string_view s) {
  if (s.rfind("SIG", 0) == 0) s.remove_prefix(3);
  if (s.empty()) return std::nullopt;
  if (s[0] >= '0' && s[0] <= '9') {
    if (s.size() > 2) return std::nullopt;
    int n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    if (n >= 1 && n <= 31) return n;
    return std::nullopt;
  }
  for (int i = 1; i < 32; ++i)
    if (s == kSignalNames[i]) return i;
  return std::nullopt;
}

const char* SignalName(int sig) { return sig >= 1 && sig < 32 ? kSignalNames[sig] : "?"; }

Result<Config> ParseConfig(std::string_view text, std::string_view file_name) {
  Parser p(file_name);
  BK_RETURN_IF_ERROR(RejectNonAsciiOutsideStrings(p, text));
  toml::parse_result parsed = toml::parse(text, file_name);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return p.Error(e.source(), std::string(e.description()));
  }
  const toml::table& root = parsed.table();
  Config c;
  std::vector<std::pair<toml::source_region, ServiceConfig>> found;
  for (auto&& [key, v] : root) {
    std::string_view k = key.str();
    if (k == "init") {
      BK_RETURN_IF_ERROR(p.Init(v, &c));
    } else if (k == "service") {
      const auto* st = v.as_table();
      if (!st) return p.Error(v.source(), "service: expected tables like [service.NAME]");
      for (auto&& [name, sv] : *st) {
        std::string_view nm = name.str();
        bool ok_name = !nm.empty() && nm.size() <= 64;
        for (char ch : nm)
          if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' ||
                ch == '.'))
            ok_name = false;
        if (!ok_name || nm[0] == '.')
          return p.Error(name.source(), "service name '" + std::string(nm) +
                                            "': use letters, digits, '-', '_' or '.'");
        ServiceConfig s;
        BK_RETURN_IF_ERROR(p.Service(nm, sv, &s));
        found.emplace_back(name.source(), std::move(s));
      }
    } else {
      return p.Error(key.source(),
                     "unknown table '" + std::string(k) + "' (expected [init] or [service.NAME])");
    }
  }
  // toml++ tables are sorted by key; services keep the order they were written in.
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first.begin.line != b.first.begin.line ? a.first.begin.line < b.first.begin.line
                                                    : a.first.begin.column < b.first.begin.column;
  });
  std::vector<toml::source_region> where;
  for (auto& [region, s] : found) {
    where.push_back(region);
    c.services.push_back(std::move(s));
  }
  BK_RETURN_IF_ERROR(CheckDependencies(p, where, c.services));
  return c;
}

}  // namespace barekit::init
