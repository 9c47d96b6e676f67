// barekit: from "it builds" to "it runs, verified, on a bare machine".
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.h"

#ifndef BAREKIT_VERSION
#define BAREKIT_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  CLI::App app{"barekit: inspect, pack, supervise and boot Go binaries on bare machines"};
  app.name("barekit");
  app.set_version_flag("--version", std::string("barekit ") + BAREKIT_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  barekit::cli::RegisterInspect(app, &exit_code);
  barekit::cli::RegisterCheck(app, &exit_code);
  barekit::cli::RegisterDiff(app, &exit_code);
#ifdef BAREKIT_HAVE_PACK
  barekit::cli::RegisterPack(app, &exit_code);
#endif
#ifdef BAREKIT_HAVE_VM
  barekit::cli::RegisterKernel(app, &exit_code);
  barekit::cli::RegisterBoot(app, &exit_code);
#endif
#ifdef BAREKIT_HAVE_INIT_BINARY
  barekit::cli::RegisterInitBinary(app, &exit_code);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    // Errors are values inside barekit; this is only the last guard against a library throw.
    std::fprintf(stderr, "barekit: internal error: %s\n", e.what());
    return 3;
  }
  std::fflush(stdout);
  return exit_code;
}
