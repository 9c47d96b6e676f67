#include "base/file_window.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace barekit {
namespace {

// A temporary file of `n` pseudo-random bytes, one in 16 of them NUL, mapped.
class WindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/barekit-window-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    path_ = path;
    std::mt19937 rng(7);
    content_.resize(4096);
    for (char& c : content_) c = (rng() % 16 == 0) ? '\0' : static_cast<char>('a' + rng() % 26);
    ASSERT_EQ(write(fd, content_.data(), content_.size()), static_cast<ssize_t>(content_.size()));
    close(fd);
    auto m = MappedFile::Open(path_);
    ASSERT_TRUE(m.ok());
    file_ = std::move(m).value();
  }
  void TearDown() override { unlink(path_.c_str()); }

  const std::byte* At(size_t off) const { return file_.bytes().data() + off; }

  std::string path_;
  std::string content_;
  MappedFile file_;
};

TEST_F(WindowTest, ForwardReadsComeFromTheBufferWithTheMappingsBytes) {
  std::vector<std::byte> buf(64);
  FileWindow w(&file_, buf);
  for (size_t off = 0; off + 12 <= content_.size(); off += 8) {
    const std::byte* p = w.At(At(off), 12);
    EXPECT_GE(p, buf.data()) << off;
    EXPECT_LE(p + 12, buf.data() + buf.size()) << off;
    EXPECT_EQ(std::memcmp(p, At(off), 12), 0) << off;
  }
}

TEST_F(WindowTest, ReadsBehindTheWindowOrLargerThanItComeFromTheMapping) {
  std::vector<std::byte> buf(64);
  FileWindow w(&file_, buf);
  w.At(At(1000), 8);
  EXPECT_EQ(w.At(At(10), 8), At(10));        // behind
  EXPECT_EQ(w.At(At(2000), 100), At(2000));  // larger than the buffer
  FileWindow none(nullptr, buf);
  EXPECT_EQ(none.At(At(5), 4), At(5));
}

TEST_F(WindowTest, ReadsUpToTheLastByteOfTheFile) {
  std::vector<std::byte> buf(64);
  FileWindow w(&file_, buf);
  const size_t off = content_.size() - 4;
  const std::byte* p = w.At(At(off), 4);
  EXPECT_EQ(p, buf.data());
  EXPECT_EQ(std::memcmp(p, At(off), 4), 0);
}

// Every offset, walked forward, with limits shorter and longer than the buffer: the window finds
// the string barekit::CStringAt finds in the mapping, or refuses it as that does.
TEST_F(WindowTest, CStringAtAgreesWithTheMappingEverywhere) {
  const Bytes all = file_.bytes();
  for (size_t max_len : {size_t{5}, size_t{40}, size_t{1} << 16}) {
    for (size_t end_at : {content_.size(), content_.size() - 100}) {
      std::vector<std::byte> buf(32);
      FileWindow w(&file_, buf);
      for (size_t off = 0; off < content_.size(); ++off) {
        auto want = CStringAt(all.subspan(0, end_at), off, max_len);
        auto got = w.CStringAt(At(off), At(end_at), max_len);
        ASSERT_EQ(got.has_value(), want.has_value()) << off << " max " << max_len;
        if (want) ASSERT_EQ(*got, *want) << off << " max " << max_len;
      }
    }
  }
}

// Strings behind the window (a name shared with an earlier function) are read into the side
// buffer when they fit there, and are the mapping's bytes either way; the window stays put.
TEST_F(WindowTest, StringsBehindTheWindowComeFromTheSideBuffer) {
  const Bytes all = file_.bytes();
  std::vector<std::byte> buf(32), side(16);
  FileWindow w(&file_, buf, side);
  w.At(At(3000), 8);
  size_t from_side = 0;
  for (size_t max_len : {size_t{5}, size_t{1} << 16}) {
    for (size_t off = 0; off < 2900; ++off) {
      auto want = CStringAt(all, off, max_len);
      auto got = w.CStringAt(At(off), At(content_.size()), max_len);
      ASSERT_EQ(got.has_value(), want.has_value()) << off << " max " << max_len;
      if (!want) continue;
      ASSERT_EQ(*got, *want) << off;
      const auto* d = reinterpret_cast<const std::byte*>(got->data());
      if (want->size() < side.size()) {
        EXPECT_TRUE(d >= side.data() && d < side.data() + side.size()) << off;
        ++from_side;
      }
    }
  }
  EXPECT_GT(from_side, 1000u);
  EXPECT_EQ(w.At(At(3004), 4), buf.data() + 4);  // the window did not move
}

TEST_F(WindowTest, AStringLongerThanTheBufferIsReadFromTheMapping) {
  content_.assign(300, 'x');
  content_.push_back('\0');
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  FILE* f = std::fopen(path_.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fwrite(content_.data(), 1, content_.size(), f);
  std::fclose(f);
  auto m = MappedFile::Open(path_);
  ASSERT_TRUE(m.ok());
  std::vector<std::byte> buf(64);
  FileWindow w(&*m, buf);
  const std::byte* p = m->bytes().data();
  auto s = w.CStringAt(p, p + m->size(), 1 << 16);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->size(), 300u);
  EXPECT_EQ(reinterpret_cast<const std::byte*>(s->data()), p);
}

}  // namespace
}  // namespace barekit
