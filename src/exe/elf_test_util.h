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
  std::vector<std::string> flags, flags1;           // words after (FLAGS) / (FLAGS_1) Flags:
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
  std::string out =
      Shell("LC_ALL=C readelf --wide -h -S -l -d -V -n '" + path + "' 2>/dev/null", &st);
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
    if (line.rfind("  Class:", 0) == 0)
      f.elf_class = after_colon() == "ELF64" ? 64 : 32;
    else if (line.rfind("  Data:", 0) == 0)
      f.little = after_colon().find("little") != std::string::npos;
    else if (line.rfind("  OS/ABI:", 0) == 0)
      f.osabi = after_colon();
    else if (line.rfind("  Type:", 0) == 0)
      f.type = tok.size() > 1 ? tok[1] : "";
    else if (line.rfind("  Entry point address:", 0) == 0)
      f.entry = ParseHex(after_colon());
    else if (line.rfind("  Number of section headers:", 0) == 0)
      f.shnum = std::strtoull(after_colon().c_str(), nullptr, 10);
    if (line.rfind("Section Headers:", 0) == 0) {
      mode = kSections;
      continue;
    }
    if (line.rfind("Program Headers:", 0) == 0) {
      mode = kSegments;
      continue;
    }
    if (line.rfind("Dynamic section at offset", 0) == 0) {
      mode = kDynamic;
      f.has_dynamic = true;
      continue;
    }
    if (line.rfind("Version needs section", 0) == 0) {
      mode = kVerneed;
      continue;
    }
    if (line.rfind("Displaying notes found", 0) == 0) {
      mode = kNotes;
      continue;
    }
    if (line.rfind("Version symbols section", 0) == 0 ||
        line.rfind("Version definition section", 0) == 0 ||
        line.rfind(" Section to Segment mapping", 0) == 0 || line.rfind("Key to Flags", 0) == 0) {
      mode = kNone;
      continue;
    }
    switch (mode) {
      case kSections: {
        size_t lb = line.find('['), rb = line.find(']');
        if (lb == std::string::npos || rb == std::string::npos ||
            line.find("[Nr]") != std::string::npos)
          break;
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
        if (tag == "(NEEDED)")
          f.needed.push_back(Bracketed(line));
        else if (tag == "(RPATH)")
          f.rpath.push_back(Bracketed(line));
        else if (tag == "(RUNPATH)")
          f.runpath.push_back(Bracketed(line));
        else if (tag == "(BIND_NOW)")
          f.dt_bind_now = true;
        else if (tag == "(FLAGS)")
          f.flags.insert(f.flags.end(), tok.begin() + 2, tok.end());
        else if (tag == "(FLAGS_1)" && tok.size() > 3)
          f.flags1.insert(f.flags1.end(), tok.begin() + 3, tok.end());
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
        } else if (std::getline(in, line) &&
                   (d = line.find("description data:")) != std::string::npos) {
          hex = line.substr(d + 17);
        }
        for (const std::string& b : Split(hex))
          f.go_build_id.push_back(static_cast<char>(ParseHex(b)));
        break;
      }
      default:
        break;
    }
  }
  return f;
}

// Builds small synthetic ELF files for cases no compiler here produces: other byte orders and
// machines, OS notes, extended numbering, hand-placed dynamic and version tables.
struct MiniElf {
  struct Sec {
    std::string name;
    uint32_t type = 1;  // SHT_PROGBITS
    uint64_t flags = 0, addr = 0;
    std::string data;
    uint32_t link = 0, info = 0;
    uint64_t entsize = 0;
    uint64_t offset = 0;  // filled by Build
  };
  struct Seg {
    uint32_t type = 1, flags = 4;
    uint64_t vaddr = 0;
    std::string data;  // own bytes, unless `section` names one whose bytes it covers
    int section = -1;
    uint64_t align = 4;
    uint64_t extra_mem = 0;
  };
  bool is64 = true, big = false;
  uint8_t osabi = 0;
  uint16_t type = 2, machine = 62;
  uint32_t flags = 0;
  uint64_t entry = 0x401000;
  bool with_sections = true;
  std::vector<Sec> secs;
  std::vector<Seg> segs;

  void Put(std::string& b, uint64_t off, uint64_t v, int n) const {
    if (b.size() < off + n) b.resize(off + n);
    for (int i = 0; i < n; ++i) {
      int shift = big ? 8 * (n - 1 - i) : 8 * i;
      b[off + i] = static_cast<char>((v >> shift) & 0xff);
    }
  }
  std::string U32(uint64_t v) const {
    std::string s;
    Put(s, 0, v, 4);
    return s;
  }
  std::string Word(uint64_t v) const {
    std::string s;
    Put(s, 0, v, is64 ? 8 : 4);
    return s;
  }
  // One note: namesz, descsz, type, name and descriptor each padded to 4.
  std::string Note(const std::string& name, uint32_t ntype, const std::string& desc) const {
    std::string n = name + std::string(1, '\0');
    std::string out = U32(n.size()) + U32(desc.size()) + U32(ntype) + n;
    out.resize((out.size() + 3) & ~size_t{3}, '\0');
    out += desc;
    out.resize((out.size() + 3) & ~size_t{3}, '\0');
    return out;
  }

  std::string Build() {
    const int w = is64 ? 8 : 4;
    const uint64_t ehsize = is64 ? 64 : 52, phent = is64 ? 56 : 32, shent = is64 ? 64 : 40;
    std::string b(ehsize, '\0');
    b[0] = 0x7f;
    b[1] = 'E';
    b[2] = 'L';
    b[3] = 'F';
    b[4] = is64 ? 2 : 1;
    b[5] = big ? 2 : 1;
    b[6] = 1;
    b[7] = static_cast<char>(osabi);
    Put(b, 16, type, 2);
    Put(b, 18, machine, 2);
    Put(b, 20, 1, 4);
    Put(b, 24, entry, w);
    const uint64_t phoff = ehsize;
    b.resize(phoff + segs.size() * phent);
    // Section data, then the name table, then section headers.
    std::string names(1, '\0');
    std::vector<uint64_t> name_off;
    for (const Sec& s : secs) {
      name_off.push_back(names.size());
      names += s.name + std::string(1, '\0');
    }
    const uint64_t shstrtab_name = names.size();
    names += std::string(".shstrtab") + std::string(1, '\0');
    for (Sec& s : secs) {
      b.resize((b.size() + 7) & ~size_t{7});
      s.offset = b.size();
      if (s.type != 8) b += s.data;
    }
    uint64_t names_off = b.size();
    b += names;
    // Segment data.
    std::vector<uint64_t> seg_off, seg_size;
    for (const Seg& g : segs) {
      if (g.section >= 0) {
        seg_off.push_back(secs[g.section].offset);
        seg_size.push_back(secs[g.section].data.size());
      } else {
        b.resize((b.size() + 7) & ~size_t{7});
        seg_off.push_back(b.size());
        seg_size.push_back(g.data.size());
        b += g.data;
      }
    }
    for (size_t i = 0; i < segs.size(); ++i) {
      const Seg& g = segs[i];
      uint64_t at = phoff + i * phent;
      Put(b, at, g.type, 4);
      if (is64) {
        Put(b, at + 4, g.flags, 4);
        Put(b, at + 8, seg_off[i], 8);
        Put(b, at + 16, g.vaddr, 8);
        Put(b, at + 24, g.vaddr, 8);
        Put(b, at + 32, seg_size[i], 8);
        Put(b, at + 40, seg_size[i] + g.extra_mem, 8);
        Put(b, at + 48, g.align, 8);
      } else {
        Put(b, at + 4, seg_off[i], 4);
        Put(b, at + 8, g.vaddr, 4);
        Put(b, at + 12, g.vaddr, 4);
        Put(b, at + 16, seg_size[i], 4);
        Put(b, at + 20, seg_size[i] + g.extra_mem, 4);
        Put(b, at + 24, g.flags, 4);
        Put(b, at + 28, g.align, 4);
      }
    }
    uint64_t shoff = 0, shnum = 0, shstrndx = 0;
    if (with_sections) {
      b.resize((b.size() + 7) & ~size_t{7});
      shoff = b.size();
      shnum = secs.size() + 2;  // null + secs + .shstrtab
      shstrndx = shnum - 1;
      b.resize(shoff + shnum * shent);
      auto put_sh = [&](uint64_t idx, uint64_t name, uint32_t t, uint64_t fl, uint64_t addr,
                        uint64_t off, uint64_t size, uint32_t link, uint32_t info, uint64_t es) {
        uint64_t at = shoff + idx * shent;
        Put(b, at, name, 4);
        Put(b, at + 4, t, 4);
        Put(b, at + 8, fl, w);
        Put(b, at + 8 + w, addr, w);
        Put(b, at + 8 + 2 * w, off, w);
        Put(b, at + 8 + 3 * w, size, w);
        Put(b, at + 8 + 4 * w, link, 4);
        Put(b, at + 12 + 4 * w, info, 4);
        Put(b, at + 16 + 4 * w, 1, w);
        Put(b, at + 16 + 5 * w, es, w);
      };
      for (size_t i = 0; i < secs.size(); ++i) {
        const Sec& s = secs[i];
        put_sh(i + 1, name_off[i], s.type, s.flags, s.addr, s.offset, s.data.size(), s.link, s.info,
               s.entsize);
      }
      put_sh(shnum - 1, shstrtab_name, 3, 0, 0, names_off, names.size(), 0, 0, 0);
    }
    const uint64_t rest = 24 + 3 * w;
    Put(b, 24 + w, segs.empty() ? 0 : phoff, w);
    Put(b, 24 + 2 * w, shoff, w);
    Put(b, rest, flags, 4);
    Put(b, rest + 4, ehsize, 2);
    Put(b, rest + 6, phent, 2);
    Put(b, rest + 8, segs.size(), 2);
    Put(b, rest + 10, shent, 2);
    Put(b, rest + 12, shnum, 2);
    Put(b, rest + 14, shstrndx, 2);
    return b;
  }
};

}  // namespace barekit::exe::testing_util

#endif  // EXE_ELF_TEST_UTIL_H_
