// `barekit kernel fetch --arch amd64|arm64 [--flavor cloud|generic] [--cache DIR] [--offline]
// [--json]`: a Debian kernel and its modules for `barekit boot`, cached; and
// `barekit kernel overlay`: the module archive `boot` appends to an initramfs. See doc/kernel.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "vm/boot_overlay.h"
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
    out = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    out = "kernel: " + k->kernel + "\nmodules: " + k->modules_dir + "\nrelease: " + k->release +
          "\npackage: " + k->package + " " + k->version + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

struct OverlayArgs {
  std::string arch, machine, modules_dir, output, initramfs, add, remove;
  bool no_defaults = false, json = false;
};

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int RunOverlay(const OverlayArgs& a) {
  vm::OverlayOptions o;
  o.arch = a.arch;
  o.machine = a.machine;
  o.modules_dir = a.modules_dir;
  o.no_defaults = a.no_defaults;
  o.add = SplitCommas(a.add);
  o.remove = SplitCommas(a.remove);
  auto info = a.initramfs.empty() ? vm::WriteBootOverlayFile(o, a.output)
                                  : vm::WriteBootInitrd(a.initramfs, o, a.output);
  if (!info.ok()) {
    std::fprintf(stderr, "barekit kernel overlay: %s\n", info.status().message().c_str());
    return 1;
  }
  std::string out;
  if (a.json) {
    nlohmann::json j = {{"output", a.output},
                        {"order", info->order},
                        {"notes", info->notes},
                        {"overlay_bytes", info->overlay_bytes},
                        {"overlay_offset", info->overlay_offset}};
    out = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else {
    for (const auto& n : info->notes)
      std::fprintf(stderr, "barekit kernel overlay: %s\n", n.c_str());
    for (const auto& p : info->order) out += "module: " + p + "\n";
    out += "overlay: " + a.output + " (" + std::to_string(info->overlay_bytes) + " bytes";
    if (!a.initramfs.empty()) out += " at offset " + std::to_string(info->overlay_offset);
    out += ")\n";
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

  auto b = std::make_shared<OverlayArgs>();
  CLI::App* overlay = kernel->add_subcommand(
      "overlay", "Write the cpio of VM modules and /etc/barekit/modules.order that boot appends");
  overlay->add_option("--arch", b->arch, "amd64 or arm64 (picks the default module list)")
      ->required()
      ->check(CLI::IsMember({"amd64", "arm64"}));
  overlay->add_option("--machine", b->machine, "q35 or microvm (amd64), virt (arm64)");
  overlay->add_option("--modules-dir", b->modules_dir, "lib/modules/<release> of the kernel")
      ->required();
  overlay->add_option("-o,--output", b->output, "Output file")->required();
  overlay->add_option("--initramfs", b->initramfs,
                      "Write this initramfs followed by the overlay (padded to 4 bytes)");
  overlay->add_option("--add", b->add, "Comma list of extra modules (must exist)");
  overlay->add_option("--remove", b->remove, "Comma list of default modules to leave out");
  overlay->add_flag("--no-defaults", b->no_defaults, "Only the modules given with --add");
  overlay->add_flag("--json", b->json, "Print the result as JSON");
  overlay->callback([b, exit_code] { *exit_code = RunOverlay(*b); });
}

}  // namespace barekit::cli
