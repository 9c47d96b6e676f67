"""barekit-init as PID 1 of a new PID namespace (unshare --pid --fork --mount-proc): zombies of
orphans are reaped, signals give 128+signal, shutdown waits for everything and returns early."""
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import initlib  # noqa: E402
from initlib import read_line_with, children, wait_until  # noqa: E402

UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc"]


def can_unshare():
    return shutil.which("unshare") and subprocess.run(UNSHARE + ["true"], capture_output=True).returncode == 0


@unittest.skipUnless(can_unshare(), "needs root and unshare (PID namespaces)")
class Pid1(unittest.TestCase):
    def start(self, args):
        p = subprocess.Popen(UNSHARE + [initlib.INIT] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertTrue(wait_until(lambda: children(p.pid)))
        return p, children(p.pid)[0]  # the outer pid of the namespace's PID 1

    def test_exit_code_and_no_subreaper_notice(self):
        r = subprocess.run(UNSHARE + [initlib.INIT, "--", "sh", "-c", "echo $$; exit 9"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(r.returncode, 9)
        self.assertEqual(r.stdout.strip(), "2")  # init is 1, its child 2
        self.assertNotIn("subreaper", r.stderr)

    def test_orphans_leave_no_zombies(self):  # dumb-init test-zombies, tini T2 as PID 1
        script = ("for i in $(seq 100); do (sleep 0.2 &); done; sh -c 'sh -c \"echo zombie\" &' & sleep 1;"
                  "grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l")
        r = subprocess.run(UNSHARE + [initlib.INIT, "--", "sh", "-c", script], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split()[-1], "0", r.stdout)

    def test_term_as_pid1_gives_143(self):
        child = ("import os, signal\nsignal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
                 "print('ready', flush=True)\nos.system('sleep 100')\n")
        p, init = self.start(["--", sys.executable, "-c", child])
        try:
            read_line_with(p.stdout, "ready")
            os.kill(init, signal.SIGTERM)
            self.assertEqual(p.wait(timeout=10), 143)
        finally:
            p.kill()

    def test_shutdown_terms_leftovers_and_returns_when_they_are_gone(self):
        # A leftover that needs 0.5 s to handle TERM: init waits for it (no early exit that would
        # SIGKILL it) but returns right after, well before the grace time.
        left = "trap 'sleep 0.5; echo leftover-done; exit 0' TERM; while :; do sleep 0.05; done"
        t0 = time.monotonic()
        r = subprocess.run(UNSHARE + [initlib.INIT, "--grace", "5s", "--", "sh", "-c",
                                      "sh -c \"%s\" & sleep 0.3; exit 4" % left],
                           capture_output=True, text=True, timeout=10)
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertIn("leftover-done", r.stdout)
        self.assertLess(took, 3)

    def test_grace_time_ends_in_sigkill(self):
        left = "trap '' TERM; while :; do sleep 0.05; done"
        t0 = time.monotonic()
        r = subprocess.run(UNSHARE + [initlib.INIT, "--grace", "500ms", "--", "sh", "-c",
                                      "sh -c \"%s\" & sleep 0.2; exit 0" % left],
                           capture_output=True, text=True, timeout=10)
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 0)
        self.assertIn("grace time over", r.stderr)
        self.assertGreater(took, 0.6)
        self.assertLess(took, 3)


if __name__ == "__main__":
    initlib.main()
