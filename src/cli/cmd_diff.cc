// `barekit diff OLD NEW`: Go version, settings, dependencies and per-package size changes.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "inspect/diff.h"
#include "inspect/go_details.h"
#include "inspect/report.h"

namespace barekit::cli {
namespace {

struct DiffArgs {
  std::string old_path, new_path;
  bool json = false;
  size_t rows = 25;
};

void RunDiff(const DiffArgs& a, int* exit_code) {
  inspect::FileReport o = inspect::InspectFile(a.old_path);
  inspect::FileReport n = inspect::InspectFile(a.new_path);
  for (const auto* r : {&o, &n}) {
    if (!r->error.empty()) {
      std::fprintf(stderr, "%s: %s\n", r->path.c_str(), r->error.c_str());
      *exit_code = 2;
      return;
    }
  }
  inspect::GoDetails od = inspect::ReadGoDetails(o.slices.front(), inspect::kDetailPackages);
  inspect::GoDetails nd = inspect::ReadGoDetails(n.slices.front(), inspect::kDetailPackages);
  inspect::BinaryDiff d = inspect::DiffBinaries(o, od.packages ? &*od.packages : nullptr, n,
                                                nd.packages ? &*nd.packages : nullptr);
  std::string out = a.json ? inspect::DiffToJson(d).dump(
                                 2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
                                 "\n"
                           : inspect::DiffToText(d, a.rows);
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

void RegisterDiff(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* cmd = app.add_subcommand("diff", "What changed between two builds of a binary");
  cmd->add_option("old", args->old_path, "The earlier binary")->required();
  cmd->add_option("new", args->new_path, "The later binary")->required();
  cmd->add_flag("--json", args->json, "JSON instead of text");
  cmd->add_option("--rows", args->rows, "Rows per size table in text output (default 25)");
  cmd->callback([args, exit_code] { RunDiff(*args, exit_code); });
}

}  // namespace barekit::cli
