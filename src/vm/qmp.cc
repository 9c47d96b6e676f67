#include "vm/qmp.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "base/posix_error.h"

namespace barekit::vm {

namespace {
constexpr size_t kMaxLine = 1 << 20;
}

int64_t HostMillis() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Status QmpStream::Feed(std::string_view bytes, std::vector<nlohmann::json>* out) {
  size_t start = 0;
  while (start < bytes.size()) {
    size_t nl = bytes.find('\n', start);
    std::string_view piece =
        bytes.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (partial_.size() + piece.size() > kMaxLine)
      return Status::Corrupt("QMP: a message longer than 1 MiB");
    partial_.append(piece);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
    std::string_view line = partial_;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) {
      nlohmann::json msg = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (msg.is_discarded() || !msg.is_object()) {
        std::string shown(line.substr(0, 80));
        partial_.clear();
        return Status::Corrupt("QMP: not a JSON object: " + shown);
      }
      out->push_back(std::move(msg));
    }
    partial_.clear();
  }
  return Status::Ok();
}

Result<QmpClient> QmpClient::Connect(const std::string& path, int64_t timeout_ms) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return Status::InvalidArgument("QMP socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int64_t deadline = HostMillis() + timeout_ms;
  QmpClient c;
  for (;;) {
    c.fd_.Reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!c.fd_.valid()) return PosixError("socket", errno);
    if (connect(c.fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) break;
    int err = errno;
    if (HostMillis() >= deadline || (err != ENOENT && err != ECONNREFUSED))
      return Status::IoError("QMP: connect " + path + ": " + std::strerror(err));
    usleep(10000);
  }
  // Greeting: {"QMP": {"version": {...}, "capabilities": [...]}}. QEMU can put an event ahead of
  // it (a RESUME from its own start-up was seen in CI); events are kept like any later one.
  std::vector<nlohmann::json> msgs;
  size_t greeting = 0;
  for (;; ++greeting) {
    while (greeting == msgs.size()) {
      int left = static_cast<int>(deadline - HostMillis());
      if (left <= 0) return Status::IoError("QMP: no greeting from " + path);
      BK_RETURN_IF_ERROR(c.ReadSome(left, &msgs));
    }
    const nlohmann::json& m = msgs[greeting];
    if (m.contains("QMP")) break;
    if (!m.contains("event"))
      return Status::Corrupt("QMP: unexpected greeting " + m.dump().substr(0, 80));
  }
  // A const json's operator[] must not be given a missing key, so the path is walked with find.
  const nlohmann::json* q = &msgs[greeting];
  for (const char* key : {"QMP", "version", "qemu"}) {
    auto it = q->find(key);  // end() for a missing key and for a non-object
    q = it == q->end() ? nullptr : &*it;
    if (q == nullptr) break;
  }
  if (q != nullptr && q->is_object()) {
    auto part = [q](const char* k) {
      auto it = q->find(k);
      return std::to_string(it != q->end() && it->is_number_integer() ? it->get<int64_t>() : 0);
    };
    c.version_ = part("major") + "." + part("minor") + "." + part("micro");
  }
  for (size_t i = 0; i < msgs.size(); ++i)
    if (i != greeting) c.Keep(msgs[i]);
  BK_ASSIGN_OR_RETURN(nlohmann::json ignored,
                      c.Execute("qmp_capabilities", nlohmann::json(),
                                std::max<int64_t>(1000, deadline - HostMillis())));
  (void)ignored;
  return c;
}

Status QmpClient::ReadSome(int wait_ms, std::vector<nlohmann::json>* msgs) {
  pollfd p{fd_.get(), POLLIN, 0};
  int r = poll(&p, 1, wait_ms);
  if (r < 0 && errno != EINTR) return PosixError("poll", errno);
  if (r <= 0) return Status::Ok();
  char buf[8192];
  ssize_t n = read(fd_.get(), buf, sizeof buf);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return Status::Ok();
    if (errno == ECONNRESET) return Status::NotFound("QMP: connection closed");
    return PosixError("QMP read", errno);
  }
  if (n == 0) return Status::NotFound("QMP: connection closed");
  return stream_.Feed(std::string_view(buf, static_cast<size_t>(n)), msgs);
}

void QmpClient::Keep(const nlohmann::json& msg) {
  auto e = msg.find("event");
  if (e == msg.end() || !e->is_string()) return;  // a stray reply
  QmpEvent ev;
  ev.name = e->get<std::string>();
  if (auto d = msg.find("data"); d != msg.end()) ev.data = *d;
  ev.host_ms = HostMillis();
  events_.push_back(std::move(ev));
}

Result<nlohmann::json> QmpClient::Execute(std::string_view command, const nlohmann::json& arguments,
                                          int64_t timeout_ms) {
  int64_t id = next_id_++;
  nlohmann::json req = {{"execute", command}, {"id", id}};
  if (!arguments.is_null()) req["arguments"] = arguments;
  std::string wire = req.dump() + "\n";
  for (size_t off = 0; off < wire.size();) {
    ssize_t n = send(fd_.get(), wire.data() + off, wire.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET)
        return Status::NotFound("QMP: connection closed before '" + std::string(command) + "'");
      return PosixError("QMP send", errno);
    }
    off += static_cast<size_t>(n);
  }
  int64_t deadline = HostMillis() + timeout_ms;
  std::vector<nlohmann::json> msgs;
  for (;;) {
    for (size_t i = 0; i < msgs.size(); ++i) {
      const nlohmann::json& m = msgs[i];
      if (m.contains("id") && m["id"] == id) {
        for (size_t j = i + 1; j < msgs.size(); ++j) Keep(msgs[j]);
        if (m.contains("error")) {
          const nlohmann::json& err = m["error"];
          return Status::InvalidArgument("QMP " + std::string(command) + ": " +
                                         err.value("class", std::string("error")) + ": " +
                                         err.value("desc", std::string()));
        }
        return m.contains("return") ? m["return"] : nlohmann::json::object();
      }
      Keep(m);
    }
    msgs.clear();
    int64_t left = deadline - HostMillis();
    if (left <= 0)
      return Status::IoError("QMP: no reply to '" + std::string(command) + "' in " +
                             std::to_string(timeout_ms) + " ms");
    BK_RETURN_IF_ERROR(ReadSome(static_cast<int>(left), &msgs));
  }
}

Status QmpClient::ReadAvailable() {
  std::vector<nlohmann::json> msgs;
  BK_RETURN_IF_ERROR(ReadSome(0, &msgs));
  for (const nlohmann::json& m : msgs) Keep(m);
  return Status::Ok();
}

std::vector<QmpEvent> QmpClient::TakeEvents() { return std::exchange(events_, {}); }

}  // namespace barekit::vm
