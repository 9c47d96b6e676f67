// fuzz-link: barekit_gobin
// The Go function-table readers on hostile bytes: the raw table parser, and the full path
// (object detection, table search, moduledata, version recovery, package and size maps).
// Seeds: fuzz/seeds/gobin_pclntab_fuzz/ (made by make_seeds.py there).
#include <cstddef>
#include <cstdint>

#include "base/byte_reader.h"
#include "exe/object_file.h"
#include "gobin/goversion_recover.h"
#include "gobin/moduledata.h"
#include "gobin/packages.h"
#include "gobin/pclntab.h"
#include "gobin/size_map.h"

using namespace barekit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes b(reinterpret_cast<const std::byte*>(data), size);
  auto t = gobin::ParsePclntab(b);
  if (t.ok()) (void)gobin::SizeByPackage(*t, nullptr);
  gobin::ParseOptions opts;
  opts.text_start = 0x401000;
  opts.text_sections = {{0, 0x100, 0x401000}, {0x100, 0x10000, 0x800000}};
  (void)gobin::ParsePclntab(b, opts);

  auto objs = exe::OpenObject(b);
  if (!objs.ok()) return 0;
  for (const exe::ObjectFile& obj : *objs) {
    auto table = gobin::ReadFunctionTable(obj);
    const gobin::FunctionTable* tp = table.ok() ? &*table : nullptr;
    (void)gobin::RecoverGoVersion(obj, tp);
    (void)gobin::BuildSizeMap(obj, tp, nullptr);
    (void)gobin::FindPclntabThroughModuleData(obj);
    if (tp != nullptr) (void)gobin::SizeByPackage(*tp, nullptr);
  }
  return 0;
}
