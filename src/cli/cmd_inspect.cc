// `barekit inspect FILE|DIR...`: the facts of every executable named or found.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "gobin/buildinfo.h"
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
  unsigned jobs = 0;
};

// What `go version -m` prints on stderr for a file it cannot read (only for named files or -v).
std::string GoVersionError(const inspect::FileReport& r) {
  if (!r.error.empty() && !r.not_executable) return fmt::format("{}: {}\n", r.path, r.error);
  return fmt::format("{}: not a Go executable\n", r.path);
}

void RunInspect(const InspectArgs& a, int* exit_code) {
  std::vector<inspect::WalkedPath> files = inspect::ExpandPaths(a.paths);
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
            if (s.go && s.go->build_info) { go_slice = &s; break; }
          }
          if (go_slice == nullptr) {
            return (w.explicit_arg || a.verbose) ? "e" + GoVersionError(r) : "s";
          }
          return "o" + gobin::FormatGoVersionM(r.path, *go_slice->go->build_info);
        }
        if (a.json) return std::string(failed ? "f" : "o") + inspect::FileToJson(r).dump(2);
        inspect::TextOptions to;
        to.verbose = a.verbose;
        return std::string(failed ? "f" : "o") + inspect::FileToText(r, to);
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
  CLI::App* cmd = app.add_subcommand("inspect", "Report what is inside executables (ELF, PE, Mach-O)");
  cmd->add_option("paths", args->paths, "Files or directories (walked recursively)")->required();
  cmd->add_flag("--json", args->json, "A JSON array, one object per file (doc/inspect-json.md)");
  cmd->add_flag("--go-version", args->go_version, "Print exactly what `go version -m` prints");
  cmd->add_flag("-v,--verbose", args->verbose, "Report non-executables too; list every dep and setting");
  cmd->add_option("-j,--jobs", args->jobs, "Files read in parallel (default: number of CPUs)");
  cmd->callback([args, exit_code] { RunInspect(*args, exit_code); });
}

}  // namespace barekit::cli
