// The console marker lines of the boot protocol (doc/boot-protocol.md), by which `barekit boot`
// sees from the outside that init started, that every service is ready, and that the machine
// goes down on purpose. Each is one whole line, written with one write(2).
#ifndef INIT_BOOT_MARKERS_H_
#define INIT_BOOT_MARKERS_H_

#include <string>
#include <string_view>
#include <vector>

#include "init/config.h"
#include "init/supervisor.h"
#include "init/system_setup.h"

namespace barekit::init {

// `BAREKIT-INIT uptime_ms=<N> version=<v>`
std::string InitMarker(Millis uptime_ms, std::string_view version);
// `BAREKIT-READY n=<k> uptime_ms=<N> services=<a,b,...>`
std::string ReadyMarker(int n, Millis uptime_ms, const std::vector<Service>& services);
// `BAREKIT-DOWN action=<poweroff|reboot|halt> uptime_ms=<N>`
std::string DownMarker(PowerAction action, Millis uptime_ms);

const char* PowerActionName(PowerAction action);  // "poweroff", "reboot", "halt"

}  // namespace barekit::init

#endif  // INIT_BOOT_MARKERS_H_
