#include "init/boot_markers.h"

namespace barekit::init {

const char* PowerActionName(PowerAction action) {
  switch (action) {
    case PowerAction::kReboot:
      return "reboot";
    case PowerAction::kHalt:
      return "halt";
    case PowerAction::kPowerOff:
      return "poweroff";
  }
  return "poweroff";
}

std::string InitMarker(Millis uptime_ms, std::string_view version) {
  std::string s = "BAREKIT-INIT uptime_ms=" + std::to_string(uptime_ms) + " version=";
  s.append(version);
  s.push_back('\n');
  return s;
}

std::string ReadyMarker(int n, Millis uptime_ms, const std::vector<Service>& services) {
  std::string s = "BAREKIT-READY n=" + std::to_string(n) +
                  " uptime_ms=" + std::to_string(uptime_ms) + " services=";
  for (size_t i = 0; i < services.size(); ++i) {
    if (i) s.push_back(',');
    s += services[i].config.name;
  }
  s.push_back('\n');
  return s;
}

std::string DownMarker(PowerAction action, Millis uptime_ms) {
  return std::string("BAREKIT-DOWN action=") + PowerActionName(action) +
         " uptime_ms=" + std::to_string(uptime_ms) + "\n";
}

}  // namespace barekit::init
