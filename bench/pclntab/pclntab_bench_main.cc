// pclntab_bench: the function-table paths of `barekit inspect` without the CLI, for
// bench/pclntab/run and for comparing against gosym-list by hand.
//   pclntab_bench functions FILE   "entry size name" lines, as gosym-list prints them
//   pclntab_bench packages FILE    size per package and module
//   pclntab_bench size FILE        the --size tree
//   pclntab_bench packages+size FILE  both (what `inspect --packages --size` computes)
//   pclntab_bench version FILE     Go version / GOOS / GOARCH recovered without build info
#include <malloc.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "base/mapped_file.h"
#include "base/page_hints.h"
#include "base/reused_buffer.h"
#include "base/write_all.h"
#include "exe/object_file.h"
#include "fmt/format.h"
#include "gobin/buildinfo.h"
#include "gobin/goversion_recover.h"
#include "gobin/packages.h"
#include "gobin/pclntab.h"
#include "gobin/size_map.h"

using namespace barekit;

namespace {

void PrintTree(const gobin::SizeNode& n, int depth, std::string* out) {
  fmt::format_to(std::back_inserter(*out), "{:{}}{} {} [{}]{}\n", "", depth * 2, n.file_bytes,
                 n.name, gobin::SizeNodeKindName(n.kind), n.estimate ? " ~" : "");
  for (const auto& c : n.children) PrintTree(c, depth + 1, out);
}

// gosym-list's "0x<entry> <size> <name>" lines, formatted into a 64 KB buffer written with one
// write(2) when full.
struct FunctionSink {
  static constexpr size_t kBuf = 64 << 10;
  static constexpr size_t kLine = gobin::kGosymLineFixed;
  char* buf = nullptr;
  size_t used = 0;
  void Flush() {
    (void)WriteAll(1, Bytes(reinterpret_cast<const std::byte*>(buf), used), "standard output");
    used = 0;
  }
  static void Visit(void* ctx, const gobin::Function& f) {
    auto* s = static_cast<FunctionSink*>(ctx);
    if (kLine + f.name.size() > kBuf - s->used) s->Flush();
    if (kLine + f.name.size() > kBuf) {  // a name of tens of KB
      std::string line;
      gobin::AppendGosymLine(f, &line);
      (void)WriteAll(1, AsBytes(line), "standard output");
      return;
    }
    s->used = static_cast<size_t>(gobin::FormatGosymLine(f, s->buf + s->used) - s->buf);
  }
};

int Fail(std::string_view path, const Status& s) {
  fmt::print(stderr, "{}: {}\n", path, s.message());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fmt::print(stderr,
               "usage: pclntab_bench functions|packages|size|packages+size|version|info FILE\n");
    return 2;
  }
  std::string_view mode = argv[1];
  std::string path = argv[2];
  auto file = MappedFile::Open(path);
  if (!file.ok()) return Fail(path, file.status());
  auto objs = exe::OpenObject(file->bytes());
  if (!objs.ok()) return Fail(path, objs.status());
  const exe::ObjectFile& obj = objs->front();
  std::string out;
  if (mode == "functions") {
    // One pass: each function is formatted as it is decoded (no function vector) into a 64 KB
    // buffer written when full, with one write(2). As in `barekit inspect --functions`, the table
    // is read through pread windows rather than the mapping (ReadOptions::file), and the buffer's
    // pages are mapped up front (base/reused_buffer.h).
    FunctionSink sink;
    static ReusedBuffer mem;
    ReusedBuffer::Lease lease = mem.Borrow(FunctionSink::kBuf);
    std::string heap;
    if (lease) {
      sink.buf = reinterpret_cast<char*>(lease.bytes().data());
    } else {
      heap.resize(FunctionSink::kBuf);
      sink.buf = heap.data();
    }
    auto t = gobin::ReadFunctionTable(obj, {.release_file_pages = true,
                                            .file = &*file,
                                            .visit = &FunctionSink::Visit,
                                            .visit_ctx = &sink});
    sink.Flush();
    if (!t.ok()) return Fail(path, t.status());
    return 0;
  }
  if (mode != "version") {
    // As `barekit inspect --packages/--size` sets up its heap: large blocks from the heap, not
    // their own mappings, and the next 4 MB of it in transparent huge pages.
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    BackHeapWithHugePages(4 << 20);
  }
  if (mode == "packages" || mode == "size" || mode == "packages+size") {
    auto bi = gobin::ReadBuildInfo(obj);
    const gobin::BuildInfo* info = bi.ok() ? &*bi : nullptr;
    // As inspect does (gobin::ReadTableSizes): one pass, or the stored table.
    const gobin::TableSizes ts =
        gobin::ReadTableSizes(obj, info, mode != "size", mode != "packages",
                              /*keep_functions=*/false);
    if (mode != "size") {
      if (!ts.packages) return Fail(path, ts.table.status());
      const gobin::PackageReport& rep = *ts.packages;
      for (const auto& p : rep.packages) {
        fmt::format_to(std::back_inserter(out), "{:>10} {:>6} {} {} ({})\n", p.code_bytes,
                       p.functions, p.package, p.module, gobin::ModuleKindName(p.kind));
      }
      for (const auto& m : rep.modules) {
        fmt::format_to(std::back_inserter(out), "module {:>10} {:>6} {:>4} {}\n", m.code_bytes,
                       m.functions, m.packages, m.module);
      }
      fmt::format_to(std::back_inserter(out), "total {} bytes in {} functions\n",
                     rep.total_code_bytes, rep.total_functions);
    }
    if (mode != "packages") PrintTree(*ts.size, 0, &out);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  auto table = gobin::ReadFunctionTable(obj);
  if (mode == "info") {
  } else if (mode == "version") {
    auto g = gobin::RecoverGoVersion(obj, table.ok() ? &*table : nullptr);
    fmt::format_to(std::back_inserter(out), "version {} ({})\ngoos {} ({})\ngoarch {} ({})\n",
                   g.version, g.version_source, g.goos, g.goos_source, g.goarch, g.goarch_source);
    if (!g.layout_hint.empty())
      fmt::format_to(std::back_inserter(out), "layout {}\n", g.layout_hint);
  } else {
    fmt::print(stderr, "unknown mode {}\n", mode);
    return 2;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
