#include "pack/library_closure.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>

#include <set>
#include <sstream>

#include "base/mapped_file.h"
#include "pack/pack_test_util.h"

namespace barekit::pack {
namespace {

using ::testing::HasSubstr;

struct Loaded {
  MappedFile map;
  exe::ObjectFile obj;
};

Loaded Load(const std::string& path) {
  Loaded l;
  auto m = MappedFile::Open(path);
  EXPECT_TRUE(m.ok()) << path;
  l.map = std::move(*m);
  auto objs = exe::OpenObject(l.map.bytes());
  EXPECT_TRUE(objs.ok()) << objs.status().message();
  l.obj = (*objs)[0];
  return l;
}

std::string RealPath(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? buf : p;
}

// lddtree's answer, as real paths relative to the root.
std::set<std::string> Lddtree(const std::string& bin, const std::string& root) {
  auto r = testing::RunCommand("/usr/bin/python3 /usr/bin/lddtree -l " +
                               (root == "/" ? "" : "--no-auto-root --root " + root + " ") + bin);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> out;
  std::istringstream in(r.output);
  std::string line;
  std::string prefix = root == "/" ? "" : RealPath(root);
  while (std::getline(in, line)) {
    if (line.empty() || line == bin) continue;
    std::string real = RealPath(line);
    if (!prefix.empty() && real.rfind(prefix, 0) == 0) real = real.substr(prefix.size());
    out.insert(real);
  }
  return out;
}

std::set<std::string> Ours(const LibraryClosure& c) {
  std::set<std::string> s;
  for (const auto& f : c.files) s.insert("/" + f.image_path);
  return s;
}

TEST(LibraryClosure, StaticBinaryNeedsNothing) {
  Loaded l = Load(testing::PackFixtures() + "/plain");
  ClosureOptions o;
  auto c = FindLibraryClosure(l.obj, o);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->files.empty());
}

TEST(LibraryClosure, AgreesWithLddtreeOnHostBinaries) {
  for (std::string bin : {"/usr/bin/skopeo", "/usr/bin/bsdtar", "/usr/bin/cpio"}) {
    Loaded l = Load(bin);
    ClosureOptions o;
    o.exe_host_path = bin;
    o.exe_image_path = "app/x";
    auto c = FindLibraryClosure(l.obj, o);
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(Ours(*c), Lddtree(bin, "/")) << bin;
    // The interpreter's link path is kept as a symlink (/lib64/ld-linux-x86-64.so.2 on amd64).
    bool has_interp_link = false;
    for (const auto& k : c->links) {
      has_interp_link |= l.obj.linkage.interpreter.rfind("/" + k.image_path, 0) == 0;
    }
    EXPECT_TRUE(has_interp_link) << bin;
  }
}

TEST(LibraryClosure, WorksAcrossArchitecturesInASysroot) {
  std::string bin = testing::PackFixtures() + "/hello.arm64";
  std::string root = "/usr/aarch64-linux-gnu";
  struct stat st;
  if (::stat(bin.c_str(), &st) != 0 || ::stat(root.c_str(), &st) != 0)
    GTEST_SKIP() << "no arm64 cross toolchain";
  Loaded l = Load(bin);
  ASSERT_EQ(l.obj.arch, "arm64");
  ClosureOptions o;
  o.sysroot = root;
  o.exe_host_path = bin;
  o.exe_image_path = "app/hello";
  auto c = FindLibraryClosure(l.obj, o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(Ours(*c), Lddtree(bin, root));
  EXPECT_FALSE(c->files.empty());
}

TEST(LibraryClosure, OriginRunpathMapsNextToTheBinary) {
  std::string bin = testing::PackFixtures() + "/bin/dyn";
  Loaded l = Load(bin);
  ClosureOptions o;
  o.exe_host_path = bin;
  o.exe_image_path = "app/dyn";
  auto c = FindLibraryClosure(l.obj, o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  bool found = false;
  for (const auto& f : c->files) {
    if (f.image_path == "lib/libfoo.so.1") {
      found = true;
      EXPECT_EQ(f.host_path, testing::PackFixtures() + "/bin/../lib/libfoo.so.1");
      EXPECT_THAT(f.reason, HasSubstr("libfoo.so.1, needed by /app/dyn"));
    }
  }
  EXPECT_TRUE(found);
}

TEST(LibraryClosure, MissingLibraryNamesItTheNeederAndTheSearch) {
  testing::TempDir empty;
  Loaded l = Load("/usr/bin/cpio");
  ClosureOptions o;
  o.sysroot = empty.path();
  o.exe_host_path = "/usr/bin/cpio";
  o.exe_image_path = "app/cpio";
  auto c = FindLibraryClosure(l.obj, o);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("interpreter /lib64/ld-linux-x86-64.so.2"));
  // With the interpreter present but no libc.
  ASSERT_EQ(
      testing::RunCommand("mkdir -p " + empty.path() + "/lib64 && cp /lib64/ld-linux-x86-64.so.2 " +
                          empty.path() + "/lib64/")
          .exit_code,
      0);
  c = FindLibraryClosure(l.obj, o);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("libc.so.6 (needed by /app/cpio) not found in sysroot " + empty.path()));
  EXPECT_THAT(c.status().message(), HasSubstr("/usr/lib/x86_64-linux-gnu"));
  o.sysroot = "/nonexistent-sysroot";
  EXPECT_THAT(FindLibraryClosure(l.obj, o).status().message(), HasSubstr("not a directory"));
}

TEST(LibraryClosure, LdSoConfIncludesAndComments) {
  auto dirs = ParseLdSoConf("# c\n/opt/a\ninclude /etc/ld.so.conf.d/*.conf\n  /opt/b # x\nbogus\n",
                            [](const std::string& pat) {
                              if (pat == "again") return std::vector<std::string>{"/z\n"};
                              EXPECT_EQ(pat, "/etc/ld.so.conf.d/*.conf");
                              return std::vector<std::string>{"/x\n", "include again\n/y"};
                            });
  EXPECT_THAT(dirs, ::testing::ElementsAre("/opt/a", "/x", "/z", "/y", "/opt/b"));
}

}  // namespace
}  // namespace barekit::pack
