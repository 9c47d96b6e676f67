// The module text of Go build info: parsing (runtime/debug.ParseBuildInfo), formatting
// (BuildInfo.String) and the strconv quoting rules both rely on. Behaviour follows Go 1.19,
// the toolchain whose `go version -m` is the oracle in the tests.
#include "gobin/modinfo.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gobin/buildinfo.h"

namespace barekit::gobin {
namespace {

constexpr char32_t kRuneError = 0xFFFD;

// utf8.DecodeRuneInString: the rune at the start of `s` and its width; (kRuneError, 1) for an
// invalid or truncated sequence, (kRuneError, 0) for an empty string.
std::pair<char32_t, size_t> DecodeRune(std::string_view s) {
  if (s.empty()) return {kRuneError, 0};
  auto b0 = static_cast<uint8_t>(s[0]);
  if (b0 < 0x80) return {b0, 1};
  size_t n;
  char32_t r;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, r = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, r = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, r = b0 & 0x07, min = 0x10000;
  } else {
    return {kRuneError, 1};
  }
  if (s.size() < n) return {kRuneError, 1};
  for (size_t i = 1; i < n; ++i) {
    auto b = static_cast<uint8_t>(s[i]);
    if ((b & 0xC0) != 0x80) return {kRuneError, 1};
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return {kRuneError, 1};
  return {r, n};
}

bool ValidRune(char32_t r) { return r <= 0x10FFFF && !(r >= 0xD800 && r <= 0xDFFF); }

void AppendRune(std::string* out, char32_t r) {
  if (!ValidRune(r)) r = kRuneError;
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

bool ValidUtf8(std::string_view s) {
  while (!s.empty()) {
    auto [r, n] = DecodeRune(s);
    if (r == kRuneError && n == 1) return false;
    s.remove_prefix(n);
  }
  return true;
}

int Unhex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// strconv.UnquoteChar: one (possibly escaped) character at the start of `*s` inside a literal
// delimited by `quote`; advances `*s`. `multibyte` says the value is a rune to encode as UTF-8
// rather than a single byte.
bool UnquoteChar(std::string_view* s, char quote, char32_t* value, bool* multibyte) {
  if (s->empty()) return false;
  char c = (*s)[0];
  *multibyte = false;
  if (c == quote && (quote == '\'' || quote == '"')) return false;
  if (static_cast<uint8_t>(c) >= 0x80) {
    auto [r, n] = DecodeRune(*s);
    s->remove_prefix(n);
    *value = r;
    *multibyte = true;
    return true;
  }
  if (c != '\\') {
    *value = static_cast<uint8_t>(c);
    s->remove_prefix(1);
    return true;
  }
  if (s->size() <= 1) return false;
  char e = (*s)[1];
  s->remove_prefix(2);
  switch (e) {
    case 'a':
      *value = '\a';
      return true;
    case 'b':
      *value = '\b';
      return true;
    case 'f':
      *value = '\f';
      return true;
    case 'n':
      *value = '\n';
      return true;
    case 'r':
      *value = '\r';
      return true;
    case 't':
      *value = '\t';
      return true;
    case 'v':
      *value = '\v';
      return true;
    case '\\':
      *value = '\\';
      return true;
    case 'x':
    case 'u':
    case 'U': {
      size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (s->size() < n) return false;
      char32_t v = 0;
      for (size_t j = 0; j < n; ++j) {
        int x = Unhex((*s)[j]);
        if (x < 0) return false;
        v = (v << 4) | static_cast<char32_t>(x);
      }
      s->remove_prefix(n);
      if (e != 'x') {
        if (!ValidRune(v)) return false;
        *multibyte = true;
      }
      *value = v;
      return true;
    }
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7': {
      char32_t v = static_cast<char32_t>(e - '0');
      if (s->size() < 2) return false;
      for (size_t j = 0; j < 2; ++j) {
        int x = (*s)[j] - '0';
        if (x < 0 || x > 7) return false;
        v = (v << 3) | static_cast<char32_t>(x);
      }
      s->remove_prefix(2);
      if (v > 255) return false;
      *value = v;
      return true;
    }
    case '\'':
    case '"':
      if (e != quote) return false;
      *value = static_cast<char32_t>(e);
      return true;
    default:
      return false;
  }
}

// strconv's unquote(in, unescape): the literal at the start of `in`; `*rest` gets what follows
// it, `*raw` the literal itself with its quotes, `*out` (when unescape) its value.
bool Unquote(std::string_view in, bool unescape, std::string* out, std::string_view* raw,
             std::string_view* rest) {
  if (in.size() < 2) return false;
  char quote = in[0];
  size_t end = in.find(quote, 1);
  if (end == std::string_view::npos) return false;
  end += 1;  // just past the (first candidate) closing quote
  if (quote == '`') {
    std::string_view body = in.substr(1, end - 2);
    if (unescape) {
      out->clear();
      for (char c : body) {
        if (c != '\r') out->push_back(c);  // raw strings drop carriage returns
      }
    }
    *raw = in.substr(0, end);
    *rest = in.substr(end);
    return true;
  }
  if (quote != '"' && quote != '\'') return false;
  std::string_view candidate = in.substr(0, end);
  if (candidate.find('\\') == std::string_view::npos &&
      candidate.find('\n') == std::string_view::npos) {
    std::string_view body = candidate.substr(1, end - 2);
    bool valid;
    if (quote == '"') {
      valid = ValidUtf8(body);
    } else {
      auto [r, n] = DecodeRune(body);
      valid = n + 2 == end && !(r == kRuneError && n == 1);
    }
    if (valid) {
      if (unescape) out->assign(body);
      *raw = candidate;
      *rest = in.substr(end);
      return true;
    }
  }
  std::string_view s = in.substr(1);
  if (unescape) out->clear();
  while (!s.empty() && s[0] != quote) {
    if (s[0] == '\n') return false;
    char32_t r;
    bool multibyte;
    if (!UnquoteChar(&s, quote, &r, &multibyte)) return false;
    if (unescape) {
      if (r < 0x80 || !multibyte) {
        out->push_back(static_cast<char>(static_cast<uint8_t>(r)));
      } else {
        AppendRune(out, r);
      }
    }
    if (quote == '\'') break;
  }
  if (s.empty() || s[0] != quote) return false;
  s.remove_prefix(1);
  *raw = in.substr(0, in.size() - s.size());
  *rest = s;
  return true;
}

// unicode.IsPrint for non-ASCII runes, approximately: every valid rune counts as printable
// except C1 controls, format characters, separators and spaces other than U+0020, surrogates,
// private use and noncharacters. Unassigned code points are treated as printable, unlike Go.
bool IsPrintNonAscii(char32_t r) {
  if (r < 0xA0) return false;                               // C1 controls, DEL handled before
  if (r == 0xA0 || r == 0xAD || r == 0x1680) return false;  // NBSP, soft hyphen, ogham space
  if (r >= 0x600 && r <= 0x605) return false;               // Arabic number signs (Cf)
  if (r == 0x61C || r == 0x6DD || r == 0x70F || r == 0x180E) return false;
  if (r >= 0x2000 && r <= 0x200F) return false;  // spaces, ZW*, LRM/RLM
  if (r >= 0x2028 && r <= 0x202F) return false;  // line/para sep, bidi, NNBSP
  if (r >= 0x205F && r <= 0x206F) return false;  // MMSP, invisible operators
  if (r == 0x3000 || r == 0xFEFF) return false;
  if (r >= 0xD800 && r <= 0xF8FF) return false;  // surrogates, private use
  if (r >= 0xFFF9 && r <= 0xFFFB) return false;  // interlinear annotation
  if ((r & 0xFFFE) == 0xFFFE) return false;      // noncharacters
  if (r >= 0xFDD0 && r <= 0xFDEF) return false;
  if (r == 0x110BD || r == 0x110CD) return false;
  if (r >= 0x1BCA0 && r <= 0x1BCA3) return false;
  if (r >= 0x1D173 && r <= 0x1D17A) return false;
  if (r == 0xE0001 || (r >= 0xE0020 && r <= 0xE007F)) return false;  // tags
  if (r >= 0xF0000) return false;                                    // planes 15-16: private use
  return true;
}

constexpr char kLowerHex[] = "0123456789abcdef";

void AppendEscapedRune(std::string* out, char32_t r) {
  if (r == '"' || r == '\\') {
    out->push_back('\\');
    out->push_back(static_cast<char>(r));
    return;
  }
  if ((r >= 0x20 && r < 0x7F) || (r >= 0x80 && ValidRune(r) && IsPrintNonAscii(r))) {
    AppendRune(out, r);
    return;
  }
  switch (r) {
    case '\a':
      out->append("\\a");
      return;
    case '\b':
      out->append("\\b");
      return;
    case '\f':
      out->append("\\f");
      return;
    case '\n':
      out->append("\\n");
      return;
    case '\r':
      out->append("\\r");
      return;
    case '\t':
      out->append("\\t");
      return;
    case '\v':
      out->append("\\v");
      return;
    default:
      break;
  }
  if (r < ' ' || r == 0x7F) {
    out->append("\\x");
    out->push_back(kLowerHex[(r >> 4) & 0xF]);
    out->push_back(kLowerHex[r & 0xF]);
    return;
  }
  if (!ValidRune(r)) r = kRuneError;
  if (r < 0x10000) {
    out->append("\\u");
    for (int s = 12; s >= 0; s -= 4) out->push_back(kLowerHex[(r >> s) & 0xF]);
  } else {
    out->append("\\U");
    for (int s = 28; s >= 0; s -= 4) out->push_back(kLowerHex[(r >> s) & 0xF]);
  }
}

// fmt's %q of a byte (a rune literal), for error messages.
std::string QuoteByte(char c) {
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  std::string q = GoQuote(std::string_view(&c, 1));
  return "'" + q.substr(1, q.size() - 2) + "'";
}

// runtime/debug's quoteKey / quoteValue.
bool NeedsQuotedKey(std::string_view key) {
  return key.empty() || key.find_first_of("= \t\r\n\"`") != std::string_view::npos;
}
bool NeedsQuotedValue(std::string_view value) {
  return value.find_first_of(" \t\r\n\"`") != std::string_view::npos;
}

std::vector<std::string_view> SplitTabs(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    size_t t = s.find('\t');
    if (t == std::string_view::npos) {
      out.push_back(s);
      return out;
    }
    out.push_back(s.substr(0, t));
    s.remove_prefix(t + 1);
  }
}

Status ParseError(int line, std::string_view what) {
  return Status::Corrupt("could not parse Go build info: line " + std::to_string(line) + ": " +
                         std::string(what));
}

void AppendModule(std::string* out, std::string_view word, const ModuleVersion& m,
                  const std::optional<ModuleVersion>& replace) {
  out->append(word);
  out->push_back('\t');
  out->append(m.path);
  out->push_back('\t');
  out->append(m.version);
  if (!replace) {
    out->push_back('\t');
    out->append(m.sum);
  } else {
    // Go 1.19 writes the replaced module's line without a sum and ends the pair with an
    // extra newline: the empty line is part of the stored text and of `go version -m`.
    out->push_back('\n');
    AppendModule(out, "=>", *replace, std::nullopt);
  }
  out->push_back('\n');
}

}  // namespace

std::optional<std::string> GoUnquote(std::string_view s) {
  std::string out;
  std::string_view raw, rest;
  if (!Unquote(s, true, &out, &raw, &rest) || !rest.empty()) return std::nullopt;
  return out;
}

std::optional<std::string_view> GoQuotedPrefix(std::string_view s) {
  std::string_view raw, rest;
  if (!Unquote(s, false, nullptr, &raw, &rest)) return std::nullopt;
  return raw;
}

std::string GoQuote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  while (!s.empty()) {
    auto [r, n] = DecodeRune(s);
    if (r == kRuneError && n == 1) {
      auto b = static_cast<uint8_t>(s[0]);
      out.append("\\x");
      out.push_back(kLowerHex[b >> 4]);
      out.push_back(kLowerHex[b & 0xF]);
    } else {
      AppendEscapedRune(&out, r);
    }
    s.remove_prefix(n);
  }
  out.push_back('"');
  return out;
}

Status ParseModInfo(std::string_view text, BuildInfo* info) {
  info->path.clear();
  info->main.reset();
  info->deps.clear();
  info->settings.clear();

  // `last` is the module a following `=>` line replaces: none, the main module, or a dep.
  enum class Last { kNone, kMain, kDep } last = Last::kNone;
  int line_num = 1;
  auto read_module = [&](std::string_view cols, Module* m) -> Status {
    std::vector<std::string_view> elem = SplitTabs(cols);
    if (elem.size() != 2 && elem.size() != 3) {
      return ParseError(line_num, "expected 2 or 3 columns; got " + std::to_string(elem.size()));
    }
    *m = Module{};
    m->path = elem[0];
    m->version = elem[1];
    if (elem.size() == 3) m->sum = elem[2];
    return Status::Ok();
  };

  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) break;  // Go ignores an unterminated last line
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);

    if (line.starts_with("path\t")) {
      info->path = line.substr(5);
    } else if (line.starts_with("mod\t")) {
      Module m;
      BK_RETURN_IF_ERROR(read_module(line.substr(4), &m));
      info->main = std::move(m);
      last = Last::kMain;
    } else if (line.starts_with("dep\t")) {
      Module m;
      BK_RETURN_IF_ERROR(read_module(line.substr(4), &m));
      info->deps.push_back(std::move(m));
      last = Last::kDep;
    } else if (line.starts_with("=>\t")) {
      std::vector<std::string_view> elem = SplitTabs(line.substr(3));
      if (elem.size() != 3) {
        return ParseError(line_num,
                          "expected 3 columns for replacement; got " + std::to_string(elem.size()));
      }
      if (last == Last::kNone) {
        return ParseError(line_num, "replacement with no module on previous line");
      }
      Module* target = last == Last::kMain ? &*info->main : &info->deps.back();
      target->replace =
          ModuleVersion{std::string(elem[0]), std::string(elem[1]), std::string(elem[2])};
      last = Last::kNone;
    } else if (line.starts_with("build\t")) {
      std::string_view kv = line.substr(6);
      if (kv.empty()) return ParseError(line_num, "build line missing '='");
      std::string key;
      std::string_view raw_value;
      if (kv[0] == '=') return ParseError(line_num, "build line with missing key");
      if (kv[0] == '`' || kv[0] == '"') {
        auto raw_key = GoQuotedPrefix(kv);
        if (!raw_key) return ParseError(line_num, "invalid quoted key in build line");
        if (kv.size() == raw_key->size()) {
          return ParseError(line_num, "build line missing '=' after quoted key");
        }
        char c = kv[raw_key->size()];
        if (c != '=') {
          return ParseError(line_num, "unexpected character after quoted key: " + QuoteByte(c));
        }
        key = GoUnquote(*raw_key).value_or("");
        raw_value = kv.substr(raw_key->size() + 1);
      } else {
        size_t eq = kv.find('=');
        if (eq == std::string_view::npos) {
          return ParseError(line_num, "build line missing '=' after key");
        }
        key = kv.substr(0, eq);
        raw_value = kv.substr(eq + 1);
        if (NeedsQuotedKey(key)) {
          return ParseError(line_num, "unquoted key " + GoQuote(key) + " must be quoted");
        }
      }
      std::string value;
      if (!raw_value.empty()) {
        if (raw_value[0] == '`' || raw_value[0] == '"') {
          auto v = GoUnquote(raw_value);
          if (!v) return ParseError(line_num, "invalid quoted value in build line");
          value = std::move(*v);
        } else {
          value = raw_value;
          if (NeedsQuotedValue(value)) {
            return ParseError(line_num, "unquoted value " + GoQuote(value) + " must be quoted");
          }
        }
      }
      info->settings.push_back(BuildSetting{std::move(key), std::move(value)});
    }
    ++line_num;
  }
  return Status::Ok();
}

std::string FormatModInfo(const BuildInfo& info) {
  std::string out;
  if (!info.path.empty()) {
    out.append("path\t");
    out.append(info.path);
    out.push_back('\n');
  }
  if (info.main && !(info.main->path.empty() && info.main->version.empty() &&
                     info.main->sum.empty() && !info.main->replace)) {
    AppendModule(&out, "mod", *info.main, info.main->replace);
  }
  for (const Module& dep : info.deps) AppendModule(&out, "dep", dep, dep.replace);
  for (const BuildSetting& s : info.settings) {
    out.append("build\t");
    out.append(NeedsQuotedKey(s.key) ? GoQuote(s.key) : s.key);
    out.push_back('=');
    out.append(NeedsQuotedValue(s.value) ? GoQuote(s.value) : s.value);
    out.push_back('\n');
  }
  return out;
}

std::string FormatGoVersionM(std::string_view file, const BuildInfo& info) {
  std::string out(file);
  out.append(": ");
  out.append(info.go_version);
  out.push_back('\n');
  std::string mod = FormatModInfo(info);
  if (!mod.empty()) {
    // Go 1.19: "\t" + the text without its final newline, every newline followed by a tab.
    out.push_back('\t');
    for (size_t i = 0; i + 1 < mod.size(); ++i) {
      out.push_back(mod[i]);
      if (mod[i] == '\n') out.push_back('\t');
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace barekit::gobin
