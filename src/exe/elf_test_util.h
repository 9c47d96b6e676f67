// Test helpers for the ELF reader's tests: run a command, build throwaway programs, and parse the
// output of `readelf --wide -h -S -l -d -V -n` into facts that barekit's reader must match.
// Header-only so that it stays out of the exe library (module.cmake globs every .cc).
#ifndef EXE_ELF_TEST_UTIL_H_
#define EXE_ELF_TEST_UTIL_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace barekit::exe::testing_util {

// Runs `cmd` under sh; returns its stdout and sets *status to the exit status.
inline std::string Shell(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    if (status) *status = -1;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

inline bool HaveTool(const std::string& tool) {
  int st = 0;
  Shell("command -v '" + tool + "' >/dev/null 2>&1", &st);
  return st == 0;
}

// A fresh directory under the test temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "barekit-elf-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string tok;
  while (in >> tok) out.push_back(tok);
  return out;
}

inline uint64_t ParseHex(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 16); }

struct OracleSection {
  std::string name, type, flags;
  uint64_t addr = 0, offset = 0, size = 0;
};
struct OracleSegment {
  std::string type, flags;
  uint64_t offset = 0, vaddr = 0, filesz = 0, memsz = 0;
};
struct OracleVerneed {
  std::string file;
  std::vector<std::string> names;
};

// What readelf says about a file.
struct ReadelfFacts {
  bool ok = false;
  int elf_class = 0;  // 32 or 64
  bool little = true;
  std::string osabi, type;
  uint64_t entry = 0;
  uint64_t shnum = 0;
  std::vector<OracleSection> sections;  // index 0 (NULL) included
  std::vector<OracleSegment> segments;
  std::string interpreter;
  bool has_dynamic = false;
  std::vector<std::string> needed, rpath, runpath;  // rpath/runpath as written (with ':')
  std::vector<std::string> flags, flags1;            // words after (FLAGS) / (FLAGS_1) Flags:
  bool dt_bind_now = false;
  std::vector<OracleVerneed> verneed;
  std::string go_build_id;
};

inline std::string Bracketed(const std::string& line) {
  size_t a = line.find('['), b = line.rfind(']');
  if (a == std::string::npos || b == std::string::npos || b < a) return "";
  return line.substr(a + 1, b - a - 1);
}

inline ReadelfFacts ReadelfOracle(const std::string& path) {
  ReadelfFacts f;
  int st = 0;
  std::string out = Shell("LC_ALL=C readelf --wide -h -S -l -d -V -n '" + path + "' 2>/dev/null", &st);
  if (out.empty()) return f;
  f.ok = true;
  std::istringstream in(out);
  std::string line;
  enum { kNone, kSections, kSegments, kDynamic, kVerneed, kNotes } mode = kNone;
  while (std::getline(in, line)) {
    auto tok = Split(line);
    auto after_colon = [&]() {
      size_t c = line.find(':');
      std::string v = c == std::string::npos ? "" : line.substr(c + 1);
      size_t s = v.find_first_not_of(' ');
      return s == std::string::npos ? std::string() : v.substr(s);
    };
    if (line.rfind("  Class:", 0) == 0) f.elf_class = after_colon() == "ELF64" ? 64 : 32;
    else if (line.rfind("  Data:", 0) == 0) f.little = after_colon().find("little") != std::string::npos;
    else if (line.rfind("  OS/ABI:", 0) == 0) f.osabi = after_colon();
    else if (line.rfind("  Type:", 0) == 0) f.type = tok.size() > 1 ? tok[1] : "";
    else if (line.rfind("  Entry point address:", 0) == 0) f.entry = ParseHex(after_colon());
    else if (line.rfind("  Number of section headers:", 0) == 0) f.shnum = std::strtoull(after_colon().c_str(), nullptr, 10);
    if (line.rfind("Section Headers:", 0) == 0) { mode = kSections; continue; }
    if (line.rfind("Program Headers:", 0) == 0) { mode = kSegments; continue; }
    if (line.rfind("Dynamic section at offset", 0) == 0) { mode = kDynamic; f.has_dynamic = true; continue; }
    if (line.rfind("Version needs section", 0) == 0) { mode = kVerneed; continue; }
    if (line.rfind("Displaying notes found", 0) == 0) { mode = kNotes; continue; }
    if (line.rfind("Version symbols section", 0) == 0 || line.rfind("Version definition section", 0) == 0 ||
        line.rfind(" Section to Segment mapping", 0) == 0 || line.rfind("Key to Flags", 0) == 0) {
      mode = kNone;
      continue;
    }
    switch (mode) {
      case kSections: {
        size_t lb = line.find('['), rb = line.find(']');
        if (lb == std::string::npos || rb == std::string::npos || line.find("[Nr]") != std::string::npos) break;
        auto t = Split(line.substr(rb + 1));
        OracleSection s;
        if (line.substr(lb + 1, rb - lb - 1).find_first_not_of(' ') != std::string::npos &&
            std::strtoul(line.substr(lb + 1, rb - lb - 1).c_str(), nullptr, 10) == 0) {
          f.sections.push_back(s);  // the NULL entry
          break;
        }
        // name type addr off size es [flags] lk inf al
        if (t.size() < 9) break;
        s.name = t[0];
        s.type = t[1];
        s.addr = ParseHex(t[2]);
        s.offset = ParseHex(t[3]);
        s.size = ParseHex(t[4]);
        s.flags = t.size() >= 10 ? t[6] : "";
        f.sections.push_back(s);
        break;
      }
      case kSegments: {
        if (line.find("[Requesting program interpreter:") != std::string::npos) {
          std::string b = Bracketed(line);
          f.interpreter = b.substr(b.find(':') + 2);
          break;
        }
        if (tok.size() < 7 || tok[0] == "Type" || tok[1].rfind("0x", 0) != 0) break;
        OracleSegment g;
        g.type = tok[0];
        g.offset = ParseHex(tok[1]);
        g.vaddr = ParseHex(tok[2]);
        g.filesz = ParseHex(tok[4]);
        g.memsz = ParseHex(tok[5]);
        for (size_t i = 6; i + 1 < tok.size(); ++i) g.flags += tok[i];
        f.segments.push_back(g);
        break;
      }
      case kDynamic: {
        if (tok.size() < 2) break;
        const std::string& tag = tok[1];
        if (tag == "(NEEDED)") f.needed.push_back(Bracketed(line));
        else if (tag == "(RPATH)") f.rpath.push_back(Bracketed(line));
        else if (tag == "(RUNPATH)") f.runpath.push_back(Bracketed(line));
        else if (tag == "(BIND_NOW)") f.dt_bind_now = true;
        else if (tag == "(FLAGS)") f.flags.insert(f.flags.end(), tok.begin() + 2, tok.end());
        else if (tag == "(FLAGS_1)" && tok.size() > 3) f.flags1.insert(f.flags1.end(), tok.begin() + 3, tok.end());
        break;
      }
      case kVerneed: {
        size_t file = line.find("File: ");
        size_t name = line.find("Name: ");
        if (file != std::string::npos) {
          OracleVerneed v;
          v.file = Split(line.substr(file + 6))[0];
          f.verneed.push_back(v);
        } else if (name != std::string::npos && !f.verneed.empty()) {
          f.verneed.back().names.push_back(Split(line.substr(name + 6))[0]);
        }
        break;
      }
      case kNotes: {
        // readelf names every type-4 note "GO BUILDID"; only the one owned by "Go" is.
        if (line.find("GO BUILDID") == std::string::npos || tok.empty() || tok[0] != "Go") break;
        size_t d = line.find("description data:");
        std::string hex;
        if (d != std::string::npos) {
          hex = line.substr(d + 17);
        } else if (std::getline(in, line) && (d = line.find("description data:")) != std::string::npos) {
          hex = line.substr(d + 17);
        }
        for (const std::string& b : Split(hex)) f.go_build_id.push_back(static_cast<char>(ParseHex(b)));
        break;
      }
      default: break;
    }
  }
  return f;
}

}  // namespace barekit::exe::testing_util

#endif  // EXE_ELF_TEST_UTIL_H_
