// Every subcommand lives in its own cmd_<verb>.cc and registers itself on the CLI11 app.
// A callback stores the process exit code in *exit_code (0 ok, 1 a check failed, 2 usage/input).
#ifndef CLI_COMMANDS_H_
#define CLI_COMMANDS_H_

namespace CLI {
class App;
}

namespace barekit::cli {

void RegisterInspect(CLI::App& app, int* exit_code);
void RegisterCheck(CLI::App& app, int* exit_code);
void RegisterDiff(CLI::App& app, int* exit_code);
void RegisterPack(CLI::App& app, int* exit_code);
void RegisterInitBinary(CLI::App& app, int* exit_code);
void RegisterKernel(CLI::App& app, int* exit_code);  // barekit kernel fetch
void RegisterBoot(CLI::App& app, int* exit_code);    // barekit boot

}  // namespace barekit::cli

#endif  // CLI_COMMANDS_H_
