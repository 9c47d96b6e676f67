#include "init/probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace barekit::init {
namespace {

// Connects to host:port; -1 on any failure. No resolver: static binaries have no NSS.
int Connect(std::string_view address, std::string* host_out) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return -1;
  std::string host(address.substr(0, colon));
  std::string port_s(address.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host_out) *host_out = host;
  if (host == "localhost" || host.empty()) host = "127.0.0.1";
  int port = 0;
  for (char c : port_s) {
    if (c < '0' || c > '9' || port > 65535) return -1;
    port = port * 10 + (c - '0');
  }
  if (port <= 0 || port > 65535) return -1;
  sockaddr_storage ss{};
  socklen_t len;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
  } else {
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int ProbeTcp(std::string_view address) {
  int fd = Connect(address, nullptr);
  if (fd < 0) return 1;
  close(fd);
  return 0;
}

int ProbeHttp(std::string_view url) {
  url.remove_prefix(std::strlen("http://"));
  size_t slash = url.find('/');
  std::string_view hostport = url.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (hostport.find(':') == std::string_view::npos) return 1;
  std::string host;
  int fd = Connect(hostport, &host);
  if (fd < 0) return 1;
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return 1;
  }
  char buf[64];
  size_t got = 0;
  while (got < 12) {
    ssize_t n = read(fd, buf + got, sizeof buf - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  // "HTTP/1.x 200 ..."
  if (got < 12 || std::memcmp(buf, "HTTP/", 5) != 0) return 1;
  const char* sp = static_cast<const char*>(std::memchr(buf, ' ', got));
  if (!sp || sp + 1 >= buf + got) return 1;
  return (sp[1] == '2' || sp[1] == '3') ? 0 : 1;
}

}  // namespace barekit::init
