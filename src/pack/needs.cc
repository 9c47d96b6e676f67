#include "pack/needs.h"

namespace barekit::pack {

Needs DecideNeeds(const GoFacts& f) {
  Needs n;
  if (!f.known) {
    n.ca_bundle = true;
    n.ca_reason = "package list unknown: CA bundle kept to be safe";
    n.net = true;
    n.net_reason = "package list unknown: resolver files kept to be safe";
    return n;
  }
  if (f.packages.count("crypto/x509")) {
    n.ca_bundle = true;
    n.ca_reason = "uses crypto/x509";
  }
  bool loads_zones = f.functions.count("time.LoadLocation") > 0;
  if (loads_zones && !f.packages.count("time/tzdata")) {
    n.zoneinfo = true;
    n.zoneinfo_reason = "calls time.LoadLocation without embedding time/tzdata";
  }
  if (f.packages.count("os/user")) {
    n.user_db = true;
    n.user_reason = "uses os/user";
  }
  if (f.packages.count("net")) {
    n.net = true;
    n.net_reason = "uses net (resolver)";
  }
  if (f.packages.count("mime")) {
    n.mime = true;
    n.mime_reason = "uses mime";
  }
  return n;
}

void MergeNeeds(const Needs& m, Needs* n) {
  auto merge = [](bool b, const std::string& r, bool* into, std::string* into_r) {
    if (!b) return;
    if (*into && !r.empty() && into_r->find(r) == std::string::npos) *into_r += "; " + r;
    if (!*into) *into_r = r;
    *into = true;
  };
  merge(m.ca_bundle, m.ca_reason, &n->ca_bundle, &n->ca_reason);
  merge(m.zoneinfo, m.zoneinfo_reason, &n->zoneinfo, &n->zoneinfo_reason);
  merge(m.user_db, m.user_reason, &n->user_db, &n->user_reason);
  merge(m.net, m.net_reason, &n->net, &n->net_reason);
  merge(m.mime, m.mime_reason, &n->mime, &n->mime_reason);
}

}  // namespace barekit::pack
