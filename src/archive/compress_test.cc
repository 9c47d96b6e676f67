#include "archive/compress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "archive/test_util.h"

namespace barekit::archive {
namespace {

using testing::RunCommand;
using testing::TempDir;

std::string Payload() {
  std::string s;
  for (int i = 0; i < 300000; ++i) s += "line " + std::to_string(i % 977) + "\n";
  return s;
}

std::string Compress(Compression c, const std::string& in, size_t chunk) {
  StringSink out;
  auto comp = MakeCompressor(c, DefaultLevel(c), &out);
  EXPECT_TRUE(comp.ok());
  for (size_t i = 0; i < in.size(); i += chunk) {
    EXPECT_TRUE((*comp)->Write(AsBytes(std::string_view(in).substr(i, chunk))).ok());
  }
  EXPECT_TRUE((*comp)->Finish().ok());
  return out.str();
}

TEST(Compress, GzipHeaderHasNoTimeNoNameAndGzipAcceptsIt) {
  TempDir dir;
  std::string in = Payload();
  std::string gz = Compress(Compression::kGzip, in, 4096);
  ASSERT_GT(gz.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(gz[3], 0) << "FLG: no name, no comment, no extra";
  EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0')) << "MTIME must be 0";
  testing::WriteStringToFile(dir / "x.gz", gz);
  auto r = RunCommand("gzip -t " + (dir / "x.gz"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand("gzip -dc " + (dir / "x.gz") + " > " + (dir / "x"));
  EXPECT_EQ(testing::ReadFileToString(dir / "x"), in);
}

TEST(Compress, ChunkingDoesNotChangeTheBytes) {
  std::string in = Payload();
  EXPECT_EQ(Compress(Compression::kGzip, in, 1), Compress(Compression::kGzip, in, 65536));
  EXPECT_EQ(Compress(Compression::kZstd, in, 777), Compress(Compression::kZstd, in, 1 << 20));
}

TEST(Compress, ZstdStreamPassesZstdTest) {
  TempDir dir;
  std::string in = Payload();
  testing::WriteStringToFile(dir / "x.zst", Compress(Compression::kZstd, in, 10000));
  auto r = RunCommand("zstd -q -t " + (dir / "x.zst"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand("zstd -q -dc " + (dir / "x.zst") + " > " + (dir / "x"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(testing::ReadFileToString(dir / "x"), in);
}

TEST(Compress, NoneIsPassThroughAndNamesParse) {
  EXPECT_EQ(Compress(Compression::kNone, "abc", 1), "abc");
  EXPECT_EQ(ParseCompression("zstd"), Compression::kZstd);
  EXPECT_FALSE(ParseCompression("xz").has_value());
  StringSink out;
  EXPECT_FALSE(MakeCompressor(Compression::kGzip, 12, &out).ok());
}

}  // namespace
}  // namespace barekit::archive
