// fuzz-link: barekit_gobin
// The Go build info readers on hostile bytes: object detection + ReadBuildInfo + ReadGoBuildId on
// every slice, and the module text parser on the raw input. Two invariants are checked: the
// formatted module text parses back to the same text, and GoUnquote(GoQuote(s)) == s.
// Seeds: fuzz/seeds/gobin_buildinfo_fuzz/ (made by make_seeds.py there).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/byte_reader.h"
#include "exe/object_file.h"
#include "gobin/buildinfo.h"
#include "gobin/modinfo.h"

using namespace barekit;

namespace {

void CheckModInfo(std::string_view text) {
  gobin::BuildInfo bi;
  if (!gobin::ParseModInfo(text, &bi).ok()) return;
  std::string once = gobin::FormatModInfo(bi);
  gobin::BuildInfo again;
  if (!gobin::ParseModInfo(once, &again).ok()) __builtin_trap();
  if (gobin::FormatModInfo(again) != once) __builtin_trap();
  (void)gobin::FormatGoVersionM("f", bi);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes b(reinterpret_cast<const std::byte*>(data), size);
  std::string_view text = AsStringView(b);
  CheckModInfo(text);
  if (size < 4096) {
    auto unq = gobin::GoUnquote(gobin::GoQuote(text));
    if (!unq || *unq != text) __builtin_trap();
  }

  auto objs = exe::OpenObject(b);
  if (!objs.ok()) return 0;
  for (const exe::ObjectFile& obj : *objs) {
    auto bi = gobin::ReadBuildInfo(obj);
    if (bi.ok()) {
      CheckModInfo(bi->modinfo);
      (void)gobin::FormatGoVersionM("f", *bi);
    }
    (void)gobin::ReadGoBuildId(obj);
  }
  return 0;
}
