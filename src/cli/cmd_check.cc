// `barekit check FILE... --require LIST`: a CI gate. Exit 1 with a line per violation.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "inspect/report.h"
#include "inspect/requirements.h"
#include "inspect/walk.h"

namespace barekit::cli {
namespace {

struct CheckArgs {
  std::vector<std::string> paths;
  std::string require;
  bool quiet = false;
};

void RunCheck(const CheckArgs& a, int* exit_code) {
  auto reqs = inspect::ParseRequirements(a.require);
  if (!reqs.ok()) {
    std::fprintf(stderr, "barekit check: %s\n", reqs.status().message().c_str());
    *exit_code = 2;
    return;
  }
  int violations = 0;
  for (const auto& w : inspect::ExpandPaths(a.paths)) {
    inspect::FileReport r = inspect::InspectFile(w.path);
    if (!w.explicit_arg && r.not_executable) continue;
    auto v = inspect::CheckRequirements(r, *reqs);
    for (const auto& line : v) std::printf("%s: %s\n", r.path.c_str(), line.c_str());
    violations += static_cast<int>(v.size());
    if (v.empty() && !a.quiet) std::printf("%s: ok\n", r.path.c_str());
  }
  *exit_code = violations > 0 ? 1 : 0;
}

}  // namespace

void RegisterCheck(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand("check", "Fail (exit 1) when a binary violates a requirement");
  cmd->add_option("paths", args->paths, "Files or directories")->required();
  cmd->add_option("--require", args->require,
                  "Comma list: static,nocgo,stripped,trimpath,pie,go,notpacked,os=OS,arch=ARCH,"
                  "go>=1.21,max-size=20MiB")
      ->required();
  cmd->add_flag("-q,--quiet", args->quiet, "Print only violations");
  cmd->callback([args, exit_code] { RunCheck(*args, exit_code); });
}

}  // namespace barekit::cli
