#include "gobin/goversion_recover.h"

namespace barekit::gobin {

std::string_view GoVersionPrefix(std::string_view s) {
  if (!s.starts_with("go1")) return {};
  size_t i = 3;
  auto digits = [&]() {
    size_t b = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > b;
  };
  size_t good = 3;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return s.substr(0, good);
    good = i;
    if (i < s.size() && s[i] == '.') {
      ++i;
      if (digits()) good = i;
    } else {
      for (std::string_view pre : {"rc", "beta"}) {
        if (s.substr(i).starts_with(pre)) {
          i += pre.size();
          if (digits()) good = i;
          break;
        }
      }
    }
  }
  return s.substr(0, good);
}

GoVersionGuess RecoverGoVersion(const exe::ObjectFile& obj, const FunctionTable* table) {
  GoVersionGuess g;
  (void)obj;
  (void)table;
  return g;
}

}  // namespace barekit::gobin
