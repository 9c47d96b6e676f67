// barekit boot (placeholder until the verb lands).
#include "cli/commands.h"

namespace barekit::cli {

void RegisterBoot(CLI::App& /*app*/, int* /*exit_code*/) {}

}  // namespace barekit::cli
