#include "vm/console.h"

#include <gtest/gtest.h>

#include <vector>

namespace barekit::vm {
namespace {

TEST(Marker, Protocol) {
  auto m = ParseMarker("BAREKIT-INIT uptime_ms=1523 version=0.1.0");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, MarkerKind::kInit);
  EXPECT_EQ(m->uptime_ms, 1523);
  m = ParseMarker("BAREKIT-READY n=2 uptime_ms=2001 services=web,db");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, MarkerKind::kReady);
  EXPECT_EQ(m->n, 2);
  EXPECT_EQ(m->services, "web,db");
  m = ParseMarker("\rBAREKIT-DOWN action=poweroff uptime_ms=9");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, MarkerKind::kDown);
  EXPECT_EQ(m->action, "poweroff");
  m = ParseMarker("BAREKIT-READY n=1 uptime_ms=5 services=");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->services, "");
}

TEST(Marker, NotMarkers) {
  for (const char* s : {"", "BAREKIT-", "BAREKIT-READYX n=1", "barekit-init: ready", "hello",
                        "U-Boot", "U-Boot SPL"})
    EXPECT_FALSE(ParseMarker(s)) << s;
  auto m = ParseMarker("BAREKIT-READY n=x uptime_ms=-5");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->n, -1);
  EXPECT_EQ(m->uptime_ms, -1);
}

TEST(Marker, FirmwareAndKernel) {
  EXPECT_EQ(ParseMarker("U-Boot 2023.01+dfsg-2+deb12u3 (Jan 01 2024)")->kind,
            MarkerKind::kUbootBanner);
  EXPECT_EQ(ParseMarker("Starting kernel ...")->kind, MarkerKind::kKernelStart);
  EXPECT_EQ(ParseMarker("[    2.1] Kernel panic - not syncing: Attempted to kill init!")->kind,
            MarkerKind::kKernelPanic);
}

TEST(Marker, ServiceFailed) {
  auto m = ParseMarker("barekit-init: web: failed: start limit reached (5 starts within 10000 ms)");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, MarkerKind::kServiceFailed);
  EXPECT_EQ(m->services, "web");
  EXPECT_EQ(m->action, "start limit reached (5 starts within 10000 ms)");
  EXPECT_FALSE(ParseMarker("barekit-init: web: exited with code 1; restarting in 50 ms"));
  EXPECT_FALSE(ParseMarker("web | barekit-init: a b: failed: x"));
}

TEST(LineSplitter, SplitsAndBounds) {
  LineSplitter s(8);
  std::vector<std::string> got;
  auto add = [&](std::string_view l) { got.emplace_back(l); };
  s.Feed("ab\r\ncd", add);
  s.Feed("e\n0123456789", add);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "ab");
  EXPECT_EQ(got[1], "cde");
  EXPECT_EQ(got[2], "01234567");
  EXPECT_EQ(s.pending(), "89");
}

}  // namespace
}  // namespace barekit::vm
