#include "gobin/packages.h"

#include <gtest/gtest.h>

namespace barekit::gobin {
namespace {

BuildInfo Info() {
  BuildInfo b;
  Module main;
  main.path = "github.com/me/app";
  b.main = main;
  Module dep;
  dep.path = "github.com/a/lib";
  dep.version = "v1.2.3";
  b.deps.push_back(dep);
  Module nested;
  nested.path = "github.com/a/lib/v2";
  nested.version = "v2.0.0";
  b.deps.push_back(nested);
  Module yaml;
  yaml.path = "gopkg.in/yaml.v3";
  yaml.version = "v3.0.1";
  b.deps.push_back(yaml);
  return b;
}

TEST(ModuleMapper, LongestModulePathWins) {
  BuildInfo info = Info();
  ModuleMapper m(&info);
  std::string mod;
  EXPECT_EQ(m.Classify("github.com/me/app/cmd", &mod), ModuleKind::kMain);
  EXPECT_EQ(mod, "github.com/me/app");
  EXPECT_EQ(m.Classify("github.com/a/lib/v2/x", &mod), ModuleKind::kDependency);
  EXPECT_EQ(mod, "github.com/a/lib/v2@v2.0.0");
  EXPECT_EQ(m.Classify("github.com/a/lib", &mod), ModuleKind::kDependency);
  EXPECT_EQ(mod, "github.com/a/lib@v1.2.3");
  EXPECT_EQ(m.Classify("github.com/a/library", &mod), ModuleKind::kUnknown);
  EXPECT_EQ(mod, "github.com/a/library?");
  EXPECT_EQ(m.Classify("net/http", &mod), ModuleKind::kStdlib);
  EXPECT_EQ(mod, "std");
  EXPECT_EQ(m.Classify("main", &mod), ModuleKind::kMain);
  EXPECT_EQ(mod, "github.com/me/app");
}

TEST(ModuleMapper, WithoutBuildInfo) {
  ModuleMapper m(nullptr);
  std::string mod;
  EXPECT_EQ(m.Classify("main", &mod), ModuleKind::kMain);
  EXPECT_EQ(m.Classify("runtime/generated", &mod), ModuleKind::kGenerated);
  EXPECT_EQ(m.Classify("", &mod), ModuleKind::kGenerated);
  EXPECT_EQ(m.Classify("google.golang.org/grpc/internal", &mod), ModuleKind::kUnknown);
  EXPECT_EQ(mod, "google.golang.org/grpc?");
}

TEST(SizeByPackage, SumsSizesAndUnescapesPaths) {
  FunctionTable t;
  const char* names[] = {"main.main",
                         "gopkg.in/yaml%2ev3.Unmarshal",
                         "gopkg.in/yaml%2ev3.Marshal",
                         "go:buildid",
                         "net/http.Get",
                         "main.init"};
  uint64_t entry = 0x1000;
  for (const char* n : names) {
    Function f;
    f.entry = entry;
    f.size = 0x10;
    f.name = n;
    entry += 0x10;
    t.funcs.push_back(f);
  }
  t.funcs[1].size = 0x100;
  BuildInfo info = Info();
  PackageReport rep = SizeByPackage(t, &info);
  EXPECT_EQ(rep.total_functions, 6u);
  EXPECT_EQ(rep.total_code_bytes, 0x100u + 5 * 0x10);
  ASSERT_EQ(rep.packages.size(), 4u);
  EXPECT_EQ(rep.packages[0].package, "gopkg.in/yaml.v3");
  EXPECT_EQ(rep.packages[0].module, "gopkg.in/yaml.v3@v3.0.1");
  EXPECT_EQ(rep.packages[0].functions, 2u);
  EXPECT_EQ(rep.packages[0].code_bytes, 0x110u);
  EXPECT_EQ(rep.packages[1].package, "main");
  EXPECT_EQ(rep.packages[1].module, "github.com/me/app");
  EXPECT_EQ(rep.packages[1].code_bytes, 0x20u);
  EXPECT_EQ(rep.modules.front().module, "gopkg.in/yaml.v3@v3.0.1");
}

}  // namespace
}  // namespace barekit::gobin
