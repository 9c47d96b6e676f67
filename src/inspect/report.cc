#include "inspect/report.h"

#include <utility>

#include "gobin/goversion_recover.h"
#include "gobin/pclntab.h"

namespace barekit::inspect {
namespace {

GoFacts ReadGoFacts(const exe::ObjectFile& obj, const MappedFile& file,
                    const InspectOptions& opts) {
  GoFacts go;
  auto bi = gobin::ReadBuildInfo(obj);
  if (bi.ok()) {
    go.build_info = std::move(bi).value();
  } else {
    go.build_info_error = bi.status().message();
  }
  if (opts.want_build_id) go.build_id = gobin::ReadGoBuildId(obj);
  if (!go.build_info) {
    // No build info (removed, or never written): the runtime's function table still proves a
    // Go binary, and the runtime's own strings still name its version. Of the functions only
    // the entry point's name is needed, so the table is read in one pass through pread windows,
    // with no vector of every function, and only up to that name (esbuild 0.28: the 1,746th of
    // 8,995). The table's header and bounds are checked as always; the functions past the entry
    // point are not, which only `--functions` and the size reports need.
    gobin::Rt0Function rt0;
    gobin::ReadOptions ro;
    ro.file = &file;
    ro.visit = &gobin::NoteRt0Function;
    ro.visit_ctx = &rt0;
    ro.stop = &rt0.found;
    auto table = gobin::ReadFunctionTable(obj, ro);
    if (table.ok()) go.recovered = gobin::RecoverGoVersion(obj, &table.value(), &rt0);
  }
  go.stripped_inferred = !obj.has_symtab && !obj.has_dwarf;
  return go;
}

// Some GOOS values leave no mark in the ELF headers (dragonfly, and illumos vs solaris share
// one loader); the reader then says "linux" or "solaris". Build info's GOOS setting is exact.
void RefineOsFromBuildInfo(SliceReport* s) {
  if (!s->go || !s->go->build_info) return;
  const std::string* goos = s->go->build_info->Setting("GOOS");
  if (goos == nullptr || *goos == s->object.os) return;
  static constexpr std::string_view kRefinable[] = {"dragonfly", "illumos", "solaris", "android"};
  for (std::string_view os : kRefinable) {
    if (*goos == os && (s->object.os == "linux" || s->object.os == "solaris")) s->object.os = os;
  }
}

}  // namespace

FileReport InspectFile(const std::string& path, const InspectOptions& opts) {
  FileReport r;
  r.path = path;
  auto mapped = MappedFile::Open(path);
  if (!mapped.ok()) {
    r.error = mapped.status().message();
    return r;
  }
  r.mapping = std::make_unique<MappedFile>(std::move(mapped).value());
  r.size = r.mapping->size();
  if (r.size == 0) {
    r.error = "empty file";
    r.not_executable = true;
    return r;
  }
  auto objs = exe::OpenObject(r.mapping->bytes());
  if (!objs.ok()) {
    r.error = objs.status().message();
    r.not_executable = objs.status().IsNotMine();
    return r;
  }
  for (exe::ObjectFile& obj : objs.value()) {
    SliceReport s;
    s.object = std::move(obj);
    GoFacts go = ReadGoFacts(s.object, *r.mapping, opts);
    if (go.build_info || go.recovered || go.build_id) s.go = std::move(go);
    RefineOsFromBuildInfo(&s);
    r.slices.push_back(std::move(s));
  }
  return r;
}

}  // namespace barekit::inspect
