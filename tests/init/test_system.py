"""System mode: barekit-init as PID 1 of a PID + mount + UTS + network namespace, chrooted into a
fake root the test builds (static busybox for the tools). It must mount the kernel filesystems,
bring lo up, set the hostname, run services, answer `status`, and power off / reboot through
reboot(2) — which in a PID namespace ends init with SIGINT / SIGHUP."""
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import initlib  # noqa: E402
from initlib import children, wait_until, read_line_with  # noqa: E402

BUSYBOX = shutil.which("busybox")
NS = ["unshare", "--pid", "--fork", "--mount", "--uts", "--net"]


def make_root(config):
    root = initlib.scratch("root-")
    for d in ("bin", "sbin", "etc/barekit", "dev", "proc", "sys", "run", "tmp"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy(BUSYBOX, root + "/bin/busybox")
    for tool in ("sh", "sleep", "cat", "grep", "hostname", "kill", "test", "echo", "ls", "wc", "ip"):
        os.symlink("busybox", root + "/bin/" + tool)
    shutil.copy(initlib.INIT, root + "/sbin/init")
    if config is not None:
        with open(root + "/etc/barekit/init.toml", "w") as f:
            f.write(config)
    return root


def usable():
    if not BUSYBOX or os.geteuid() != 0:
        return False
    return subprocess.run(NS + ["true"], capture_output=True).returncode == 0


CHECKS = r"""
hostname
test -d /proc/1 && echo proc-ok
test -c /dev/null && echo devtmpfs-ok
test -d /sys/class/net/lo && echo sysfs-ok
grep -q ' /dev/pts devpts' /proc/mounts && echo devpts-ok
grep -q ' /run tmpfs' /proc/mounts && echo run-ok
grep -q ' /tmp tmpfs' /proc/mounts && echo tmp-ok
grep -q ' /dev/shm tmpfs' /proc/mounts && echo shm-ok
test -L /dev/fd && echo fd-link-ok
echo lo-flags $(cat /sys/class/net/lo/flags)
echo env-$MARK
"""


@unittest.skipUnless(usable(), "needs root, busybox and unshare")
class SystemMode(unittest.TestCase):
    def boot(self, config, signal_after_ready=None):
        root = make_root(config)
        env = {"PATH": "/bin:/sbin", "MARK": "from-kernel"}
        p = subprocess.Popen(NS + ["chroot", root, "/sbin/init"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, env=env)
        return p, root

    def test_boot_supervise_and_power_off(self):
        config = """
[init]
hostname = "fakebox"
grace = "2s"

[service.checks]
argv = ["sh", "-c", %r]
oneshot = true

[service.daemon]
argv = ["sh", "-c", "trap 'echo daemon-stopping; exit 0' TERM; echo daemon-up; while :; do sleep 0.05; done"]
after = ["checks"]

[service.report]
argv = ["sh", "-c", "sleep 0.3; /sbin/init status; kill -USR2 1"]
after = ["daemon"]
oneshot = true
""" % CHECKS.replace("\n", "; ").strip("; ").replace('"', '\\"')
        config = config.replace("%r", "")
        p, root = self.boot(config)
        try:
            out, _ = p.communicate(timeout=20)
        finally:
            p.kill()
        self.assertEqual(p.returncode, -signal.SIGINT, out)  # power off in a PID namespace
        for want in ("checks | fakebox", "checks | proc-ok", "checks | devtmpfs-ok", "checks | sysfs-ok",
                     "checks | devpts-ok", "checks | run-ok", "checks | tmp-ok", "checks | shm-ok",
                     "checks | fd-link-ok", "checks | env-from-kernel", "daemon | daemon-up",
                     "daemon | daemon-stopping", "SIGUSR2: shutting down to power off", "powering off"):
            self.assertIn(want, out)
        flags = int([l for l in out.splitlines() if "lo-flags" in l][0].split()[-1], 16)
        self.assertTrue(flags & 1, "lo is not up")
        self.assertRegex(out, r"report \| daemon\s+running\s+pid=\d+")
        self.assertRegex(out, r"report \| checks\s+done")
        self.assertLess(out.index("daemon | daemon-stopping"), out.index("powering off"))
        shutil.rmtree(root, ignore_errors=True)

    def test_network_address_route_and_modules(self):
        config = """
[init]
modules = ["/lib/modules/missing.ko"]
network = { interface = "lo", address = "127.1.2.3/8", gateway = "127.0.0.9" }
[service.net]
argv = ["sh", "-c", "ip -4 addr show lo; ip route; kill -USR2 1"]
oneshot = true
"""
        p, root = self.boot(config)
        try:
            out, _ = p.communicate(timeout=20)
        finally:
            p.kill()
        self.assertEqual(p.returncode, -signal.SIGINT, out)
        self.assertIn("module /lib/modules/missing.ko: No such file or directory", out)
        self.assertIn("network: lo is 127.1.2.3/8", out)
        self.assertRegex(out, r"net \|\s+inet 127\.1\.2\.3/8")
        self.assertRegex(out, r"net \| default via 127\.0\.0\.9 dev lo")
        shutil.rmtree(root, ignore_errors=True)

    def test_term_reboots(self):
        p, root = self.boot('[service.idle]\nargv = ["sleep", "100"]\n')
        try:
            self.assertTrue(wait_until(lambda: children(p.pid)))
            init = children(p.pid)[0]
            self.assertTrue(wait_until(lambda: any(children(init))))
            os.kill(init, signal.SIGTERM)
            out, _ = p.communicate(timeout=15)
        finally:
            p.kill()
        self.assertEqual(p.returncode, -signal.SIGHUP, out)  # reboot in a PID namespace
        self.assertIn("SIGTERM: shutting down to reboot", out)
        shutil.rmtree(root, ignore_errors=True)

    def test_bad_config_keeps_pid1_up_and_it_still_powers_off(self):
        p, root = self.boot('[service.a]\nargv = ["sleep"\n')
        try:
            self.assertTrue(wait_until(lambda: children(p.pid)))
            init = children(p.pid)[0]
            read_line_with(p.stdout, "running without services")
            time.sleep(0.3)
            self.assertIsNone(p.poll(), "PID 1 must not exit on a bad config")
            os.kill(init, signal.SIGUSR2)
            out, _ = p.communicate(timeout=15)
        finally:
            p.kill()
        self.assertEqual(p.returncode, -signal.SIGINT)
        shutil.rmtree(root, ignore_errors=True)

    def test_crashing_services_never_take_pid1_down(self):
        p, root = self.boot('[service.crash]\nargv = ["sh", "-c", "kill -SEGV $$"]\nrestart = "always"\n'
                            'restart_delay = "10ms"\nstart_limit_burst = 5\n')
        try:
            self.assertTrue(wait_until(lambda: children(p.pid)))
            init = children(p.pid)[0]
            read_line_with(p.stdout, "crash: failed: start limit reached")
            self.assertIsNone(p.poll())
            os.kill(init, signal.SIGUSR1)  # halt
            p.communicate(timeout=15)
        finally:
            p.kill()
        self.assertEqual(p.returncode, -signal.SIGINT)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    initlib.main()
