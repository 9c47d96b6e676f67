#!/usr/bin/env python3
"""barekit kernel fetch + the boot overlay, end to end (ctest label "vm").

- `barekit kernel fetch` for amd64 (cloud), arm64 (generic) and arm64 (cloud): output format,
  JSON, the cached path answering at once, --offline; file(1) agrees on the image type.
- The overlay (`barekit kernel overlay`) of each: GNU cpio and bsdtar read it, and every module in
  modules.order comes after its depends, checked against the .modinfo sections read with
  pyelftools (an independent reader), or the dependency is built into the kernel.
- A real boot: a user initramfs (gzip'd, with a merged-/usr "lib" -> "usr/lib" link) plus the
  overlay boots under QEMU (TCG); a throwaway Go /init (tests/vm/modcheck) loads modules.order
  with finit_module and reports the virtio disk, NIC, virtio-serial port and power-key device.

Needs network (apt) the first time, or a filled cache. Usage: test_kernel.py [BAREKIT]
(or $BAREKIT_BIN). Set BAREKIT_KERNEL_CACHE to use another cache directory.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BAREKIT = None
CACHE = os.environ.get("BAREKIT_KERNEL_CACHE", "")

# arch, flavor, qemu, machine args, console, device args (disk, nic, serial port), expectations
CONFIGS = {
    ("amd64", "cloud"): dict(
        qemu="qemu-system-x86_64", machine=["-M", "q35"], console="ttyS0", goarch="amd64",
        devices=["-device", "virtio-blk-pci,drive=d0", "-netdev", "user,id=n0",
                 "-device", "virtio-net-pci,netdev=n0"],
        expect={"vda": "true", "eth0": "true", "power_button": "true"}),
    ("arm64", "generic"): dict(
        qemu="qemu-system-aarch64", machine=["-M", "virt", "-cpu", "cortex-a57"],
        console="ttyAMA0", goarch="arm64",
        devices=["-device", "virtio-blk-device,drive=d0", "-netdev", "user,id=n0",
                 "-device", "virtio-net-device,netdev=n0", "-device", "virtio-serial-device",
                 "-chardev", "null,id=c0", "-device", "virtserialport,chardev=c0,name=ctl"],
        expect={"vda": "true", "eth0": "true", "gpio_keys": "true", "ports": "ctl,"}),
    ("arm64", "cloud"): dict(
        qemu="qemu-system-aarch64", machine=["-M", "virt", "-cpu", "cortex-a57"],
        console="ttyAMA0", goarch="arm64",
        devices=["-device", "virtio-blk-device,drive=d0", "-netdev", "user,id=n0",
                 "-device", "virtio-net-device,netdev=n0"],
        expect={"vda": "true", "eth0": "true", "gpio_keys": "false"}),
    ("amd64", "cloud", "microvm"): dict(
        qemu="qemu-system-x86_64", machine=["-M", "microvm"], console="ttyS0", goarch="amd64",
        devices=["-device", "virtio-blk-device,drive=d0", "-netdev", "user,id=n0",
                 "-device", "virtio-net-device,netdev=n0", "-device", "virtio-serial-device",
                 "-chardev", "null,id=c0", "-device", "virtserialport,chardev=c0,name=ctl"],
        expect={"vda": "true", "eth0": "true", "power_button": "true", "ports": "ctl,"}),
}


def host_tsc_khz():
    """microvm under TCG hangs at TSC calibration in ~40% of boots without tsc_early_khz."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return int(float(line.split(":")[1]) * 1000)
    return 0


def barekit(*args, check=True, timeout=600):
    cmd = [BAREKIT] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr))
    return r


def cache_args():
    return ["--cache", CACHE] if CACHE else []


_kernels = {}


def kernel(arch, flavor):
    """The fetched kernel (dict from --json), or skip when apt cannot reach a mirror."""
    key = (arch, flavor)
    if key not in _kernels:
        r = barekit("kernel", "fetch", "--arch", arch, "--flavor", flavor, "--json", "-q",
                    *cache_args(), check=False)
        if r.returncode != 0:
            off = barekit("kernel", "fetch", "--arch", arch, "--flavor", flavor, "--json",
                          "--offline", *cache_args(), check=False)
            if off.returncode != 0:
                _kernels[key] = None
                raise unittest.SkipTest("no %s %s kernel: %s" % (flavor, arch, r.stderr.strip()))
            r = off
        _kernels[key] = json.loads(r.stdout)
    if _kernels[key] is None:
        raise unittest.SkipTest("no %s %s kernel" % (flavor, arch))
    return _kernels[key]


def modinfo(path):
    """name and depends of a .ko, read with pyelftools (not barekit's reader)."""
    try:
        from elftools.elf.elffile import ELFFile
    except ImportError:  # Debian's python3-pyelftools, under another interpreter (pyenv)
        sys.path.append("/usr/lib/python3/dist-packages")
        from elftools.elf.elffile import ELFFile
    with open(path, "rb") as f:
        sec = ELFFile(f).get_section_by_name(".modinfo")
        data = sec.data() if sec else b""
    fields = {}
    for rec in data.split(b"\0"):
        if b"=" in rec:
            k, v = rec.split(b"=", 1)
            fields.setdefault(k.decode(), v.decode())
    deps = [d.replace("-", "_") for d in fields.get("depends", "").split(",") if d]
    return fields.get("name", os.path.basename(path)[:-3]).replace("-", "_"), deps


def builtin_names(modules_dir):
    names = set()
    with open(os.path.join(modules_dir, "modules.builtin")) as f:
        for line in f:
            line = line.strip()
            if line:
                names.add(os.path.basename(line)[:-3].replace("-", "_"))
    return names


def all_modules(modules_dir):
    found = {}
    for root, _, files in os.walk(modules_dir):
        for n in files:
            if n.endswith(".ko"):
                found[n[:-3].replace("-", "_")] = os.path.join(root, n)
    return found


class Fetch(unittest.TestCase):
    def test_text_output_and_cached_answer(self):
        k = kernel("amd64", "cloud")
        t0 = time.monotonic()
        r = barekit("kernel", "fetch", "--arch", "amd64", *cache_args())
        took = time.monotonic() - t0
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "kernel: " + k["kernel"])
        self.assertEqual(lines[1], "modules: " + k["modules_dir"])
        self.assertEqual(lines[2], "release: " + k["release"])
        self.assertEqual(lines[3], "package: %s %s" % (k["package"], k["version"]))
        self.assertRegex(k["release"], r"^\d+\.\d+\.\d+-\d+-cloud-amd64$")
        self.assertEqual(k["package"], "linux-image-" + k["release"])
        self.assertLess(took, 1.0, "a cached kernel should be answered without apt")
        self.assertTrue(os.path.isdir(os.path.join(k["modules_dir"], "kernel")))

    def test_file_agrees_on_the_image_type(self):
        for (arch, flavor), want in ((("amd64", "cloud"), "x86 boot executable bzImage"),
                                     (("arm64", "generic"), "ARM64 boot executable Image"),
                                     (("arm64", "cloud"), "ARM64 boot executable Image")):
            k = kernel(arch, flavor)
            out = subprocess.run(["file", "-b", k["kernel"]], capture_output=True, text=True).stdout
            self.assertIn(want, out, k["kernel"])
            self.assertIn(k["release"], os.path.basename(k["kernel"]))

    def test_offline_answers_from_the_cache(self):
        k = kernel("arm64", "generic")
        r = barekit("kernel", "fetch", "--arch", "arm64", "--offline", "--json", *cache_args())
        self.assertEqual(json.loads(r.stdout)["kernel"], k["kernel"])

    def test_offline_with_empty_cache_is_one_clear_line(self):
        with tempfile.TemporaryDirectory() as d:
            r = barekit("kernel", "fetch", "--arch", "amd64", "--offline", "--cache", d, check=False)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stdout, "")
            self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
            self.assertIn("no cached cloud amd64 kernel in " + d, r.stderr)

    def test_no_network_is_one_clear_line(self):
        # An unreachable proxy stands in for a machine without network.
        with tempfile.TemporaryDirectory() as d:
            env = dict(os.environ, http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
            r = subprocess.run([BAREKIT, "kernel", "fetch", "--arch", "arm64", "--cache", d, "-q"],
                               capture_output=True, text=True, timeout=300, env=env)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
            self.assertRegex(r.stderr, r"^barekit kernel fetch: apt-get update \(arm64\) failed: "
                                       r"Failed to fetch http\S+ .*127\.0\.0\.1")
            self.assertEqual([n for n in os.listdir(d) if not n.startswith("apt-")], [])

    def test_bad_arch_is_a_usage_error(self):
        r = barekit("kernel", "fetch", "--arch", "riscv64", check=False)
        self.assertEqual(r.returncode, 2)


class Overlay(unittest.TestCase):
    def make(self, arch, flavor, d, *extra):
        k = kernel(arch, flavor)
        out = os.path.join(d, "overlay-%s-%s%s.cpio" % (arch, flavor, "".join(extra)))
        r = barekit("kernel", "overlay", "--arch", arch, "--modules-dir", k["modules_dir"],
                    "-o", out, "--json", *extra)
        return k, out, json.loads(r.stdout)

    def check_order(self, k, order):
        mods = all_modules(k["modules_dir"])
        builtin = builtin_names(k["modules_dir"])
        seen = set()
        for path in order:
            name = os.path.basename(path)[:-3]
            mname, deps = modinfo(mods[name])
            self.assertEqual(mname, name)
            for dep in deps:
                self.assertTrue(dep in seen or dep in builtin,
                                "%s: %s loads before its dependency %s" % (k["release"], name, dep))
            seen.add(name)
        return seen

    def test_each_kernel_overlay_is_ordered_and_readable(self):
        with tempfile.TemporaryDirectory() as d:
            for key, cfg in CONFIGS.items():
                arch, flavor = key[:2]
                machine = key[2] if len(key) > 2 else ""
                k, path, info = self.make(arch, flavor, d, *(["--machine", machine] if machine else []))
                names = self.check_order(k, info["order"])
                for want in ("virtio_net", "virtio_blk", "evdev"):
                    self.assertIn(want, names)
                self.assertIn("virtio_pci" if machine == "" and arch == "amd64" else "virtio_mmio",
                              names)
                if (arch, flavor) == ("arm64", "cloud"):
                    self.assertEqual(info["notes"], ["gpio_keys: not in this kernel, skipped"])
                with open(path, "rb") as f:
                    cpio = subprocess.run(["cpio", "-itv", "--quiet"], stdin=f,
                                          capture_output=True, text=True)
                self.assertEqual(cpio.returncode, 0, cpio.stderr)
                bsd = subprocess.run(["bsdtar", "-tvf", path], capture_output=True, text=True)
                self.assertEqual(bsd.returncode, 0, bsd.stderr)
                listed = [l.split()[-1] for l in cpio.stdout.splitlines()]
                self.assertEqual(listed, [l.split()[-1] for l in bsd.stdout.splitlines()])
                self.assertIn("etc/barekit/modules.order", listed)
                for p in info["order"]:
                    self.assertIn(p[1:], listed)

    def test_the_order_oracle_catches_a_wrong_order(self):
        with tempfile.TemporaryDirectory() as d:
            k, _, info = self.make("amd64", "cloud", d)
            with self.assertRaises(AssertionError):
                self.check_order(k, list(reversed(info["order"])))

    def test_explicit_missing_module_fails_in_one_line(self):
        k = kernel("arm64", "cloud")
        with tempfile.TemporaryDirectory() as d:
            r = barekit("kernel", "overlay", "--arch", "arm64", "--modules-dir", k["modules_dir"],
                        "-o", os.path.join(d, "o"), "--add", "gpio_keys", check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("kernel module gpio_keys not found under", r.stderr)
            self.assertFalse(os.path.exists(os.path.join(d, "o")))


def user_initramfs(goarch, d):
    """A gzip'd newc archive made by GNU cpio: /init (modcheck), and a merged-/usr 'lib' link."""
    root = os.path.join(d, "root-" + goarch)
    os.makedirs(os.path.join(root, "usr/lib"))
    for p in ("proc", "sys", "dev"):
        os.makedirs(os.path.join(root, p))
    with open(os.path.join(root, "usr/lib/marker"), "w") as f:
        f.write("kept\n")
    os.symlink("usr/lib", os.path.join(root, "lib"))
    env = dict(os.environ, CGO_ENABLED="0", GOARCH=goarch, GOOS="linux",
               GOCACHE=os.environ.get("GOCACHE", os.path.join(d, "gocache")), GOFLAGS="-mod=mod")
    subprocess.run(["go", "build", "-trimpath", "-ldflags=-s -w", "-o", os.path.join(root, "init"),
                    "."], cwd=os.path.join(HERE, "modcheck"), env=env, check=True)
    names = subprocess.run(["find", "."], cwd=root, capture_output=True, check=True).stdout
    raw = subprocess.run(["cpio", "-o", "-H", "newc", "-R", "0:0", "--quiet"], cwd=root,
                         input=names, capture_output=True, check=True).stdout
    out = os.path.join(d, "user-%s.cpio.gz" % goarch)
    with open(out, "wb") as f:
        f.write(gzip.compress(raw, mtime=0))
    return out


def boot(cfg, k, initrd, d, timeout=120):
    disk = os.path.join(d, "disk.img")
    with open(disk, "wb") as f:
        f.truncate(1 << 20)
    cmd = [cfg["qemu"], "-accel", "tcg", *cfg["machine"], "-m", "256", "-nographic",
           "-no-reboot", "-kernel", k["kernel"], "-initrd", initrd,
           "-append", "console=%s panic=-1 quiet%s" % (
               cfg["console"],
               " tsc_early_khz=%d" % host_tsc_khz() if "microvm" in cfg["machine"] else ""),
           "-drive", "file=%s,if=none,id=d0,format=raw" % disk, *cfg["devices"]]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, errors="replace")
    return r.stdout + r.stderr, time.monotonic() - t0


class Boot(unittest.TestCase):
    def test_user_initramfs_plus_overlay_boots_and_loads_the_modules(self):
        for key, cfg in CONFIGS.items():
            arch, flavor = key[:2]
            machine = key[2] if len(key) > 2 else ""
            with self.subTest(arch=arch, flavor=flavor, machine=machine):
                if not shutil.which(cfg["qemu"]):
                    self.skipTest(cfg["qemu"] + " not installed")
                k = kernel(arch, flavor)
                with tempfile.TemporaryDirectory() as d:
                    user = user_initramfs(cfg["goarch"], d)
                    both = os.path.join(d, "both")
                    r = barekit("kernel", "overlay", "--arch", arch, "--modules-dir",
                                k["modules_dir"], "--initramfs", user, "-o", both, "--json",
                                *(["--machine", machine] if machine else []))
                    info = json.loads(r.stdout)
                    self.assertEqual(info["overlay_offset"] % 4, 0)
                    log, took = boot(cfg, k, both, d)
                    # SeaBIOS clears the screen with escapes just before the kernel prints.
                    lines = [l[l.index("MODCHECK "):] for l in log.splitlines()
                             if "MODCHECK " in l]
                    self.assertTrue(lines, "no MODCHECK line; console:\n" + log[-3000:])
                    facts = dict(w.split("=", 1) for w in lines[0].split()[1:] if "=" in w)
                    self.assertEqual(facts["loaded"], str(len(info["order"])), log[-3000:])
                    self.assertEqual(facts["failed"], "0", "\n".join(lines))
                    for key, want in cfg["expect"].items():
                        self.assertEqual(facts[key], want, "%s: %s" % (key, lines[0]))
                    self.assertEqual(facts["marker"], "kept", "the user's lib link was replaced")
                    print("boot %s %s %s: %.2f s, %d modules" % (arch, flavor, machine, took,
                                                               len(info["order"])),
                          file=sys.stderr)


class JournalPowerCut(unittest.TestCase):
    """examples/journal in a real guest: barekit pack + barekit-init + the overlay's virtio_blk;
    QEMU is SIGKILLed (a power cut) after some acknowledgements, three times on the same disk;
    then `journal verify` checks every acknowledged record is on the disk."""

    def test_acknowledged_records_survive_power_cuts(self):
        if not shutil.which("qemu-system-x86_64"):
            self.skipTest("qemu-system-x86_64 not installed")
        k = kernel("amd64", "cloud")
        src = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples", "journal")
        with tempfile.TemporaryDirectory() as d:
            journal = os.path.join(d, "journal")
            env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=mod")
            subprocess.run(["go", "build", "-trimpath", "-ldflags=-s -w", "-o", journal, "."],
                           cwd=src, env=env, check=True)
            user = os.path.join(d, "user.cpio.zst")
            barekit("pack", journal, "--init-config", os.path.join(src, "init.toml"),
                    "--initramfs", user)
            initrd = os.path.join(d, "initrd")
            barekit("kernel", "overlay", "--arch", "amd64", "--modules-dir", k["modules_dir"],
                    "--initramfs", user, "-o", initrd)
            disk = os.path.join(d, "disk.img")
            subprocess.run([journal, "init", disk, "1M"], check=True, capture_output=True)
            console = os.path.join(d, "console.log")
            cmd = ["qemu-system-x86_64", "-accel", "tcg", "-M", "q35", "-m", "256",
                   "-display", "none", "-serial", "stdio", "-no-reboot", "-kernel", k["kernel"],
                   "-initrd", initrd, "-append", "console=ttyS0 panic=-1 quiet",
                   "-drive", "file=%s,if=none,id=d0,format=raw" % disk,
                   "-device", "virtio-blk-pci,drive=d0"]
            with open(console, "wb") as log:
                for cut in range(3):
                    acks = self.run_until_acks(cmd, log, 40 + 17 * cut)
                    self.assertGreaterEqual(acks, 40 + 17 * cut, "boot %d: too few ACKs" % cut)
            r = subprocess.run([journal, "verify", disk, console], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"^journal verify: OK: \d+ records")
            print(r.stdout.strip(), file=sys.stderr)
            # The verifier is not blind: lose the last acknowledged record.
            with open(console, "rb") as f:
                last = max(int(m) for m in __import__("re").findall(rb"ACK (\d+) run=", f.read()))
            with open(disk, "r+b") as f:
                f.seek((last - 1) * 512)
                f.write(bytes(512))
            r = subprocess.run([journal, "verify", disk, console], capture_output=True, text=True)
            self.assertEqual(r.returncode, 1, r.stdout)

    def run_until_acks(self, cmd, log, want, timeout=90):
        """Boots, copies the console to log, and SIGKILLs QEMU once `want` ACK lines came."""
        import select
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        acks, buf = 0, b""
        deadline = time.monotonic() + timeout
        try:
            while acks < want and time.monotonic() < deadline:
                r, _, _ = select.select([p.stdout], [], [], 1.0)
                if not r:
                    continue
                chunk = os.read(p.stdout.fileno(), 65536)
                if not chunk:
                    break
                log.write(chunk)
                buf += chunk
                acks = buf.count(b"ACK ")
        finally:
            p.kill()  # the power cut
            p.wait()
            log.flush()
        return acks


if __name__ == "__main__":
    BAREKIT = os.environ.get("BAREKIT_BIN")
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        BAREKIT = sys.argv.pop(1)
    if not BAREKIT:
        sys.exit("usage: test_kernel.py BAREKIT (or set BAREKIT_BIN)")
    BAREKIT = os.path.abspath(BAREKIT)
    unittest.main(verbosity=2)
