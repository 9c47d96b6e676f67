// tcp and http readiness probes. Each try runs in a forked child of init (so PID 1 never blocks
// on a connect); the child calls one of these and exits with its result: 0 ready, 1 not yet.
#ifndef INIT_PROBE_H_
#define INIT_PROBE_H_

#include <string_view>

namespace barekit::init {

// "host:port" or "[v6]:port"; host is a numeric address or "localhost".
int ProbeTcp(std::string_view address);
// "http://host:port/path"; ready on a 2xx or 3xx status.
int ProbeHttp(std::string_view url);

}  // namespace barekit::init

#endif  // INIT_PROBE_H_
