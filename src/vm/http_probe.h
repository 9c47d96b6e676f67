// A minimal HTTP/1.0 GET for boot checks: "does the service answer over the forwarded port?".
// Only numeric IPv4 or localhost hosts (the forwards are bound to 127.0.0.1).
#ifndef VM_HTTP_PROBE_H_
#define VM_HTTP_PROBE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace barekit::vm {

struct HttpUrl {
  std::string host;
  int port = 80;
  std::string path = "/";
};

Result<HttpUrl> ParseHttpUrl(std::string_view url);

// One GET with a total time limit; returns the status code (e.g. 200).
Result<int> HttpGet(const HttpUrl& url, int64_t timeout_ms);

}  // namespace barekit::vm

#endif  // VM_HTTP_PROBE_H_
