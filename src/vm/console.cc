#include "vm/console.h"

#include <charconv>

namespace barekit::vm {
namespace {

// The value of ` key=VALUE` in `fields` (up to the next space), or nullopt.
std::optional<std::string_view> Field(std::string_view fields, std::string_view key) {
  size_t pos = 0;
  while (pos < fields.size()) {
    size_t end = fields.find(' ', pos);
    if (end == std::string_view::npos) end = fields.size();
    std::string_view word = fields.substr(pos, end - pos);
    if (word.size() > key.size() && word.substr(0, key.size()) == key && word[key.size()] == '=')
      return word.substr(key.size() + 1);
    pos = end + 1;
  }
  return std::nullopt;
}

int64_t Number(std::optional<std::string_view> v) {
  if (!v) return -1;
  int64_t n = -1;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < 0) return -1;
  return n;
}

}  // namespace

std::optional<Marker> ParseMarker(std::string_view line) {
  size_t at = line.find("BAREKIT-");
  if (at != std::string_view::npos) {
    std::string_view rest = line.substr(at + 8);
    Marker m{MarkerKind::kInit};
    std::string_view fields;
    if (rest.substr(0, 4) == "INIT" && (rest.size() == 4 || rest[4] == ' ')) {
      m.kind = MarkerKind::kInit;
      fields = rest.substr(4);
    } else if (rest.substr(0, 5) == "READY" && (rest.size() == 5 || rest[5] == ' ')) {
      m.kind = MarkerKind::kReady;
      fields = rest.substr(5);
      m.n = Number(Field(fields, "n"));
      if (auto s = Field(fields, "services")) m.services = std::string(*s);
    } else if (rest.substr(0, 4) == "DOWN" && (rest.size() == 4 || rest[4] == ' ')) {
      m.kind = MarkerKind::kDown;
      fields = rest.substr(4);
      if (auto a = Field(fields, "action")) m.action = std::string(*a);
    } else {
      return std::nullopt;
    }
    m.uptime_ms = Number(Field(fields, "uptime_ms"));
    return m;
  }
  if (line.substr(0, 7) == "U-Boot " && line.size() > 8 && line[7] >= '0' && line[7] <= '9')
    return Marker{MarkerKind::kUbootBanner};
  if (line.find("Hit any key to stop autoboot") != std::string_view::npos)
    return Marker{MarkerKind::kUbootPrompt};
  if (line.find("Starting kernel ...") != std::string_view::npos)
    return Marker{MarkerKind::kKernelStart};
  constexpr std::string_view kInit = "barekit-init: ";
  if (size_t i = line.find(kInit); i != std::string_view::npos) {
    std::string_view rest = line.substr(i + kInit.size());
    size_t colon = rest.find(": failed: ");
    if (colon != std::string_view::npos && colon > 0 &&
        rest.substr(0, colon).find(' ') == std::string_view::npos) {
      Marker m{MarkerKind::kServiceFailed};
      m.services = std::string(rest.substr(0, colon));
      m.action = std::string(rest.substr(colon + 10));
      return m;
    }
  }
  if (line.find("Kernel panic - not syncing") != std::string_view::npos)
    return Marker{MarkerKind::kKernelPanic};
  return std::nullopt;
}

}  // namespace barekit::vm
