// What a Go binary needs from the file system, decided from the packages and functions in its
// function table (gobin/pclntab). Each need carries the evidence, for the report.
#ifndef PACK_NEEDS_H_
#define PACK_NEEDS_H_

#include <set>
#include <string>
#include <vector>

namespace barekit::pack {

struct GoFacts {
  bool known = false;               // false: not Go, or no function table could be read
  std::set<std::string> packages;   // "crypto/x509", "time", "net", ...
  std::set<std::string> functions;  // "time.LoadLocation", ...
};

struct Needs {
  bool ca_bundle = false;
  bool zoneinfo = false;
  bool user_db = false;  // passwd/group (always shipped; this only adds the reason)
  bool net = false;      // hosts, nsswitch.conf, resolv.conf, services
  bool mime = false;
  std::string ca_reason, zoneinfo_reason, user_reason, net_reason, mime_reason;
};

// Rules (doc/pack.md): crypto/x509 -> CA bundle; time.LoadLocation without time/tzdata ->
// zoneinfo; os/user -> passwd/group; net -> resolver files; mime -> mime.types.
// Unknown facts (a non-Go binary, an unreadable table) ask for CA and resolver files, which are
// small, and no zoneinfo; the reasons say so.
Needs DecideNeeds(const GoFacts& facts);

// Merges the needs of several binaries going into one image (reasons joined).
void MergeNeeds(const Needs& more, Needs* into);

}  // namespace barekit::pack

#endif  // PACK_NEEDS_H_
