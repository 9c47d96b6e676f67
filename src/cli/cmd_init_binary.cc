// `barekit init-binary --arch ARCH [-o FILE]`: writes the embedded static barekit-init for ARCH
// (amd64, arm64, riscv64) to stdout or FILE, for packing into an image as /init or /sbin/init.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"
#include "init/embedded.h"

namespace barekit::cli {
namespace {

struct InitBinaryArgs {
  std::string arch = "amd64";
  std::string output;
};

std::string NormalizeArch(const std::string& a) {
  if (a == "x86_64" || a == "x86-64") return "amd64";
  if (a == "aarch64") return "arm64";
  return a;
}

bool WriteAll(int fd, std::span<const std::byte> bytes) {
  const std::byte* p = bytes.data();
  size_t n = bytes.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

int Run(const InitBinaryArgs& a) {
  std::string arch = NormalizeArch(a.arch);
  std::span<const std::byte> bin = init::EmbeddedInit(arch);
  if (bin.empty()) {
    std::string have;
    for (std::string_view x : init::EmbeddedInitArches())
      have += (have.empty() ? "" : ", ") + std::string(x);
    std::fprintf(
        stderr,
        "barekit: init-binary: no barekit-init for '%s' in this build (embedded: %s; build "
        "with -DBAREKIT_INIT_EMBED_DIR=DIR from scripts/build-init DIR)\n",
        a.arch.c_str(), have.empty() ? "none" : have.c_str());
    return 2;
  }
  if (a.output.empty()) {
    if (isatty(1)) {
      std::fprintf(stderr,
                   "barekit: init-binary: refusing to write a binary to a terminal; redirect or "
                   "use -o FILE\n");
      return 2;
    }
    if (!WriteAll(1, bin)) {
      std::fprintf(stderr, "barekit: init-binary: write to stdout: %s\n", std::strerror(errno));
      return 1;
    }
    return 0;
  }
  int fd = ::open(a.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (fd < 0 || !WriteAll(fd, bin) || ::close(fd) < 0) {
    std::fprintf(stderr, "barekit: init-binary: %s: %s\n", a.output.c_str(), std::strerror(errno));
    return 1;
  }
  return 0;
}

}  // namespace

void RegisterInitBinary(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<InitBinaryArgs>();
  CLI::App* sub = app.add_subcommand("init-binary",
                                     "Write the embedded static barekit-init for an architecture");
  sub->add_option("--arch", args->arch, "GOARCH: amd64, arm64 or riscv64")->capture_default_str();
  sub->add_option("-o,--output", args->output, "write to FILE (mode 0755) instead of stdout");
  sub->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace barekit::cli
