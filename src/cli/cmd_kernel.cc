// barekit kernel (placeholder until the verb lands).
#include "cli/commands.h"

namespace barekit::cli {

void RegisterKernel(CLI::App& /*app*/, int* /*exit_code*/) {}

}  // namespace barekit::cli
