"""The guest side of the boot protocol (doc/boot-protocol.md) for real: barekit-init as PID 1 of a
PID + mount namespace chrooted into a fake root, with a pty as its control channel (the slave is
bind-mounted into the root and named by `barekit_control=`, as a serial port would be in a VM).
Checks the console markers, every control command, the retry while the channel is missing, bad
bytes on the channel, `barekit_net=` and /etc/barekit/modules.order."""
import os
import random
import re
import select
import signal
import subprocess
import sys
import time
import tty
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import initlib  # noqa: E402
from test_system import make_root, usable, NS  # noqa: E402

WEB = """
[service.setup]
argv = ["sh", "-c", "exit 0"]
oneshot = true

[service.web]
argv = ["sh", "-c", "echo web-up; exec sleep 1000"]
after = ["setup"]
restart_delay = "50ms"
"""


class Stream:
    """Accumulates what a fd yields; waits for lines matching a pattern."""

    def __init__(self, fd):
        self.fd = fd
        self.text = ""
        self.pos = 0  # lines before this offset were consumed by expect()

    def pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:
            return False
        self.text += chunk.decode(errors="replace")
        return bool(chunk)

    def expect(self, pattern, timeout=10):
        """The first whole line after the last match that matches pattern (re.search)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.text[self.pos:].split("\n")
            offset = self.pos
            for line in lines[:-1]:
                offset += len(line) + 1
                m = re.search(pattern, line)
                if m:
                    self.pos = offset
                    return m
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(left):
                if time.monotonic() >= deadline:
                    raise AssertionError("no line matching %r within %ss; got:\n%s" % (pattern, timeout, self.text))

    def wait_count(self, needle, n, timeout=10):
        """Waits until needle occurs n times anywhere (order-free, unlike expect)."""
        deadline = time.monotonic() + timeout
        while self.text.count(needle) < n and time.monotonic() < deadline:
            self.pump(max(0, deadline - time.monotonic()))
        if self.text.count(needle) < n:
            raise AssertionError("%r seen %d times, not %d; got:\n%s" % (needle, self.text.count(needle), n, self.text))

    def drain(self, timeout=0.2):
        while self.pump(timeout):
            pass


@unittest.skipUnless(usable(), "needs root, busybox and unshare")
class BootProtocol(unittest.TestCase):
    def boot(self, config, control="/ctl", env_extra=None, files=None):
        self.root = make_root(config)
        for path, text in (files or {}).items():
            os.makedirs(os.path.dirname(self.root + path), exist_ok=True)
            with open(self.root + path, "w") as f:
                f.write(text)
        self.master, slave = os.openpty()
        tty.setraw(slave)  # bytes sent before init opens the slave must not be echoed back
        slave_path = os.ttyname(slave)
        open(self.root + "/ctl", "w").close()
        env = {"PATH": "/bin:/sbin:/usr/bin:/usr/sbin", "barekit_control": control}
        env.update(env_extra or {})
        # The bind mount lives in the test's own mount namespace; chroot then execs init as PID 1.
        cmd = NS + ["sh", "-c", 'mount --bind "$1" "$2/ctl" && exec chroot "$2" /sbin/init', "sh", slave_path,
                    self.root]
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        os.close(slave)
        self.console = Stream(self.p.stdout.fileno())
        self.ctl = Stream(self.master)
        self.addCleanup(self.cleanup)

    def cleanup(self):
        initlib.kill_tree(self.p)
        self.p.wait(timeout=10)
        self.p.stdout.close()
        if self.master is not None:
            os.close(self.master)
        subprocess.run(["rm", "-rf", self.root])

    def send(self, line):
        os.write(self.master, line.encode() + b"\n")

    def ask(self, line, reply_pattern, timeout=10):
        self.send(line)
        return self.ctl.expect(reply_pattern, timeout)

    def finish(self, timeout=15):
        deadline = time.monotonic() + timeout
        while self.p.poll() is None and time.monotonic() < deadline:
            self.console.pump(0.1)
        self.console.drain(0.05)
        self.assertIsNotNone(self.p.poll(), "init did not go down:\n" + self.console.text)
        return self.p.returncode

    def test_markers_and_every_command(self):
        self.boot(WEB)
        init = self.console.expect(r"^BAREKIT-INIT uptime_ms=(\d+) version=(\S+)$")
        ready = self.console.expect(r"^BAREKIT-READY n=1 uptime_ms=(\d+) services=setup,web$")
        self.assertGreaterEqual(int(ready.group(1)), int(init.group(1)))

        self.console.wait_count("web | web-up", 1)  # the service really runs before it is killed
        self.ask("ping", r"^ok pong$")
        self.send("status")
        self.ctl.expect(r"^status setup done pid=0 restarts=0$")
        web = self.ctl.expect(r"^status web running pid=(\d+) restarts=0$")
        self.ctl.expect(r"^ok status$")

        killed = self.ask("kill web", r"^ok kill web pid=(\d+)$")
        self.assertEqual(killed.group(1), web.group(1))
        self.console.expect(r"web: killed by SIGKILL; restarting in 50 ms")
        again = self.console.expect(r"^BAREKIT-READY n=2 uptime_ms=(\d+) services=setup,web$")
        self.assertGreaterEqual(int(again.group(1)), int(ready.group(1)))
        self.send("status")
        web2 = self.ctl.expect(r"^status web running pid=(\d+) restarts=1$")
        self.console.wait_count("web | web-up", 2)
        self.assertNotEqual(web2.group(1), web.group(1))

        self.ask("kill web TERM", r"^ok kill web pid=%s$" % web2.group(1))
        self.console.expect(r"^BAREKIT-READY n=3 ")
        self.ask("kill nope", r"^err kill nope: no such service$")
        self.ask("kill setup", r"^err kill setup: not running \(done\)$")
        self.ask("kill web NOSIG", r"^err kill web: unknown signal 'NOSIG'$")
        self.ask("bogus \x01arg", r"^err unknown command 'bogus'$")
        self.ask("x" * 300, r"^err line too long$")
        self.ask("ping", r"^ok pong$")

        self.ask("poweroff", r"^ok poweroff$")
        self.assertEqual(self.finish(), -signal.SIGINT, self.console.text)  # poweroff in a PID namespace
        out = self.console.text
        self.assertIn("control channel: poweroff", out)
        down = re.search(r"^BAREKIT-DOWN action=poweroff uptime_ms=(\d+)$", out, re.M)
        self.assertTrue(down, out)
        self.assertLess(out.index("web: stopped"), down.start())
        self.assertEqual(len(re.findall(r"^BAREKIT-READY ", out, re.M)), 3, out)
        self.assertEqual(len(re.findall(r"^BAREKIT-INIT ", out, re.M)), 1, out)

    def test_no_services_late_channel_and_reboot(self):
        # The channel's path appears only after boot (like a device from a module): init retries.
        self.boot(None, control="/late", env_extra={"barekit_net": "garbage"})
        self.console.expect(r"barekit_net: no ':' after the interface in 'garbage'")
        self.console.expect(r"^BAREKIT-READY n=1 uptime_ms=\d+ services=$")
        self.send("ping")  # waits in the pty until init opens it
        time.sleep(0.5)
        self.assertNotIn("ok pong", self.ctl.text)
        os.symlink("/ctl", self.root + "/late")
        t0 = time.monotonic()
        self.ctl.expect(r"^ok pong$", timeout=5)
        self.assertLess(time.monotonic() - t0, 2.0)
        self.ask("status", r"^ok status$")
        self.ask("reboot", r"^ok reboot$")
        self.assertEqual(self.finish(), -signal.SIGHUP, self.console.text)  # reboot in a PID namespace
        self.assertRegex(self.console.text, r"(?m)^BAREKIT-DOWN action=reboot uptime_ms=\d+$")
        self.assertEqual(len(re.findall(r"^BAREKIT-READY ", self.console.text, re.M)), 1)

    def test_garbage_on_the_channel_is_answered_not_fatal(self):
        self.boot(WEB)
        self.console.expect(r"^BAREKIT-READY n=1 ")
        rnd = random.Random(6)
        blob = bytes(rnd.randrange(256) for _ in range(200000)) + b"\n" + b"y" * 100000 + b"\nping\n"
        sent = 0
        while sent < len(blob):  # write and read at once, so neither side's buffer stalls the other
            r, w, _ = select.select([self.master], [self.master], [], 5)
            self.assertTrue(r or w, "pty stalled")
            if r:
                self.ctl.pump(0)
            if w:
                sent += os.write(self.master, blob[sent:sent + 4096])
        self.ctl.expect(r"^ok pong$", timeout=20)
        self.assertIn("err line too long", self.ctl.text)
        for line in self.ctl.text.splitlines():
            self.assertRegex(line, r"^(ok|err|status) [\x20-\x7e]*$")
        self.ask("halt", r"^ok halt$")
        self.assertEqual(self.finish(), -signal.SIGINT)
        self.assertRegex(self.console.text, r"(?m)^BAREKIT-DOWN action=halt uptime_ms=\d+$")

    def test_host_that_does_not_read_never_blocks_init(self):
        self.boot(WEB)
        self.console.expect(r"^BAREKIT-READY n=1 ")
        # 20000 commands without reading a reply: init's writes hit EAGAIN, it keeps 64 KiB and
        # drops the rest, and still serves signals and the console meanwhile.
        blob = b"ping\nkill nope\n" * 10000  # replies of 8 and 31 bytes: buffer ends fall mid-line
        sent = 0
        while sent < len(blob):
            _, w, _ = select.select([], [self.master], [], 10)
            self.assertTrue(w, "init stopped reading its control channel")
            sent += os.write(self.master, blob[sent:sent + 4096])
        self.console.expect(r"control channel: the host is not reading; replies dropped")
        self.ctl.drain(0.3)
        pongs = self.ctl.text.count("ok pong\n")
        self.assertGreater(pongs, 1000)
        self.assertLess(pongs, 10000)
        for line in self.ctl.text.splitlines():  # whole lines only, never half of one
            self.assertIn(line, ("ok pong", "err kill nope: no such service"))
        self.ask("kill web", r"^ok kill web pid=\d+$")
        self.console.expect(r"^BAREKIT-READY n=2 ")
        self.ask("poweroff", r"^ok poweroff$")
        self.assertEqual(self.finish(), -signal.SIGINT)

    def test_host_hanging_up_costs_nothing(self):
        self.boot(WEB)
        self.console.expect(r"^BAREKIT-READY n=1 ")
        self.ask("ping", r"^ok pong$")
        init = initlib.children(self.p.pid)[0]

        def cpu_ticks():
            with open("/proc/%d/stat" % init) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])  # utime + stime

        # The pty's other side goes away: the slave reports EPOLLHUP and EIO from then on. Init must
        # not spin on it (it closes it and looks again every 200 ms).
        os.close(self.master)
        self.master = None
        time.sleep(0.3)
        before = cpu_ticks()
        time.sleep(1.0)
        used = cpu_ticks() - before
        self.assertLessEqual(used, 10, "init used %d ticks in 1 s after the hang-up" % used)
        os.kill(init, signal.SIGUSR2)
        self.assertEqual(self.finish(), -signal.SIGINT)
        self.assertRegex(self.console.text, r"(?m)^BAREKIT-DOWN action=poweroff ")

    def test_barekit_net_and_modules_order(self):
        config = """
[service.net]
argv = ["sh", "-c", "ip -4 addr show lo; ip route; kill -USR2 1"]
oneshot = true
"""
        files = {"/etc/barekit/modules.order": "# boot modules\n\n/lib/modules/missing.ko\nrelative.ko\n",
                 "/etc/barekit/image-modules.order": "/lib/modules/image-missing.ko\n"}
        self.boot(config, env_extra={"barekit_net": "lo:127.1.2.3/8:127.0.0.9"}, files=files)
        self.assertEqual(self.finish(), -signal.SIGINT, self.console.text)
        out = self.console.text
        self.assertIn("module /lib/modules/missing.ko: No such file or directory", out)
        self.assertIn("/etc/barekit/modules.order:4: not an absolute path", out)
        self.assertIn("network: lo is 127.1.2.3/8", out)
        self.assertRegex(out, r"net \|\s+inet 127\.1\.2\.3/8")
        self.assertRegex(out, r"net \| default via 127\.0\.0\.9 dev lo")
        self.assertRegex(out, r"(?m)^BAREKIT-DOWN action=poweroff uptime_ms=\d+$")
        self.assertIn("module /lib/modules/image-missing.ko: No such file or directory", out)
        # The image's list, then the boot overlay's, then the network (virtio_net comes from a list).
        self.assertLess(out.index("module /lib/modules/image-missing.ko"), out.index("module /lib/modules/missing.ko"))
        self.assertLess(out.index("module /lib/modules/missing.ko"), out.index("network: lo is"))


if __name__ == "__main__":
    initlib.main()
