// `barekit pack BIN... (--initramfs OUT | --oci DIR | --oci-archive OUT | --docker-archive OUT)`:
// the smallest image that runs the binaries, reproducibly. See doc/pack.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "init/embedded.h"
#include "pack/pack.h"

#ifndef BAREKIT_VERSION
#define BAREKIT_VERSION "0.0.0"
#endif

namespace barekit::cli {
namespace {

struct PackArgs {
  std::vector<std::string> binaries;
  std::vector<std::string> adds;
  std::string init_config, init_binary;
  bool no_init = false;
  std::string initramfs, oci, oci_archive, docker_archive;
  std::string compress;
  int level = 0;
  std::string tag;
  std::string sysroot = "/";
  std::string ca_bundle;
  std::string tz;
  std::string modules, modules_dir;
  std::string go_packages;
  std::string user = "65532:65532";
  bool json = false;
};

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int Fail(const std::string& msg) {
  std::fprintf(stderr, "barekit pack: %s\n", msg.c_str());
  return 2;
}

int RunPack(const PackArgs& a) {
  pack::PackOptions o;
  o.binaries = a.binaries;
  int outputs = 0;
  if (!a.initramfs.empty())
    ++outputs, o.kind = pack::OutputKind::kInitramfs, o.output = a.initramfs;
  if (!a.oci.empty()) ++outputs, o.kind = pack::OutputKind::kOciLayout, o.output = a.oci;
  if (!a.oci_archive.empty())
    ++outputs, o.kind = pack::OutputKind::kOciArchive, o.output = a.oci_archive;
  if (!a.docker_archive.empty()) {
    ++outputs, o.kind = pack::OutputKind::kDockerArchive, o.output = a.docker_archive;
  }
  if (outputs != 1) {
    return Fail("give exactly one of --initramfs, --oci, --oci-archive, --docker-archive");
  }
  std::string comp = a.compress;
  if (comp.empty()) comp = o.kind == pack::OutputKind::kInitramfs ? "zstd" : "gzip";
  auto c = archive::ParseCompression(comp);
  if (!c) return Fail("--compress " + comp + ": expected gzip, zstd or none");
  o.compression = *c;
  o.level = a.level;
  for (const auto& s : a.adds) {
    auto spec = pack::ParseAddSpec(s);
    if (!spec.ok()) return Fail(spec.status().message());
    o.adds.push_back(*spec);
  }
  o.init_config = a.init_config;
  o.init_binary = a.init_binary;
  o.no_init = a.no_init;
  o.embedded_init = [](std::string_view arch) -> Result<std::string> {
    auto bytes = init::EmbeddedInit(arch);
    if (bytes.empty()) return Status::NotFound("none embedded");
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  };
  o.tag = a.tag;
  o.sysroot = a.sysroot;
  o.ca_bundle = a.ca_bundle;
  o.tz_zones = SplitList(a.tz);
  o.modules = SplitList(a.modules);
  o.modules_dir = a.modules_dir;
  if (!a.go_packages.empty()) {
    pack::GoFacts f;
    f.known = true;
    for (const auto& p : SplitList(a.go_packages)) {
      // "time.LoadLocation" names a function; anything else a package.
      size_t slash = p.find_last_of('/');
      if (p.find('.', slash == std::string::npos ? 0 : slash) != std::string::npos) {
        f.functions.insert(p);
        f.packages.insert(p.substr(0, p.find('.', slash == std::string::npos ? 0 : slash)));
      } else {
        f.packages.insert(p);
      }
    }
    o.facts = f;
  }
  o.user = a.user;
  o.barekit_version = BAREKIT_VERSION;
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde && *sde) {
    char* end = nullptr;
    long long v = std::strtoll(sde, &end, 10);
    if (*end != '\0' || v < 0)
      return Fail(std::string("SOURCE_DATE_EPOCH=") + sde + ": not a number of seconds");
    o.source_date_epoch = v;
  }
  auto rep = pack::Pack(o);
  if (!rep.ok()) return Fail(rep.status().message());
  std::string out = a.json ? pack::ReportJson(*rep) : pack::ReportText(*rep);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace

void RegisterPack(CLI::App& app, int* exit_code) {
  auto a = std::make_shared<PackArgs>();
  CLI::App* cmd = app.add_subcommand("pack", "Pack binaries into a minimal initramfs or OCI image");
  cmd->add_option("binaries", a->binaries, "Executables to pack (Linux ELF)")->required();
  cmd->add_option("--add", a->adds, "Extra file or directory, SRC:DST (repeatable)");
  cmd->add_option("--init-config", a->init_config,
                  "barekit-init TOML to use instead of the generated one");
  cmd->add_option("--init-binary", a->init_binary,
                  "barekit-init binary to embed instead of the built-in one");
  cmd->add_flag("--no-init", a->no_init, "No barekit-init: the binary is the entrypoint (/init)");
  cmd->add_option("--initramfs", a->initramfs, "Write a cpio newc initramfs (zstd by default)");
  cmd->add_option("--oci", a->oci, "Write an OCI image layout directory");
  cmd->add_option("--oci-archive", a->oci_archive, "Write an OCI layout as one tar");
  cmd->add_option("--docker-archive", a->docker_archive, "Write a docker-archive (docker load)");
  cmd->add_option("--compress", a->compress, "gzip, zstd or none (initramfs: zstd, OCI: gzip)");
  cmd->add_option("--level", a->level,
                  "Compression level (gzip 1-9, default 6; zstd 1-19, default 3)");
  cmd->add_option("--tag", a->tag, "Image name:tag (default <binary>:latest)");
  cmd->add_option("--sysroot", a->sysroot,
                  "Where to find shared libraries of dynamic binaries (default /)");
  cmd->add_option("--ca-bundle", a->ca_bundle,
                  "CA bundle to ship when the binary uses crypto/x509");
  cmd->add_option("--tz", a->tz, "Comma list of zones to ship instead of all of zoneinfo");
  cmd->add_option("--modules", a->modules, "Comma list of kernel modules for the initramfs");
  cmd->add_option("--modules-dir", a->modules_dir, "Directory holding the .ko files");
  cmd->add_option(
      "--go-packages", a->go_packages,
      "Comma list of Go packages/functions the binary uses (overrides its function table)");
  cmd->add_option("--user", a->user, "Image user (default 65532:65532, nonroot)");
  cmd->add_flag("--json", a->json, "Print the report as JSON");
  cmd->callback([a, exit_code] { *exit_code = RunPack(*a); });
}

}  // namespace barekit::cli
