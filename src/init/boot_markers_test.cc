#include "init/boot_markers.h"

#include <gtest/gtest.h>

namespace barekit::init {
namespace {

TEST(BootMarkers, Lines) {
  EXPECT_EQ(InitMarker(1234, "0.1.0"), "BAREKIT-INIT uptime_ms=1234 version=0.1.0\n");
  std::vector<Service> services;
  EXPECT_EQ(ReadyMarker(1, 1500, services), "BAREKIT-READY n=1 uptime_ms=1500 services=\n");
  for (const char* name : {"db", "web"}) {
    services.push_back(Service{ServiceConfig{}});
    services.back().config.name = name;
  }
  EXPECT_EQ(ReadyMarker(2, 9, services), "BAREKIT-READY n=2 uptime_ms=9 services=db,web\n");
  EXPECT_EQ(DownMarker(PowerAction::kPowerOff, 7), "BAREKIT-DOWN action=poweroff uptime_ms=7\n");
  EXPECT_EQ(DownMarker(PowerAction::kReboot, 7), "BAREKIT-DOWN action=reboot uptime_ms=7\n");
  EXPECT_EQ(DownMarker(PowerAction::kHalt, 7), "BAREKIT-DOWN action=halt uptime_ms=7\n");
}

}  // namespace
}  // namespace barekit::init
