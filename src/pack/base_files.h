// The small generated files every image carries, and the barekit-init configuration.
#ifndef PACK_BASE_FILES_H_
#define PACK_BASE_FILES_H_

#include <string>
#include <vector>

namespace barekit::pack {

// root, nobody and nonroot (65532), like distroless, with /sbin/nologin shells.
std::string PasswdFile();
std::string GroupFile();
std::string OsReleaseFile(const std::string& barekit_version);
std::string NsswitchFile();
std::string HostsFile();
// For initramfs images (containers get theirs from the runtime).
std::string ResolvConfFile();

struct InitService {
  std::string name;
  std::vector<std::string> argv;
};

// /etc/barekit/init.toml: one service per binary, modules to load (image paths, in order).
std::string InitConfigToml(const std::vector<InitService>& services,
                           const std::vector<std::string>& modules);

// A barekit-init service name for a binary (letters, digits, '-', '_', '.').
std::string ServiceName(const std::string& binary);

// A TOML basic string with escapes.
std::string TomlString(const std::string& s);

}  // namespace barekit::pack

#endif  // PACK_BASE_FILES_H_
