// barekit: from "it builds" to "it runs, verified, on a bare machine".
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string_view>

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
  struct Verb {
    const char* name;
    void (*add)(CLI::App&, int*);
  };
  const Verb verbs[] = {
      {"inspect", barekit::cli::RegisterInspect},
      {"check", barekit::cli::RegisterCheck},
      {"diff", barekit::cli::RegisterDiff},
#ifdef BAREKIT_HAVE_PACK
      {"pack", barekit::cli::RegisterPack},
#endif
#ifdef BAREKIT_HAVE_VM
      {"kernel", barekit::cli::RegisterKernel},
      {"boot", barekit::cli::RegisterBoot},
#endif
#ifdef BAREKIT_HAVE_INIT_BINARY
      {"init-binary", barekit::cli::RegisterInitBinary},
#endif
  };
  // Only the verb being run is set up: CLI11 builds every option of every verb up front, which
  // was 0.4-0.9 ms of a 9 ms `inspect --functions`. Help, --version and anything that is not a
  // verb see them all.
  const std::string_view first = argc > 1 ? argv[1] : "";
  bool known = false;
  for (const Verb& v : verbs) known = known || first == v.name;
  for (const Verb& v : verbs) {
    if (!known || first == v.name) v.add(app, &exit_code);
  }
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
