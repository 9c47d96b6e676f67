// Opening the control channel's character device (doc/boot-protocol.md): a path such as
// /dev/ttyS1, or the virtio-serial port whose /sys/class/virtio-ports/*/name matches. The
// device may appear only after a module loads, so "not there yet" is not an error: the event
// loop tries again every 200 ms.
#ifndef INIT_CONTROL_DEVICE_H_
#define INIT_CONTROL_DEVICE_H_

#include <string>

#include "base/unique_fd.h"
#include "init/boot_params.h"

namespace barekit::init {

// Opens the device O_RDWR|O_NOCTTY|O_NONBLOCK|O_CLOEXEC and, if it is a terminal, puts it in raw
// mode (no echo, no line editing, no output translation, modem lines ignored). Returns an invalid
// fd when the device does not exist (yet); other failures also set *error.
UniqueFd OpenControlDevice(const ControlSpec& spec, std::string* error);

}  // namespace barekit::init

#endif  // INIT_CONTROL_DEVICE_H_
