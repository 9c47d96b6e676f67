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

#endif  // BASE_TOML_H_
