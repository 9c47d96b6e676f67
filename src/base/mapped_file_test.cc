#include "base/mapped_file.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace barekit {
namespace {

TEST(MappedFile, RefusesDirectoriesAndDevices) {
  auto d = MappedFile::Open("/");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "is a directory");
  auto z = MappedFile::Open("/dev/zero");
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.status().message(), "not a regular file");
}

TEST(MappedFile, MissingFileIsNotFound) {
  auto m = MappedFile::Open("/nonexistent/barekit");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(m.status().IsNotFound());
}

TEST(MappedFile, MapsContents) {
  char path[] = "/tmp/barekit-mapped-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "hello", 5), 5);
  close(fd);
  auto m = MappedFile::Open(path);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(AsStringView(m->bytes()), "hello");
  unlink(path);
}

}  // namespace
}  // namespace barekit
