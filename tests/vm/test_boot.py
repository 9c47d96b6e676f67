#!/usr/bin/env python3
"""`barekit boot` end to end under QEMU (TCG), ctest label "vm". One group per ctest entry so two
run at a time:

  x86         the example HTTP service on x86_64 q35: boot, an HTTP GET from the host over the
              forwarded loopback port (Python's urllib, not barekit's probe), then every fault kind
              once (kill, pause, ctrl-alt-del, reset, power-cut, powerdown); the JSON verdict.
  arm64       aarch64 through U-Boot: the U-Boot and service banners on the console, the U-Boot
              phase timed; kill over virtio-serial, reset, powerdown through gpio-keys.
  durability  examples/journal: 5 power cuts and a reset with `journal verify` after each, then
              a powerdown; a disk with a lost acknowledged record fails the check (it can fail).
  errors      a wrong-architecture kernel/image pair, a missing kernel, a guest that never gets
              ready (times out, shows its last console lines), SIGTERM to barekit mid-boot.
Every group checks that no QEMU process is left behind.

Needs QEMU, u-boot-qemu, Go and a kernel (barekit kernel fetch; network the first time).
Usage: test_boot.py GROUP [BAREKIT]   (or $BAREKIT_BIN)
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BAREKIT = os.environ.get("BAREKIT_BIN", os.path.join(ROOT, "build", "src", "cli", "barekit"))
WORK = None


def run(args, timeout=300, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)


def barekit(*args, timeout=300, **kw):
    return run([BAREKIT, *args], timeout=timeout, **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def qemu_processes(marker):
    """QEMU processes whose command line mentions `marker` (a test's own directory)."""
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if "qemu-system" in cmd and marker in cmd:
            out.append(int(pid))
    return out


def go_build(src, out, goarch):
    env = dict(os.environ, CGO_ENABLED="0", GOARCH=goarch, GOOS="linux", GOFLAGS="-buildvcs=false")
    env.setdefault("GOCACHE", os.path.join(ROOT, "build", "gocache"))
    r = run(["go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "."], cwd=src, env=env)
    assert r.returncode == 0, r.stderr
    return out


def kernel(arch):
    r = barekit("kernel", "fetch", "--arch", arch, "--json", timeout=900)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def pack_hello(arch, name="hello"):
    os.makedirs(os.path.join(WORK, arch), exist_ok=True)
    # The image holds /app/hello-http, the name examples/hello-http/init.toml runs.
    exe = go_build(os.path.join(ROOT, "examples", "hello-http"), os.path.join(WORK, arch, "hello-http"), arch)
    img = os.path.join(WORK, f"{name}-{arch}.cpio.zst")
    if os.path.exists(img):
        return img
    r = barekit("pack", exe, "--initramfs", img, "--init-config",
                os.path.join(ROOT, "examples", "hello-http", "init.toml"))
    assert r.returncode == 0, r.stderr
    return img


class Boot(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bk-vm-", dir=WORK)

    def tearDown(self):
        left = qemu_processes(self.dir)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        self.assertEqual(left, [], "QEMU processes left behind")

    def boot(self, *args, timeout=600):
        return barekit("boot", "--workdir", os.path.join(self.dir, "wd"), *args, timeout=timeout)

    def steps(self, r):
        self.assertTrue(r.stdout.strip().startswith("{"), r.stdout + r.stderr)
        return json.loads(r.stdout)


class X86(Boot):
    def test_http_and_every_fault(self):
        img = pack_hello("amd64")
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        get = ["python3", "-c", f"import urllib.request as u; r = u.urlopen('{url}', timeout=5); "
                                "b = r.read().decode(); print(b.strip()); "
                                "assert r.status == 200 and 'hello from linux/amd64' in b"]
        scenario = os.path.join(self.dir, "s.toml")
        with open(scenario, "w") as f:
            f.write(f'[[step]]\nfault = "none"\ncheck = {json.dumps(get)}\n')
        r = self.boot(img, "--json", "--forward", f"127.0.0.1:{port}:8080", "--probe", url + "healthz",
                      "--scenario", scenario, "--fault", "kill:web:KILL", "--fault", "pause:1s",
                      "--fault", "ctrl-alt-del", "--fault", "reset", "--fault", "power-cut",
                      "--fault", "powerdown")
        j = self.steps(r)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr[-3000:])
        names = [s["fault"] for s in j["steps"]]
        self.assertEqual(names, ["boot", "kill:web:9", "pause:1000ms", "ctrl-alt-del", "reset",
                                 "power-cut", "powerdown", "none"])
        self.assertTrue(all(s["ok"] for s in j["steps"]), j["steps"])
        self.assertIn("hello from linux/amd64", j["steps"][-1]["detail"])
        self.assertEqual(j["steps"][-2]["expect"], "off")
        # 5 boots: first, ctrl-alt-del, reset, power-cut, and the power-on for the last step.
        self.assertGreaterEqual(len(j["boots"]), 5)
        b = j["boots"][0]
        for k in ("firmware_ms", "kernel_ms", "init_ms", "total_ms"):
            self.assertIsNotNone(b[k], k)
        self.assertIn("BAREKIT-READY", r.stderr)  # the console, live, with its prefix
        self.assertIn("  vm| ", r.stderr)

    def test_text_report_and_log(self):
        img = pack_hello("amd64")
        r = self.boot(img, "--log", os.path.join(self.dir, "console.log"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("verdict: PASS", r.stdout)
        self.assertRegex(r.stdout, r"boot 1: firmware [0-9.]+ s, kernel [0-9.]+ s, init to ready [0-9.]+ s")
        with open(os.path.join(self.dir, "console.log")) as f:
            log = f.read()
        self.assertIn("BAREKIT-INIT uptime_ms=", log)
        self.assertIn("web | hello-http", log)


class Arm64(Boot):
    def test_uboot_chain(self):
        img = pack_hello("arm64")
        r = self.boot(img, "--uboot", "--json", "--fault", "kill:web", "--fault", "reset",
                      "--fault", "powerdown")
        j = self.steps(r)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr[-3000:])
        self.assertTrue(all(s["ok"] for s in j["steps"]), j["steps"])
        self.assertRegex(r.stderr, r"vm\| U-Boot 20[0-9][0-9]\.")
        self.assertIn("Starting kernel", r.stderr)
        self.assertRegex(r.stderr, r"web \| hello-http go[0-9.]+ linux/arm64 listening")
        for b in j["boots"][:2]:
            self.assertIsNotNone(b["uboot_ms"])
            self.assertIsNotNone(b["total_ms"])
        self.assertEqual(j["steps"][-1]["detail"], "powered off in order (poweroff)")


class Durability(Boot):
    def test_power_cuts_keep_every_acknowledged_record(self):
        src = os.path.join(ROOT, "examples", "journal")
        os.makedirs(os.path.join(self.dir, "guest"))
        guest = go_build(src, os.path.join(self.dir, "guest", "journal"), "amd64")
        host = go_build(src, os.path.join(self.dir, "journal"), "amd64")
        img = os.path.join(self.dir, "journal.cpio.zst")
        r = barekit("pack", guest, "--initramfs", img, "--init-config", os.path.join(src, "init.toml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        shutil.copy(os.path.join(src, "scenario.toml"), self.dir)
        r = barekit("boot", img, "--scenario", "scenario.toml", "--json", "--workdir", "wd",
                    cwd=self.dir, timeout=900)
        j = self.steps(r)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr[-3000:])
        faults = [s["fault"] for s in j["steps"]]
        self.assertEqual(faults.count("power-cut"), 5)
        self.assertEqual(faults[-2:], ["reset", "powerdown"])
        for s in j["steps"][1:]:
            self.assertTrue(s["ok"], s)
            self.assertIn("check ok: journal verify: OK", s["detail"])
        # The check can fail: claim a record that is not on the disk.
        disk, log = j["disk"], j["console_log"]
        with open(log, "a") as f:
            f.write("journal | ACK 999999 run=bogus\n")
        v = run([host, "verify", disk, log])
        self.assertEqual(v.returncode, 1, v.stdout)


class Errors(Boot):
    def test_wrong_arch_pair(self):
        img = pack_hello("amd64")
        k = kernel("arm64")
        r = self.boot(img, "--kernel", k["kernel"])
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"^barekit boot: .* is an arm64 kernel, but .*hello-amd64.cpio.zst is for amd64")
        r = self.boot(img, "--arch", "arm64")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/init is built for amd64, but --arch is arm64", r.stderr)

    def test_missing_kernel_and_image(self):
        img = pack_hello("amd64")
        r = self.boot(img, "--kernel", os.path.join(self.dir, "nope"))
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertIn("nope", r.stderr)
        r = self.boot(os.path.join(self.dir, "missing.cpio"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing.cpio", r.stderr)
        with open(os.path.join(self.dir, "junk"), "wb") as f:
            f.write(b"\x1f\x8b" + os.urandom(100))
        r = self.boot(os.path.join(self.dir, "junk"))
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"junk: gzip: corrupt data near input byte")
        # A probe URL barekit cannot use is a usage error before any VM starts.
        r = self.boot(img, "--probe", "ftp://127.0.0.1:8080/")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertRegex(r.stderr, r"^barekit boot: probe 'ftp://127.0.0.1:8080/': ")

    def test_never_ready_times_out_with_last_lines(self):
        exe = go_build(os.path.join(ROOT, "examples", "hello-http"), os.path.join(self.dir, "hello"), "amd64")
        cfg = os.path.join(self.dir, "never.toml")
        with open(cfg, "w") as f:
            f.write('[service.web]\nargv = ["/app/hello"]\nenv = { PORT = "8080" }\n'
                    'ready = { kind = "tcp", address = "127.0.0.1:9", period = "100ms", tries = 100000 }\n')
        img = os.path.join(self.dir, "never.cpio.zst")
        self.assertEqual(barekit("pack", exe, "--initramfs", img, "--init-config", cfg).returncode, 0)
        t0 = time.monotonic()
        r = self.boot(img, "--timeout", "12s")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertLess(time.monotonic() - t0, 40)
        self.assertIn("not ready in time (no BAREKIT-READY line)", r.stdout)
        self.assertIn("last console lines:", r.stdout)
        self.assertIn("web | hello-http", r.stdout)
        self.assertIn("verdict: FAIL", r.stdout)

    def test_failed_service_fails_fast(self):
        exe = go_build(os.path.join(ROOT, "examples", "hello-http"), os.path.join(self.dir, "hello"), "amd64")
        cfg = os.path.join(self.dir, "broken.toml")
        with open(cfg, "w") as f:
            f.write('[service.web]\nargv = ["/app/not-there"]\nrestart_delay = "10ms"\n'
                    'ready = { kind = "tcp", address = "127.0.0.1:9" }\n')
        img = os.path.join(self.dir, "broken.cpio.zst")
        self.assertEqual(barekit("pack", exe, "--initramfs", img, "--init-config", cfg).returncode, 0)
        t0 = time.monotonic()
        r = self.boot(img, "--timeout", "120s")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertLess(time.monotonic() - t0, 60)  # not the 120 s timeout
        self.assertIn("service web failed: start limit reached", r.stdout)
        self.assertIn("exec /app/not-there: No such file or directory", r.stdout)

    def test_sigterm_leaves_no_qemu(self):
        img = pack_hello("amd64")
        p = subprocess.Popen([BAREKIT, "boot", img, "--workdir", os.path.join(self.dir, "wd")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while not qemu_processes(self.dir) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(qemu_processes(self.dir), "QEMU never started")
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 130, out)
        self.assertIn("verdict: INTERRUPTED", out)
        # barekit killed with SIGKILL: PR_SET_PDEATHSIG takes QEMU down with it.
        p = subprocess.Popen([BAREKIT, "boot", img, "--workdir", os.path.join(self.dir, "wd2")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not qemu_processes(os.path.join(self.dir, "wd2")) and time.monotonic() < deadline + 30:
            time.sleep(0.05)
        p.kill()
        p.wait()
        deadline = time.monotonic() + 10
        while qemu_processes(self.dir) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(qemu_processes(self.dir), [])


GROUPS = {"x86": X86, "arm64": Arm64, "durability": Durability, "errors": Errors}

if __name__ == "__main__":
    group = sys.argv[1]
    if len(sys.argv) > 2:
        BAREKIT = os.path.abspath(sys.argv[2])
    for tool in ("qemu-system-x86_64", "qemu-system-aarch64", "go"):
        if not shutil.which(tool):
            sys.exit(f"test_boot.py: {tool} is not installed (scripts/setup --test installs it)")
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    WORK = tempfile.mkdtemp(prefix=f"bk-boot-{group}-")
    try:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(GROUPS[group])
        ok = unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(0 if ok else 1)
