#include "vm/http_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

#include "base/unique_fd.h"
#include "vm/qmp.h"

namespace barekit::vm {

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return Status::InvalidArgument("probe '" + std::string(url) +
                                   "': expected http://HOST:PORT/PATH");
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl u;
  if (slash != std::string_view::npos) u.path = std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  u.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string_view p = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), u.port);
    if (ec != std::errc() || end != p.data() + p.size() || u.port < 1 || u.port > 65535)
      return Status::InvalidArgument("probe '" + std::string(url) + "': bad port");
  }
  if (u.host == "localhost") u.host = "127.0.0.1";
  in_addr a;
  if (inet_pton(AF_INET, u.host.c_str(), &a) != 1)
    return Status::InvalidArgument("probe '" + std::string(url) +
                                   "': the host must be an IPv4 address");
  for (char c : u.path)
    if (c == '\r' || c == '\n' || c == ' ')
      return Status::InvalidArgument("probe '" + std::string(url) + "': bad character in the path");
  return u;
}

Result<int> HttpGet(const HttpUrl& url, int64_t timeout_ms) {
  int64_t deadline = HostMillis() + timeout_ms;
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(url.port));
  inet_pton(AF_INET, url.host.c_str(), &sa.sin_addr);
  auto wait = [&](short events) -> Status {
    for (;;) {
      int left = static_cast<int>(deadline - HostMillis());
      if (left <= 0) return Status::IoError("timed out");
      pollfd p{fd.get(), events, 0};
      int r = poll(&p, 1, left);
      if (r > 0) return Status::Ok();
      if (r < 0 && errno != EINTR)
        return Status::IoError(std::string("poll: ") + std::strerror(errno));
    }
  };
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    if (errno != EINPROGRESS)
      return Status::IoError(std::string("connect: ") + std::strerror(errno));
    BK_RETURN_IF_ERROR(wait(POLLOUT));
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return Status::IoError(std::string("connect: ") + std::strerror(err));
  }
  std::string req = "GET " + url.path + " HTTP/1.0\r\nHost: " + url.host + "\r\n\r\n";
  for (size_t off = 0; off < req.size();) {
    BK_RETURN_IF_ERROR(wait(POLLOUT));
    ssize_t n = send(fd.get(), req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return Status::IoError(std::string("send: ") + std::strerror(errno));
    if (n > 0) off += static_cast<size_t>(n);
  }
  char buf[64];
  size_t got = 0;
  while (got < 12) {
    BK_RETURN_IF_ERROR(wait(POLLIN));
    ssize_t n = recv(fd.get(), buf + got, sizeof buf - got, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return Status::IoError(std::string("recv: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(n);
  }
  std::string_view head(buf, got);
  int code = 0;
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/" ||
      std::from_chars(head.data() + 9, head.data() + 12, code).ec != std::errc())
    return Status::Corrupt("not an HTTP reply");
  return code;
}

}  // namespace barekit::vm
