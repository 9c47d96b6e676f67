// toml++ as barekit uses it: header-only, without exceptions (barekit-init is built with
// -fno-exceptions), without its formatters, and with <charconv> floats (its istringstream
// fallback would drag the iostream/locale machinery into a static binary). Every file that parses
// TOML includes this instead of <toml++/toml.h>, so all of them see one configuration.
#ifndef BASE_TOML_H_
#define BASE_TOML_H_

#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_FORMATTERS 0
#define TOML_FLOAT_CHARCONV 1
#include <toml++/impl/preprocessor.h>
// toml++ 3.3's parse_key() asserts (and under clang, with NDEBUG, __builtin_assume()s) a
// precondition that input like `a{` or `key["x"]` breaks; the code after it reports a clean
// parse error, so the assumption must not be made (found by fuzz/init_config_fuzz.cc).
#undef TOML_ASSERT_ASSUME
#define TOML_ASSERT_ASSUME(expr) static_assert(true)
// Its "unreachable" points are reachable in 3.3 (is_non_ascii_horizontal_whitespace on
// U+00A1..): make them a defined trap. Callers keep non-ASCII text outside strings away from the
// parser (see init/config.cc).
#undef TOML_UNREACHABLE
#define TOML_UNREACHABLE __builtin_trap()
#include <toml++/toml.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace barekit {

// Typed reads of toml++ nodes whose errors read `file:line:col: message` (the file's own
// positions). Each config format derives its own reader from this one.
class TomlReader {
 public:
  explicit TomlReader(std::string_view file) : file_(file) {}

  Status Error(const toml::source_region& at, std::string_view msg) const {
    char pos[48];
    std::snprintf(pos, sizeof pos, ":%u:%u: ", at.begin.line, at.begin.column);
    return Status::InvalidArgument(std::string(file_) + pos + std::string(msg));
  }

  Status String(const toml::node& n, std::string_view key, std::string* out) const {
    const auto* s = n.as_string();
    if (!s) return Error(n.source(), std::string(key) + ": expected a string");
    *out = s->get();
    if (out->find('\0') != std::string::npos)
      return Error(n.source(), std::string(key) + ": NUL byte in string");
    return Status::Ok();
  }

  Status Bool(const toml::node& n, std::string_view key, bool* out) const {
    const auto* b = n.as_boolean();
    if (!b) return Error(n.source(), std::string(key) + ": expected true or false");
    *out = b->get();
    return Status::Ok();
  }

  Status Int(const toml::node& n, std::string_view key, int64_t lo, int64_t hi,
             int64_t* out) const {
    const auto* i = n.as_integer();
    if (!i) return Error(n.source(), std::string(key) + ": expected an integer");
    if (i->get() < lo || i->get() > hi) {
      char range[64];
      std::snprintf(range, sizeof range, ": must be between %lld and %lld",
                    static_cast<long long>(lo), static_cast<long long>(hi));
      return Error(n.source(), std::string(key) + range);
    }
    *out = i->get();
    return Status::Ok();
  }

  Status StringList(const toml::node& n, std::string_view key,
                    std::vector<std::string>* out) const {
    const auto* a = n.as_array();
    if (!a) return Error(n.source(), std::string(key) + ": expected an array of strings");
    out->clear();
    for (const toml::node& e : *a) {
      std::string s;
      BK_RETURN_IF_ERROR(String(e, key, &s));
      out->push_back(std::move(s));
    }
    return Status::Ok();
  }

 private:
  std::string_view file_;
};

}  // namespace barekit

#endif  // BASE_TOML_H_
