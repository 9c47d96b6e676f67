// Go build info (the "\xff Go buildinf:" blob and the module text it carries).
// Format notes: doc/formats/go-buildinfo.md.
#ifndef GOBIN_BUILDINFO_H_
#define GOBIN_BUILDINFO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "exe/object_file.h"

namespace barekit::gobin {

struct ModuleVersion {
  std::string path;
  std::string version;
  std::string sum;
};

struct Module : ModuleVersion {
  std::optional<ModuleVersion> replace;  // the `=>` line that follows it
};

struct BuildSetting {
  std::string key;
  std::string value;
};

struct BuildInfo {
  std::string go_version;  // runtime.buildVersion, e.g. "go1.21.5"
  std::string path;        // main package path
  std::optional<Module> main;
  std::vector<Module> deps;
  std::vector<BuildSetting> settings;
  std::string modinfo;         // the module text as stored (sentinels removed)
  bool inline_layout = false;  // Go 1.18+ pointer-free layout
  uint64_t blob_offset = 0;    // file offset of the magic

  const std::string* Setting(std::string_view key) const;
};

// Finds and decodes build info the way Go's debug/buildinfo does. NotFound when the binary
// carries none (not Go, or the section was removed); Corrupt with a byte offset when broken.
Result<BuildInfo> ReadBuildInfo(const exe::ObjectFile& obj);

// Parses the module text (runtime/debug.BuildInfo.String format) into `info`.
Status ParseModInfo(std::string_view text, BuildInfo* info);

// What `go version -m FILE` prints for this binary (both the first line and the module lines).
std::string FormatGoVersionM(std::string_view file, const BuildInfo& info);

// The Go build ID: ELF .note.go.buildid, else the "\xff Go build ID: \"...\"" text prefix.
std::optional<std::string> ReadGoBuildId(const exe::ObjectFile& obj);

}  // namespace barekit::gobin

#endif  // GOBIN_BUILDINFO_H_
