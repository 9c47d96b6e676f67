// `barekit inspect FILE|DIR...`: the facts of every executable named or found.
#include <fmt/format.h>
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <thread>

#include "base/page_hints.h"
#include "cli/commands.h"
#include "gobin/buildinfo.h"
#include "inspect/go_details.h"
#include "inspect/html_report.h"
#include "inspect/json_output.h"
#include "inspect/parallel.h"
#include "inspect/report.h"
#include "inspect/text_output.h"
#include "inspect/walk.h"

namespace barekit::cli {
namespace {

struct InspectArgs {
  std::vector<std::string> paths;
  bool json = false;
  bool go_version = false;
  bool verbose = false;
  bool functions = false;
  bool packages = false;
  bool size = false;
  std::string html;
  unsigned jobs = 0;

  unsigned DetailFlags() const {
    return (functions ? inspect::kDetailFunctions : 0u) |
           (packages ? inspect::kDetailPackages : 0u) | (size ? inspect::kDetailSize : 0u);
  }
};

// The report of one file with the Go details that were asked for.
std::string RenderWithDetails(const inspect::FileReport& r, const InspectArgs& a) {
  unsigned flags = a.DetailFlags();
  if (a.json) {
    nlohmann::ordered_json j = inspect::FileToJson(r);
    if (flags != 0 && r.error.empty()) {
      for (size_t i = 0; i < r.slices.size(); ++i) {
        inspect::GoDetails d = inspect::ReadGoDetails(r.slices[i], flags);
        if (i == 0) inspect::AddDetailsToJson(d, flags, &j);
        if (r.slices.size() > 1) inspect::AddDetailsToJson(d, flags, &j["slices"][i]);
      }
    }
    // Strings from the file (build IDs, names) may be invalid UTF-8: replace, never throw.
    return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  inspect::TextOptions to;
  to.verbose = a.verbose;
  std::string out = inspect::FileToText(r, to);
  if (flags == 0 || !r.error.empty()) return out;
  for (const auto& s : r.slices) {
    inspect::GoDetails d = inspect::ReadGoDetails(s, flags);
    if (r.slices.size() > 1) out += fmt::format("\n  [{}]\n", s.object.arch);
    if (a.functions) out += "\n" + inspect::FunctionsToText(d);
    if (a.packages) out += "\n" + inspect::PackagesToText(d);
    if (a.size) out += "\n" + inspect::SizeToText(d, r.size);
  }
  return out;
}

// What `go version -m` prints on stderr for a file it cannot read (only for named files or -v).
std::string GoVersionError(const inspect::FileReport& r) {
  if (!r.error.empty() && !r.not_executable) return fmt::format("{}: {}\n", r.path, r.error);
  return fmt::format("{}: not a Go executable\n", r.path);
}

// Writes `content` to `path` through a temporary name, so a failure leaves nothing half-written.
bool WriteFileAtomically(const std::string& path, const std::string& content, std::string* err) {
  std::string tmp = path + ".tmp-barekit";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
      *err = "cannot write " + tmp;
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *err = "cannot rename " + tmp + " to " + path;
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

void RunHtml(const InspectArgs& a, int* exit_code) {
  if (a.paths.size() != 1) {
    std::fprintf(stderr, "barekit inspect --html: give exactly one binary\n");
    *exit_code = 2;
    return;
  }
  inspect::FileReport r = inspect::InspectFile(a.paths[0]);
  if (!r.error.empty()) {
    std::fprintf(stderr, "%s: %s\n", r.path.c_str(), r.error.c_str());
    *exit_code = 1;
    return;
  }
  unsigned flags = inspect::kDetailPackages | inspect::kDetailSize;
  nlohmann::ordered_json j = inspect::FileToJson(r);
  inspect::AddDetailsToJson(inspect::ReadGoDetails(r.slices.front(), flags), flags, &j);
  std::string err;
  if (!WriteFileAtomically(a.html, inspect::RenderHtmlReport(j), &err)) {
    std::fprintf(stderr, "barekit inspect --html: %s\n", err.c_str());
    *exit_code = 1;
    return;
  }
  std::printf("%s: wrote %s\n", r.path.c_str(), a.html.c_str());
}

// `--functions` as text: file by file, each listing streamed to stdout in large chunks rather than
// assembled into one string per file (megabytes for a large binary, then copied twice on its way
// out). The same bytes, in the same order, as RunInspect's general path.
void RunFunctionsText(const InspectArgs& a, const std::vector<inspect::WalkedPath>& files,
                      int* exit_code) {
  inspect::TextOptions to;
  to.verbose = a.verbose;
  const unsigned flags = a.DetailFlags();
  bool first = true;
  int failures = 0;
  for (const inspect::WalkedPath& w : files) {
    if (!w.error.empty()) {
      ++failures;
      std::string e = fmt::format("{}: {}\n", w.path, w.error);
      std::fwrite(e.data(), 1, e.size(), stderr);
      continue;
    }
    inspect::FileReport r = inspect::InspectFile(w.path);
    if (!w.explicit_arg && r.not_executable && !a.verbose) continue;
    const bool failed = !r.error.empty();
    if (failed) ++failures;
    std::string out = first ? std::string() : std::string("\n");
    first = false;
    out += inspect::FileToText(r, to);
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (failed) continue;
    for (const auto& s : r.slices) {
      out = r.slices.size() > 1 ? fmt::format("\n  [{}]\n", s.object.arch) : std::string();
      out += "\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
      inspect::StreamFunctionsText(s, r.mapping.get(), stdout);
      if (!a.packages && !a.size) continue;
      inspect::GoDetails d = inspect::ReadGoDetails(s, flags & ~inspect::kDetailFunctions);
      out.clear();
      if (a.packages) out += "\n" + inspect::PackagesToText(d);
      if (a.size) out += "\n" + inspect::SizeToText(d, r.size);
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
  }
  if (failures > 0 && *exit_code == 0) *exit_code = 1;
}

void RunInspect(const InspectArgs& a, int* exit_code) {
  // The large vectors of the Go details (function table, size-map bit sets, record lists) come
  // and go one after another. Served from the heap they reuse pages already faulted in; served by
  // mmap (glibc's default above 128 KB) each faults in fresh pages and is unmapped again, which
  // costs more than the work done with them (restic --packages --size: 495 -> 405 page faults).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  std::vector<inspect::WalkedPath> files = inspect::ExpandPaths(a.paths);
  const bool stream_functions = a.functions && !a.json && !a.go_version && a.html.empty();
  // The package and size reports hold every function (32 bytes each), the package of each, and
  // bit sets over the table: megabytes of fresh memory, cheaper in huge pages (4 MB: restic's
  // 21k functions need about 1.2 MB). The streamed listing keeps its small resident set.
  if (!a.html.empty() || (!stream_functions && (a.packages || a.size))) {
    BackHeapWithHugePages(4 << 20);
  }
  if (!a.html.empty()) return RunHtml(a, exit_code);
  if (stream_functions) return RunFunctionsText(a, files, exit_code);
  unsigned threads = a.jobs ? a.jobs : std::max(1u, std::thread::hardware_concurrency());
  bool first_json = true;
  int failures = 0;
  if (a.json) std::fputs("[", stdout);
  inspect::RunOrdered(
      files.size(), threads,
      [&](size_t i) -> std::string {
        const inspect::WalkedPath& w = files[i];
        // Encoded result: first byte says what kind of line it is (o = stdout, e = stderr,
        // s = skipped, f = failed to stdout), the rest is the text.
        if (!w.error.empty()) return "e" + fmt::format("{}: {}\n", w.path, w.error);
        inspect::FileReport r = inspect::InspectFile(w.path);
        bool skip = !w.explicit_arg && r.not_executable && !a.verbose;
        if (skip) return "s";
        bool failed = !r.error.empty();
        if (a.go_version) {
          const inspect::SliceReport* go_slice = nullptr;
          for (const auto& s : r.slices) {
            if (s.go && s.go->build_info) {
              go_slice = &s;
              break;
            }
          }
          if (go_slice == nullptr) {
            return (w.explicit_arg || a.verbose) ? "e" + GoVersionError(r) : "s";
          }
          return "o" + gobin::FormatGoVersionM(r.path, *go_slice->go->build_info);
        }
        return std::string(failed ? "f" : "o") + RenderWithDetails(r, a);
      },
      [&](size_t, std::string&& out) {
        char kind = out.empty() ? 's' : out[0];
        std::string_view text = std::string_view(out).substr(out.empty() ? 0 : 1);
        if (kind == 's') return;
        if (kind == 'e') {
          ++failures;
          std::fwrite(text.data(), 1, text.size(), stderr);
          return;
        }
        if (kind == 'f') ++failures;
        if (a.json) {
          std::fputs(first_json ? "\n" : ",\n", stdout);
          first_json = false;
        } else if (!a.go_version && !first_json) {
          std::fputs("\n", stdout);
        }
        if (!a.json) first_json = false;
        std::fwrite(text.data(), 1, text.size(), stdout);
      });
  if (a.json) std::fputs(first_json ? "]\n" : "\n]\n", stdout);
  if (failures > 0 && *exit_code == 0) *exit_code = 1;
}

}  // namespace

void RegisterInspect(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd =
      app.add_subcommand("inspect", "Report what is inside executables (ELF, PE, Mach-O)");
  cmd->add_option("paths", args->paths, "Files or directories (walked recursively)")->required();
  cmd->add_flag("--json", args->json, "A JSON array, one object per file (doc/inspect-json.md)");
  cmd->add_flag("--go-version", args->go_version, "Print exactly what `go version -m` prints");
  cmd->add_flag("-v,--verbose", args->verbose,
                "Report non-executables too; list every dep and setting");
  cmd->add_flag("--functions", args->functions,
                "Every function from the Go function table (pclntab): entry, size, package, name");
  cmd->add_flag("--packages", args->packages, "Code size per package and per module");
  cmd->add_flag("--size", args->size,
                "Every file byte attributed once: sections > modules > packages");
  cmd->add_option("--html", args->html,
                  "Write a self-contained treemap page of the size map to this file");
  cmd->add_option("-j,--jobs", args->jobs, "Files read in parallel (default: number of CPUs)");
  cmd->callback([args, exit_code] { RunInspect(*args, exit_code); });
}

}  // namespace barekit::cli
