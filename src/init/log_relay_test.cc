#include "init/log_relay.h"

#include <gtest/gtest.h>

namespace barekit::init {
namespace {

TEST(LineRelay, PrefixesCompleteLinesAndKeepsTheTail) {
  LineRelay r("web");
  std::string out;
  r.Feed("hello\nwor", &out);
  EXPECT_EQ(out, "web | hello\n");
  r.Feed("ld\n\nx", &out);
  EXPECT_EQ(out, "web | hello\nweb | world\nweb | \n");
  EXPECT_TRUE(r.has_partial());
  r.Flush(&out);
  EXPECT_EQ(out, "web | hello\nweb | world\nweb | \nweb | x\n");
}

TEST(LineRelay, ByteByByteGivesTheSameLines) {
  LineRelay r("a");
  std::string out;
  for (char c : std::string("one\ntwo\n")) r.Feed(std::string_view(&c, 1), &out);
  EXPECT_EQ(out, "a | one\na | two\n");
}

TEST(LineRelay, CutsOverlongLines) {
  LineRelay r("s");
  std::string out;
  r.Feed(std::string(LineRelay::kMaxLine + 5, 'x'), &out);
  EXPECT_EQ(out, "s | " + std::string(LineRelay::kMaxLine, 'x') + "\n");
  r.Feed("\n", &out);
  EXPECT_EQ(out.substr(out.size() - 10), "s | xxxxx\n");
}

}  // namespace
}  // namespace barekit::init
