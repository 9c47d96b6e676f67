// fuzz-link: barekit_gobin
// The Go function-table readers on hostile bytes: the raw table parser, and the full path
// (object detection, table search, moduledata, version recovery, package and size maps). The
// one-pass listing is run twice on a file holding the input, through the mapping and through
// pread windows (base/file_window.h), and must see the same functions both ways. The one-pass
// size tally (gobin::SizeTally), when it accepts a table, must give the stored way's size map and
// package report.
// Seeds: fuzz/seeds/gobin_pclntab_fuzz/ (made by make_seeds.py there).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/mapped_file.h"
#include "base/status.h"
#include "exe/object_file.h"
#include "gobin/goversion_recover.h"
#include "gobin/moduledata.h"
#include "gobin/packages.h"
#include "gobin/pclntab.h"
#include "gobin/size_map.h"

using namespace barekit;

namespace {

struct Seen {
  std::vector<uint64_t> entries;
  std::string names;  // each name and a NUL
  static void Visit(void* ctx, const gobin::Function& f) {
    auto* s = static_cast<Seen*>(ctx);
    s->entries.push_back(f.entry);
    s->entries.push_back(f.size);
    s->names.append(f.name);
    s->names.push_back('\0');
  }
};

// Every node of a size map as "name bytes functions", depth first.
void Flatten(const gobin::SizeNode& n, std::string* out) {
  out->append(n.name);
  out->append(" " + std::to_string(n.file_bytes) + " " + std::to_string(n.functions) + "\n");
  for (const gobin::SizeNode& c : n.children) Flatten(c, out);
}

// The input in a memfd, mapped; every object in it listed through the mapping and through pread
// windows. A difference is a bug in the pread path: trap.
void ReadBothWays(const uint8_t* data, size_t size) {
  const int fd = memfd_create("pclntab-fuzz", MFD_CLOEXEC);
  if (fd < 0) return;
  const bool written = write(fd, data, size) == static_cast<ssize_t>(size);
  auto file = MappedFile::Open("/proc/self/fd/" + std::to_string(fd));
  close(fd);
  if (!written || !file.ok()) return;
  auto objs = exe::OpenObject(file->bytes());
  if (!objs.ok()) return;
  for (const exe::ObjectFile& obj : *objs) {
    Seen mapped, windowed;
    auto a = gobin::ReadFunctionTable(obj, {.visit = &Seen::Visit, .visit_ctx = &mapped});
    auto b = gobin::ReadFunctionTable(
        obj, {.file = &*file, .visit = &Seen::Visit, .visit_ctx = &windowed});
    if (a.ok() != b.ok() || mapped.entries != windowed.entries || mapped.names != windowed.names) {
      __builtin_trap();
    }
  }
}

std::string Report(const gobin::PackageReport& r) {
  std::string out;
  for (const gobin::PackageSize& p : r.packages) {
    out += p.package + " " + p.module + " " + std::to_string(p.code_bytes) + " " +
           std::to_string(p.functions) + "\n";
  }
  for (const gobin::ModuleSize& m : r.modules) {
    out += m.module + " " + std::to_string(m.code_bytes) + " " + std::to_string(m.packages) + "\n";
  }
  return out;
}

// The tally against the stored way, when the tally takes the table. A difference: trap.
void TallyBothWays(const exe::ObjectFile& obj, const gobin::FunctionTable& stored) {
  gobin::SizeTally tally(obj, nullptr);
  auto t = tally.Read(obj);
  if (!t.ok()) __builtin_trap();  // the stored read of the same bytes succeeded
  if (!tally.Finish()) return;
  const gobin::PackageIndex ix = gobin::IndexPackages(stored, nullptr);
  std::string want, got;
  Flatten(gobin::BuildSizeMap(obj, &stored, ix), &want);
  Flatten(tally.SizeMap(), &got);
  if (want != got || tally.functions() != stored.funcs.size() ||
      Report(tally.Packages()) != Report(gobin::SizeByPackage(stored, ix))) {
    __builtin_trap();
  }
}

}  // namespace

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
    if (tp != nullptr) {
      (void)gobin::SizeByPackage(*tp, nullptr);
      TallyBothWays(obj, *tp);
    }
  }
  ReadBothWays(data, size);
  return 0;
}
