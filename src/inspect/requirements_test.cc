#include "inspect/requirements.h"

#include <gtest/gtest.h>

namespace barekit::inspect {
namespace {

TEST(ParseRequirements, AcceptsTheDocumentedList) {
  auto r = ParseRequirements(
      "static,nocgo,stripped,trimpath,os=linux,arch=arm64,go>=1.21,max-size=20MiB");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 8u);
  EXPECT_EQ((*r)[6].op, ">=");
  EXPECT_EQ((*r)[6].value, "1.21");
  EXPECT_EQ((*r)[7].bytes, 20u * 1024 * 1024);
}

TEST(ParseRequirements, UnknownItemNamesColumn) {
  auto r = ParseRequirements("static,bogus");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("column 8"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("'bogus'"), std::string::npos);
}

TEST(ParseSize, Units) {
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_EQ(*ParseSize("1.5MB"), 1500000u);
  EXPECT_EQ(*ParseSize("2k"), 2048u);
  EXPECT_FALSE(ParseSize("MiB").ok());
  EXPECT_FALSE(ParseSize("3 parsecs").ok());
  EXPECT_FALSE(ParseSize("1e400GiB").ok());
}

TEST(CompareGoVersions, OrdersReleasesAndCandidates) {
  EXPECT_LT(CompareGoVersions("go1.19.8", "1.21"), 0);
  EXPECT_EQ(CompareGoVersions("go1.21", "1.21.0"), 0);
  EXPECT_GT(CompareGoVersions("go1.27.3", "1.27"), 0);
  EXPECT_LT(CompareGoVersions("go1.22rc1", "go1.22"), 0);
  EXPECT_GT(CompareGoVersions("go1.100", "go1.99.9"), 0);
}

TEST(CheckRequirements, ReportsEachViolation) {
  FileReport f;
  f.path = "x";
  f.size = 100;
  SliceReport s;
  s.object.os = "linux";
  s.object.arch = "amd64";
  s.object.has_symtab = true;
  s.object.linkage.kind = exe::LinkKind::kDynamic;
  s.object.linkage.interpreter = "/lib64/ld-linux-x86-64.so.2";
  f.slices.push_back(std::move(s));
  auto reqs = ParseRequirements("static,stripped,arch=arm64,os=linux,max-size=50");
  ASSERT_TRUE(reqs.ok());
  auto v = CheckRequirements(f, *reqs);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], "not static: dynamically linked, interpreter /lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(v[1], "not stripped: symbol table");
  EXPECT_EQ(v[2], "arch is amd64, want arm64");
  EXPECT_EQ(v[3], "size 100 bytes exceeds max-size 50 (50 bytes)");
}

}  // namespace
}  // namespace barekit::inspect
