#include "base/mapped_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

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

// `text` mapped from a temporary file, which is gone again when the mapping is made.
Result<MappedFile> MapText(std::string_view text) {
  char path[] = "/tmp/barekit-mapped-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return Status::IoError("mkstemp failed");
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  auto m = MappedFile::Open(path);
  unlink(path);
  if (!written) return Status::IoError("write failed");
  return m;
}

TEST(MappedFile, MapsContents) {
  auto m = MapText("hello");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(AsStringView(m->bytes()), "hello");
}

TEST(MappedFile, ReadAtCopiesTheFilesBytesAndStopsAtItsEnd) {
  auto m = MapText("hello world");
  ASSERT_TRUE(m.ok());
  std::byte buf[8];
  ASSERT_EQ(m->ReadAt(6, buf), 5u);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(buf), 5), "world");
  ASSERT_EQ(m->ReadAt(0, std::span(buf, 5)), 5u);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(buf), 5), "hello");
  EXPECT_EQ(m->ReadAt(11, buf), 0u);
  EXPECT_EQ(m->ReadAt(1000, buf), 0u);
  MappedFile empty;
  EXPECT_EQ(empty.ReadAt(0, buf), 0u);
}

}  // namespace
}  // namespace barekit
