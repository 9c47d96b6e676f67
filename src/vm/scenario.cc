#include "vm/scenario.h"

#include <cstdlib>

#include "base/toml.h"
#include "init/config.h"

namespace barekit::vm {
namespace {

constexpr Millis kMaxDeadline = Millis{3600} * 1000;
constexpr int kMaxRepeat = 1000;

// The scenario's value kinds on top of barekit's TOML reader (file:line:col errors).
class Reader : public TomlReader {
 public:
  using TomlReader::TomlReader;

  Status Duration(const toml::node& n, std::string_view key, Millis* out) const {
    std::optional<Millis> d;
    if (const auto* s = n.as_string())
      d = ParseDuration(s->get());
    else if (const auto* i = n.as_integer()) {
      if (i->get() >= 0 && i->get() <= kMaxDeadline / 1000) d = i->get() * 1000;
    }
    if (!d || *d > kMaxDeadline)
      return Error(n.source(), std::string(key) + ": expected a duration like \"500ms\" or \"2s\"");
    *out = *d;
    return Status::Ok();
  }
  Status Boot(const toml::table& t, BootSettings* b) const {
    for (const auto& [k, v] : t) {
      std::string s;
      if (k == "image" || k == "arch" || k == "machine" || k == "kernel" || k == "modules_dir" ||
          k == "mem" || k == "probe") {
        BK_RETURN_IF_ERROR(String(v, k.str(), &s));
        std::optional<std::string>* dst = k == "image"         ? &b->image
                                          : k == "arch"        ? &b->arch
                                          : k == "machine"     ? &b->machine
                                          : k == "kernel"      ? &b->kernel
                                          : k == "modules_dir" ? &b->modules_dir
                                          : k == "mem"         ? &b->mem
                                                               : &b->probe;
        *dst = s;
      } else if (k == "disk") {
        if (v.is_string()) {
          b->disk = v.as_string()->get();
        } else if (const auto* dt = v.as_table(); dt && dt->size() == 1 && dt->get("size")) {
          BK_RETURN_IF_ERROR(String(*dt->get("size"), "disk.size", &s));
          std::optional<uint64_t> size = ParseSize(s);
          if (!size || *size == 0 || *size % 512 != 0)
            return Error(dt->get("size")->source(),
                         "disk.size: expected a size like \"16M\", a multiple of 512");
          b->disk_size = size;
        } else {
          return Error(v.source(), "disk: expected a file name or { size = \"16M\" }");
        }
      } else if (k == "forward") {
        BK_RETURN_IF_ERROR(StringList(v, "forward", &b->forwards));
      } else if (k == "timeout") {
        Millis m = 0;
        BK_RETURN_IF_ERROR(Duration(v, "timeout", &m));
        b->timeout = m;
      } else if (k == "uboot") {
        if (!v.is_boolean()) return Error(v.source(), "uboot: expected true or false");
        b->uboot = v.as_boolean()->get();
      } else {
        return Error(v.source(), "unknown key 'boot." + std::string(k.str()) + "'");
      }
    }
    return Status::Ok();
  }

  Status OneStep(const toml::table& t, std::vector<Step>* out) const {
    const toml::node* fault = t.get("fault");
    if (!fault) return Error(t.source(), "step: missing 'fault' (or fault = \"none\")");
    std::string spec;
    BK_RETURN_IF_ERROR(String(*fault, "fault", &spec));
    Step step;
    if (spec == "none") {
      step.expect = Expect::kResponsive;
    } else {
      Result<Step> parsed = ParseFaultSpec(spec);
      if (!parsed.ok()) return Error(fault->source(), parsed.status().message());
      step = std::move(parsed).value();
    }
    int repeat = 1;
    for (const auto& [k, v] : t) {
      if (k == "fault") continue;
      if (k == "expect") {
        std::string e;
        BK_RETURN_IF_ERROR(String(v, "expect", &e));
        if (e == "ready")
          step.expect = Expect::kReady;
        else if (e == "off")
          step.expect = Expect::kOff;
        else if (e == "responsive")
          step.expect = Expect::kResponsive;
        else
          return Error(v.source(), "expect: expected ready, off or responsive, not '" + e + "'");
      } else if (k == "deadline") {
        BK_RETURN_IF_ERROR(Duration(v, "deadline", &step.deadline));
      } else if (k == "after") {
        BK_RETURN_IF_ERROR(Duration(v, "after", &step.delay));
      } else if (k == "after_line") {
        BK_RETURN_IF_ERROR(String(v, "after_line", &step.after_line));
        if (step.after_line.empty()) return Error(v.source(), "after_line: must not be empty");
      } else if (k == "check") {
        BK_RETURN_IF_ERROR(StringList(v, "check", &step.check));
        if (step.check.empty()) return Error(v.source(), "check: expected a command");
      } else if (k == "repeat") {
        const auto* i = v.as_integer();
        if (!i || i->get() < 1 || i->get() > kMaxRepeat)
          return Error(v.source(), "repeat: expected a count from 1 to 1000");
        repeat = static_cast<int>(i->get());
      } else {
        return Error(v.source(), "unknown key '" + std::string(k.str()) + "' in [[step]]");
      }
    }
    for (int i = 0; i < repeat; ++i) out->push_back(step);
    return Status::Ok();
  }
};

}  // namespace

const char* FaultName(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kPause:
      return "pause";
    case Fault::kReset:
      return "reset";
    case Fault::kPowerdown:
      return "powerdown";
    case Fault::kCtrlAltDel:
      return "ctrl-alt-del";
    case Fault::kPowerCut:
      return "power-cut";
    case Fault::kKill:
      return "kill";
  }
  return "?";
}

const char* ExpectName(Expect e) {
  switch (e) {
    case Expect::kReady:
      return "ready";
    case Expect::kOff:
      return "off";
    case Expect::kResponsive:
      return "responsive";
  }
  return "?";
}

Expect DefaultExpect(Fault f) {
  switch (f) {
    case Fault::kPowerdown:
      return Expect::kOff;
    case Fault::kPause:
    case Fault::kNone:
      return Expect::kResponsive;
    default:
      return Expect::kReady;
  }
}

Result<Step> ParseFaultSpec(std::string_view spec) {
  Step s;
  std::string_view kind = spec.substr(0, spec.find(':'));
  std::string_view rest = kind.size() < spec.size() ? spec.substr(kind.size() + 1) : "";
  bool has_arg = kind.size() < spec.size();
  auto no_arg = [&](Fault f) -> Result<Step> {
    if (has_arg)
      return Status::InvalidArgument("fault '" + std::string(kind) + "' takes no argument");
    s.fault = f;
    s.expect = DefaultExpect(f);
    return s;
  };
  if (kind == "reset") return no_arg(Fault::kReset);
  if (kind == "powerdown") return no_arg(Fault::kPowerdown);
  if (kind == "ctrl-alt-del") return no_arg(Fault::kCtrlAltDel);
  if (kind == "power-cut") return no_arg(Fault::kPowerCut);
  if (kind == "pause") {
    std::optional<Millis> d = ParseDuration(rest);
    if (!has_arg || !d || *d > kMaxDeadline)
      return Status::InvalidArgument("fault 'pause' needs a duration: pause:2s");
    s.fault = Fault::kPause;
    s.pause = *d;
    s.expect = Expect::kResponsive;
    return s;
  }
  if (kind == "kill") {
    std::string_view service = rest.substr(0, rest.find(':'));
    if (!has_arg || service.empty() || service.size() > 64)
      return Status::InvalidArgument("fault 'kill' needs a service: kill:NAME[:SIGNAL]");
    for (char c : service) {
      if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
        return Status::InvalidArgument("fault 'kill': bad service name '" + std::string(service) +
                                       "'");
      }
    }
    s.fault = Fault::kKill;
    s.service = std::string(service);
    if (service.size() < rest.size()) {
      std::optional<int> sig = init::ParseSignal(rest.substr(service.size() + 1));
      if (!sig)
        return Status::InvalidArgument("fault 'kill': bad signal in '" + std::string(spec) + "'");
      s.signal = *sig;
    }
    s.expect = Expect::kReady;
    return s;
  }
  return Status::InvalidArgument("unknown fault '" + std::string(kind) +
                                 "' (pause:D, reset, powerdown, ctrl-alt-del, power-cut, "
                                 "kill:SERVICE[:SIGNAL])");
}

Result<Scenario> ParseScenario(std::string_view text, std::string_view file_name) {
  // Scenario files are ASCII (toml++ 3.3 mishandles some non-ASCII whitespace; see base/toml.h).
  int line = 1, col = 1;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\0')
      return Status::InvalidArgument(std::string(file_name) + ":" + std::to_string(line) + ":" +
                                     std::to_string(col) + ": only ASCII text is accepted");
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  toml::parse_result parsed = toml::parse(text, file_name);
  Reader r(file_name);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return r.Error(e.source(), e.description());
  }
  Scenario sc;
  for (const auto& [k, v] : parsed.table()) {
    if (k == "boot") {
      const auto* t = v.as_table();
      if (!t) return r.Error(v.source(), "boot: expected a table [boot]");
      BK_RETURN_IF_ERROR(r.Boot(*t, &sc.boot));
    } else if (k == "step") {
      const auto* a = v.as_array();
      if (!a) return r.Error(v.source(), "step: expected [[step]] tables");
      for (const toml::node& e : *a) {
        const auto* t = e.as_table();
        if (!t) return r.Error(e.source(), "step: expected a table");
        BK_RETURN_IF_ERROR(r.OneStep(*t, &sc.steps));
        if (sc.steps.size() > static_cast<size_t>(kMaxRepeat))
          return r.Error(e.source(), "too many steps (at most 1000)");
      }
    } else {
      return r.Error(v.source(), "unknown table '" + std::string(k.str()) + "'");
    }
  }
  return sc;
}

std::optional<Millis> ParseDuration(std::string_view s) { return init::ParseDuration(s); }

std::optional<uint64_t> ParseSize(std::string_view s) {
  if (s.empty() || s.size() > 24) return std::nullopt;
  uint64_t v = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = s.substr(i);
  int shift = 0;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "K" || unit == "KiB" || unit == "k")
    shift = 10;
  else if (unit == "M" || unit == "MiB")
    shift = 20;
  else if (unit == "G" || unit == "GiB")
    shift = 30;
  else
    return std::nullopt;
  if (shift && v > (uint64_t{1} << (62 - shift))) return std::nullopt;
  return v << shift;
}

}  // namespace barekit::vm
