// Go string quoting as used by the module text in build info (runtime/debug.BuildInfo): build
// setting keys and values are written with strconv.Quote and read back with strconv.Unquote.
// ParseModInfo and FormatGoVersionM (declared in gobin/buildinfo.h) live in modinfo.cc.
// Format notes: doc/formats/go-buildinfo.md.
#ifndef GOBIN_MODINFO_H_
#define GOBIN_MODINFO_H_

#include <optional>
#include <string>
#include <string_view>

#include "gobin/buildinfo.h"

namespace barekit::gobin {

// strconv.Unquote: a whole "..." or `...` literal (single-quoted rune literals too); nullopt on
// any syntax error, including bytes left after the closing quote.
std::optional<std::string> GoUnquote(std::string_view s);

// strconv.QuotedPrefix: the quoted literal at the start of `s` (quotes included), or nullopt.
std::optional<std::string_view> GoQuotedPrefix(std::string_view s);

// strconv.Quote: a double-quoted Go literal. Non-printable runes are escaped; printability of
// non-ASCII runes follows unicode.IsPrint approximately (see modinfo.cc).
std::string GoQuote(std::string_view s);

// runtime/debug.BuildInfo.String() without the `go` line: the module text Go 1.19 prints
// (one line per path/mod/dep/=>/build entry, each ending in '\n').
std::string FormatModInfo(const BuildInfo& info);

}  // namespace barekit::gobin

#endif  // GOBIN_MODINFO_H_
