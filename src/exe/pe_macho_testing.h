// Test helpers shared by pe_test.cc and macho_test.cc: the Go-built PE/Mach-O binaries of
// tests/testdata/pemacho/make_pemacho.sh, the goreader oracle (Go's debug/pe and debug/macho),
// and a rendering of barekit's ObjectFile in goreader's line format so the two compare as text.
#ifndef EXE_PE_MACHO_TESTING_H_
#define EXE_PE_MACHO_TESTING_H_

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "exe/object_file.h"

namespace barekit::exe::testing {

inline std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Output of a shell command (stdout only); "" when it could not run.
inline std::string RunCapture(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  if (status != nullptr) *status = st;
  return out;
}

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The directory holding the Go-built test binaries and goreader, built on first use (the
// script skips what exists and serialises concurrent runs). "" when Go is not installed.
inline const std::string& PeMachoDir() {
  static const std::string dir = [] {
    const char* env = std::getenv("BAREKIT_PEMACHO_DIR");
    std::string d =
        env != nullptr && *env != '\0' ? env : "/tmp/barekit-pemacho-" + std::to_string(getuid());
    int st = -1;
    std::string log = RunCapture(std::string("sh ") + BAREKIT_SOURCE_DIR +
                                     "/tests/testdata/pemacho/make_pemacho.sh '" + d + "' 2>&1",
                                 &st);
    if (st != 0) {
      std::fprintf(stderr, "make_pemacho.sh failed:\n%s\n", log.c_str());
      return std::string();
    }
    return d;
  }();
  return dir;
}

// goreader's view of `path` (see tests/testdata/pemacho/goreader.go).
inline std::string GoReader(const std::string& path) {
  return RunCapture(PeMachoDir() + "/goreader '" + path + "'");
}

// barekit's view in goreader's format.
inline std::string Render(const std::vector<ObjectFile>& objs, std::string* error = nullptr) {
  std::string out;
  for (const ObjectFile& o : objs) {
    bool pe = o.format == Format::kPe;
    out += "== " + std::to_string(o.slice_offset) + "\n";
    out += "arch " + std::string(o.arch) + "\n";
    if (pe) out += "base " + Hex(o.image_base) + "\n";
    for (const Section& s : o.sections) {
      out += "sec " + std::string(s.name) + " " + (pe ? "-" : std::string(s.segment)) + " " +
             Hex(s.addr) + " " + Hex(s.size) + " " + Hex(s.offset) + "\n";
    }
    for (const std::string& lib : o.linkage.needed) out += "lib " + lib + "\n";
    out += std::string("symtab ") + (o.has_symtab ? "1" : "0") + "\n";
    out += std::string("dwarf ") + (o.has_dwarf ? "1" : "0") + "\n";
    out += std::string("pie ") + (o.linkage.pie ? "1" : "0") + "\n";
    out += std::string("nx ") + (o.linkage.nx_stack ? "1" : "0") + "\n";
    auto syms = ReadSymbols(o);
    if (!syms.ok()) {
      if (error != nullptr) *error = syms.status().message();
      continue;
    }
    for (const Symbol& s : *syms) {
      std::string_view name = s.name;
      // Go's debug/macho drops the C prefix '_' of names that contain a '.'; barekit keeps
      // the raw name, so compare in Go's spelling.
      if (!pe && !name.empty() && name[0] == '_' && name.find('.') != std::string_view::npos) {
        name.remove_prefix(1);
      }
      out += "sym " + std::string(name) + " " + Hex(s.value) + "\n";
    }
  }
  return out;
}

// Opens the file and renders it; the error message instead when it fails.
inline std::string OpenAndRender(const std::string& bytes) {
  auto objs = OpenObject(AsBytes(bytes));
  if (!objs.ok()) return "error: " + objs.status().message();
  std::string err;
  std::string out = Render(*objs, &err);
  return err.empty() ? out : "error: " + err;
}

// Compares barekit with goreader on every PE (want_pe) or Mach-O file under `root`; returns how
// many files were compared. For the corpus and make_fixtures.sh's $BAREKIT_FIXTURES.
template <typename OnMismatch>
int CompareTreeWithGoReader(const std::string& root, bool want_pe, OnMismatch on_mismatch) {
  std::error_code ec;
  int seen = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->file_size(ec) < 1024) continue;
    std::string path = it->path().string();
    std::string head(4, '\0');
    {
      std::ifstream in(path, std::ios::binary);
      in.read(head.data(), 4);
    }
    bool pe = head.substr(0, 2) == "MZ";
    bool macho = head == "\xcf\xfa\xed\xfe" || head == "\xce\xfa\xed\xfe" ||
                 head == "\xca\xfe\xba\xbe" || head == "\xfe\xed\xfa\xcf" ||
                 head == "\xfe\xed\xfa\xce";
    if (want_pe ? !pe : !macho) continue;
    std::string bytes = ReadWholeFile(path);
    std::string ours = OpenAndRender(bytes), go = GoReader(path);
    if (ours != go) on_mismatch(path, ours, go);
    ++seen;
  }
  return seen;
}

// $BAREKIT_CORPUS, else ~/.cache/barekit-corpus.
inline std::string CorpusDir() {
  const char* env = std::getenv("BAREKIT_CORPUS");
  if (env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.cache/barekit-corpus";
}

// Every offset a truncation test cuts at: each byte of the first `dense` bytes, then `spread`
// cuts spaced over the rest.
inline std::vector<size_t> CutPoints(size_t size, size_t dense = 4096, size_t spread = 300) {
  std::vector<size_t> cuts;
  for (size_t i = 0; i < size && i < dense; ++i) cuts.push_back(i);
  for (size_t k = 0; k < spread && size > dense; ++k)
    cuts.push_back(dense + (size - dense) * k / spread);
  return cuts;
}

}  // namespace barekit::exe::testing

#endif  // EXE_PE_MACHO_TESTING_H_
