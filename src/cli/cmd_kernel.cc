// `barekit kernel fetch --arch amd64|arm64 [--flavor cloud|generic] [--cache DIR] [--offline]
// [--json]`: a Debian kernel and its modules for `barekit boot`, cached. See doc/kernel.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "vm/kernel_fetch.h"

namespace barekit::cli {
namespace {

struct FetchArgs {
  std::string arch, flavor, cache;
  bool offline = false, json = false, quiet = false;
};

int RunFetch(const FetchArgs& a) {
  vm::FetchOptions o;
  o.arch = a.arch;
  o.flavor = a.flavor;
  o.cache_dir = a.cache;
  o.offline = a.offline;
  if (!a.quiet) {
    o.note = [](const std::string& s) { std::fprintf(stderr, "barekit kernel: %s\n", s.c_str()); };
  }
  auto k = vm::FetchKernel(o);
  if (!k.ok()) {
    std::fprintf(stderr, "barekit kernel fetch: %s\n", k.status().message().c_str());
    return 1;
  }
  std::string out;
  if (a.json) {
    nlohmann::json j = {{"kernel", k->kernel},   {"modules_dir", k->modules_dir},
                        {"release", k->release}, {"package", k->package},
                        {"version", k->version}, {"arch", k->arch},
                        {"flavor", k->flavor},   {"cached", k->from_cache}};
    out = j.dump(2) + "\n";
  } else {
    out = "kernel: " + k->kernel + "\nmodules: " + k->modules_dir + "\nrelease: " + k->release +
          "\npackage: " + k->package + " " + k->version + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void RegisterKernel(CLI::App& app, int* exit_code) {
  CLI::App* kernel = app.add_subcommand("kernel", "Debian kernels for barekit boot");
  kernel->require_subcommand(1);
  auto a = std::make_shared<FetchArgs>();
  CLI::App* fetch = kernel->add_subcommand(
      "fetch", "Download a Debian kernel and its modules into a cache (nothing is installed)");
  fetch->add_option("--arch", a->arch, "amd64 or arm64")
      ->required()
      ->check(CLI::IsMember({"amd64", "arm64"}));
  fetch
      ->add_option("--flavor", a->flavor,
                   "cloud or generic (default: cloud on amd64, generic on arm64)")
      ->check(CLI::IsMember({"cloud", "generic"}));
  fetch->add_option(
      "--cache", a->cache,
      "Cache directory (default $XDG_CACHE_HOME/barekit/kernels or ~/.cache/barekit/kernels)");
  fetch->add_flag("--offline", a->offline, "Use the newest cached kernel; do not run apt");
  fetch->add_flag("--json", a->json, "Print the result as JSON");
  fetch->add_flag("-q,--quiet", a->quiet, "No progress notes on stderr");
  fetch->callback([a, exit_code] { *exit_code = RunFetch(*a); });
}

}  // namespace barekit::cli
