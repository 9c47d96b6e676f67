#include "init/control_channel.h"

#include <signal.h>

#include <cstdio>

namespace barekit::init {
namespace {

constexpr size_t kMaxWords = 4;  // a command and up to two arguments, plus one to see "too many"
constexpr size_t kMaxEcho = 64;  // how much of an unknown word is quoted back

// Appends `s` as printable ASCII: other bytes become '?', and a long word is cut with "...".
void AppendEcho(std::string* out, std::string_view s) {
  size_t n = s.size() > kMaxEcho ? kMaxEcho : s.size();
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    out->push_back(c > ' ' && c <= '~' ? c : '?');
  }
  if (n < s.size()) out->append("...");
}

// Splits on spaces and tabs; returns the number of words, at most kMaxWords.
size_t Split(std::string_view line, std::string_view (&words)[kMaxWords]) {
  size_t n = 0;
  while (n < kMaxWords) {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) break;
    size_t end = 0;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
    words[n++] = line.substr(0, end);
    line.remove_prefix(end);
  }
  return n;
}

void Err(std::string* reply, std::string_view cmd, std::string_view arg, std::string_view why) {
  reply->append("err ");
  reply->append(cmd);
  if (!arg.empty()) {
    reply->push_back(' ');
    AppendEcho(reply, arg);
  }
  reply->append(": ");
  reply->append(why);
  reply->push_back('\n');
}

void Kill(std::string_view* words, size_t n, ControlHandler* h, std::string* reply) {
  if (n < 2) return Err(reply, "kill", "", "usage: kill SERVICE [SIGNAL]");
  if (n > 3) return Err(reply, "kill", words[1], "too many arguments");
  int sig = SIGKILL;
  if (n == 3) {
    std::optional<int> s = ParseSignal(words[2]);
    if (!s) {
      reply->append("err kill ");
      AppendEcho(reply, words[1]);
      reply->append(": unknown signal '");
      AppendEcho(reply, words[2]);
      reply->append("'\n");
      return;
    }
    sig = *s;
  }
  for (const Service& s : h->ControlServices()) {
    if (s.config.name != words[1]) continue;
    if (s.pid <= 0) {
      std::string why = "not running (";
      why += StateName(s.state);
      why += ")";
      return Err(reply, "kill", words[1], why);
    }
    h->ControlSignal(s.pid, sig);
    char line[128];
    std::snprintf(line, sizeof line, " pid=%d\n", s.pid);
    reply->append("ok kill ");
    reply->append(s.config.name);
    reply->append(line);
    return;
  }
  Err(reply, "kill", words[1], "no such service");
}

void Status(const ControlHandler& h, std::string* reply) {
  char nums[64];
  for (const Service& s : h.ControlServices()) {
    reply->append("status ");
    reply->append(s.config.name);
    reply->push_back(' ');
    reply->append(StateName(s.state));
    std::snprintf(nums, sizeof nums, " pid=%d restarts=%d\n", s.pid, s.restarts);
    reply->append(nums);
  }
  reply->append("ok status\n");
}

}  // namespace

ControlLineReader::Event ControlLineReader::Next(std::string_view* input, std::string_view* line) {
  while (!input->empty()) {
    const char c = input->front();
    input->remove_prefix(1);
    if (c == '\n' || c == '\r') {
      if (too_long_) {
        too_long_ = false;
        len_ = 0;
        return Event::kTooLong;
      }
      if (len_ == 0) continue;  // blank line, or the '\n' of "\r\n"
      *line = std::string_view(buf_, len_);
      len_ = 0;
      return Event::kLine;
    }
    if (too_long_) continue;
    if (len_ == kMaxLine) {
      too_long_ = true;
      continue;
    }
    buf_[len_++] = c;
  }
  return Event::kNeedMore;
}

void RunControlCommand(std::string_view line, ControlHandler* handler, std::string* reply) {
  std::string_view words[kMaxWords];
  const size_t n = Split(line, words);
  if (n == 0) return;  // only blanks: nothing asked, nothing answered
  const std::string_view cmd = words[0];
  if (cmd == "kill") return Kill(words, n, handler, reply);
  const bool power = cmd == "poweroff" || cmd == "reboot" || cmd == "halt";
  if (cmd != "ping" && cmd != "status" && !power) {
    reply->append("err unknown command '");
    AppendEcho(reply, cmd);
    reply->append("'\n");
    return;
  }
  if (n > 1) {
    reply->append("err ");
    reply->append(cmd);
    reply->append(": unexpected argument '");
    AppendEcho(reply, words[1]);
    reply->append("'\n");
    return;
  }
  if (cmd == "ping") {
    reply->append("ok pong\n");
  } else if (cmd == "status") {
    Status(*handler, reply);
  } else {
    reply->append("ok ");
    reply->append(cmd);
    reply->push_back('\n');
    handler->ControlShutdown(cmd == "reboot" ? PowerAction::kReboot
                             : cmd == "halt" ? PowerAction::kHalt
                                             : PowerAction::kPowerOff);
  }
}

}  // namespace barekit::init
