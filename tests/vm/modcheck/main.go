// modcheck is a throwaway /init for tests/vm/test_kernel.py: it loads the modules listed in
// /etc/barekit/modules.order (the boot overlay) with finit_module, in order, then reports which
// virtio devices and power-key input devices appeared and powers the VM off. It checks the
// overlay and the kernel on their own, without barekit-init.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

func finitModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	nr := uintptr(313) // amd64
	if runtime.GOARCH == "arm64" {
		nr = 273
	}
	empty := []byte{0}
	_, _, e := syscall.Syscall(nr, f.Fd(), uintptr(unsafe.Pointer(&empty[0])), 0)
	if e != 0 && e != syscall.EEXIST {
		return e
	}
	return nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func main() {
	syscall.Mount("proc", "/proc", "proc", 0, "")
	syscall.Mount("sysfs", "/sys", "sysfs", 0, "")
	syscall.Mount("devtmpfs", "/dev", "devtmpfs", 0, "")
	order, err := os.ReadFile("/etc/barekit/modules.order")
	if err != nil {
		fmt.Println("MODCHECK error no modules.order:", err)
	}
	loaded, failed := 0, []string{}
	for _, line := range strings.Split(string(order), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := finitModule(line); err != nil {
			failed = append(failed, line+": "+err.Error())
		} else {
			loaded++
		}
	}
	// Devices probe asynchronously after the driver loads.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !(exists("/sys/class/block/vda") && exists("/sys/class/net/eth0")) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	input, _ := os.ReadFile("/proc/bus/input/devices")
	ports := ""
	if names, _ := os.ReadDir("/sys/class/virtio-ports"); len(names) > 0 {
		for _, n := range names {
			b, _ := os.ReadFile("/sys/class/virtio-ports/" + n.Name() + "/name")
			ports += strings.TrimSpace(string(b)) + ","
		}
	}
	marker, _ := os.ReadFile("/lib/marker")
	fmt.Printf("MODCHECK loaded=%d failed=%d vda=%v eth0=%v power_button=%v gpio_keys=%v ports=%s marker=%s\n",
		loaded, len(failed), exists("/sys/class/block/vda"), exists("/sys/class/net/eth0"),
		strings.Contains(string(input), "Power Button"), strings.Contains(string(input), "gpio-keys"),
		ports, strings.TrimSpace(string(marker)))
	for _, f := range failed {
		fmt.Println("MODCHECK failed:", f)
	}
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
