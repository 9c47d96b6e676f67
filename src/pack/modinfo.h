// Kernel module facts from a .ko's `.modinfo` section: a run of NUL-terminated "key=value"
// strings (name=, depends=a,b, vermagic=...). Debian's kernel packages ship no modules.dep, so
// load order comes from `depends=`. Format notes: doc/pack.md ("Kernel modules").
#ifndef PACK_MODINFO_H_
#define PACK_MODINFO_H_

#include <map>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"

namespace barekit::pack {

struct ModInfo {
  std::string name;                  // name= (absent in old modules: taken from the file name)
  std::vector<std::string> depends;  // depends=, split at ','
  std::string vermagic;
};

// Parses the bytes of a .modinfo section. Corrupt (with a byte offset) when a record lacks '='
// or the section does not end with NUL.
Result<ModInfo> ParseModInfo(Bytes section);

// Reads the .modinfo section of the ELF relocatable in `data` (the .ko bytes).
Result<ModInfo> ReadModInfo(Bytes ko_bytes);

// "snd-hda" and "snd_hda" name the same module.
std::string CanonicalModuleName(std::string_view name);

struct ModuleFile {
  std::string name;                  // canonical
  std::string path;                  // host path of the .ko
  std::string relpath;               // path below the modules directory
  std::vector<std::string> depends;  // canonical
};

// Finds `wanted` modules (and, recursively, what they depend on) under `modules_dir` and returns
// them in load order: every module after its dependencies; ties broken by name. Errors name the
// missing module and who needs it, or the cycle.
Result<std::vector<ModuleFile>> ResolveModules(const std::vector<std::string>& wanted,
                                               const std::string& modules_dir);

}  // namespace barekit::pack

#endif  // PACK_MODINFO_H_
