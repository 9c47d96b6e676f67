#include "gobin/buildinfo.h"

namespace barekit::gobin {

const std::string* BuildInfo::Setting(std::string_view key) const {
  for (const auto& s : settings) {
    if (s.key == key) return &s.value;
  }
  return nullptr;
}

Result<BuildInfo> ReadBuildInfo(const exe::ObjectFile&) { return Status::NotFound("todo"); }
Status ParseModInfo(std::string_view, BuildInfo*) { return Status::Unsupported("todo"); }
std::string FormatGoVersionM(std::string_view, const BuildInfo&) { return ""; }
std::optional<std::string> ReadGoBuildId(const exe::ObjectFile&) { return std::nullopt; }

}  // namespace barekit::gobin
