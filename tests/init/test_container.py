"""Container mode (tini-style entrypoint), ported from tini's and dumb-init's test scenarios and
catatonit's bugs #4/#5. barekit-init runs as a child subreaper here (not PID 1); test_pid1.py
repeats the key cases as PID 1 of a PID namespace."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import initlib  # noqa: E402
from initlib import run, start, read_line_with, descendants, proc_status, wait_until, kill_tree  # noqa: E402

PY = sys.executable

# A child that prints "ready", then one line per signal it receives.
PRINT_SIGNALS = r"""
import os, signal, sys, time
skip = {signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD}
def h(n, f):
    print("got %d" % n, flush=True)
for s in range(1, 32):
    if s not in skip:
        signal.signal(s, h)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


class ExitCodes(unittest.TestCase):
    def test_every_exit_code_passes_through(self):  # tini T1, dumb-init
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda c: run(["--", "sh", "-c", "exit %d" % c]), range(256)))
        for code, r in enumerate(results):
            self.assertEqual(r.returncode, code, r.stderr)

    def test_self_kill_gives_128_plus_signal(self):  # dumb-init
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGKILL):
            r = run(["--", "sh", "-c", "kill -%d $$" % sig])
            self.assertEqual(r.returncode, 128 + sig)

    def test_missing_program_gives_127_and_a_clear_message(self):  # dumb-init, tini outer
        r = run(["--", "/doesnotexist", "arg"])
        self.assertEqual(r.returncode, 127)
        self.assertIn("exec /doesnotexist: No such file or directory", r.stderr)
        r = run(["--", "no-such-program-on-path"])
        self.assertEqual(r.returncode, 127)
        self.assertIn("no-such-program-on-path", r.stderr)

    def test_non_executable_gives_126(self):
        with tempfile.NamedTemporaryFile(suffix=".sh") as f:
            r = run(["--", f.name])
            self.assertEqual(r.returncode, 126)
            self.assertIn("Permission denied", r.stderr)

    def test_main_child_exiting_127_is_its_own_code(self):  # catatonit #5
        r = run(["--", "sh", "-c", "exit 127"], timeout=5)
        self.assertEqual(r.returncode, 127)
        self.assertNotIn("exec", r.stderr)

    def test_main_and_grandchild_exiting_together_never_hang(self):  # catatonit #4
        for _ in range(20):
            t0 = time.monotonic()
            r = run(["--", "sh", "-c", "(sleep 0.05; exit 3) & sleep 0.05; exit 7"], timeout=5)
            self.assertEqual(r.returncode, 7)
            self.assertLess(time.monotonic() - t0, 3)

    def test_command_without_double_dash(self):  # tini accepts `tini cmd args`
        self.assertEqual(run(["sh", "-c", "exit 5"]).returncode, 5)

    def test_usage_errors(self):
        self.assertEqual(run(["--bogus", "--", "true"]).returncode, 2)
        self.assertEqual(run([]).returncode, 2)
        r = run(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("barekit-init", r.stdout)


class Signals(unittest.TestCase):
    def _signal_exit(self, sig):  # tini T3
        child = ("import os, signal\n"
                 "for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2): signal.signal(s, signal.SIG_DFL)\n"
                 "print('ready', flush=True)\n"
                 "os.system('sleep 100')\n")
        p = start(["--", PY, "-c", child])
        try:
            read_line_with(p.stdout, "ready")
            time.sleep(0.1)
            os.kill(p.pid, sig)
            self.assertEqual(p.wait(timeout=10), 128 + sig)
        finally:
            kill_tree(p)

    def test_term_gives_143(self):
        self._signal_exit(signal.SIGTERM)

    def test_usr1_gives_138(self):
        self._signal_exit(signal.SIGUSR1)

    def test_usr2_gives_140(self):
        self._signal_exit(signal.SIGUSR2)

    def test_every_forwardable_signal_reaches_the_child(self):  # dumb-init
        p = start(["--", PY, "-c", PRINT_SIGNALS])
        try:
            read_line_with(p.stdout, "ready")
            for s in range(1, 32):
                if s in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
                    continue
                os.kill(p.pid, s)
                read_line_with(p.stdout, "got %d" % s, timeout=5)
            self.assertIsNone(p.poll())
        finally:
            kill_tree(p)
            p.wait()

    def test_signal_to_group_ends_whole_tree(self):  # tini T4
        child = ("import signal, subprocess\n"
                 "signal.signal(signal.SIGUSR1, signal.SIG_IGN)\n"
                 "print('ready', flush=True)\n"
                 "subprocess.call(['sleep', '1000'], preexec_fn=lambda: signal.signal(signal.SIGUSR1, signal.SIG_DFL))\n")
        p = start(["--", PY, "-c", child])
        try:
            read_line_with(p.stdout, "ready")
            self.assertTrue(wait_until(lambda: any("sleep" in open("/proc/%d/comm" % d).read()
                                                   for d in descendants(p.pid) if os.path.exists("/proc/%d/comm" % d))))
            os.kill(p.pid, signal.SIGUSR1)
            self.assertEqual(p.wait(timeout=10), 0)
        finally:
            kill_tree(p)

    def test_single_child_mode_signals_only_the_child(self):
        child = ("import signal, subprocess\n"
                 "signal.signal(signal.SIGUSR1, signal.SIG_IGN)\n"
                 "print('ready', flush=True)\n"
                 "subprocess.call(['sleep', '1000'], preexec_fn=lambda: signal.signal(signal.SIGUSR1, signal.SIG_DFL))\n")
        p = start(["-p", "--", PY, "-c", child])
        try:
            read_line_with(p.stdout, "ready")
            time.sleep(0.3)
            os.kill(p.pid, signal.SIGUSR1)
            time.sleep(0.5)
            self.assertIsNone(p.poll(), "the grandchild should not have been signalled")
        finally:
            kill_tree(p)
            p.wait()

    def test_pipeline_dies_as_a_group(self):  # dumb-init, 6-process pipeline
        p = start(["--", "sh", "-c", "yes 'oh, hi' | tail & yes error | tail >&2"])
        try:
            self.assertTrue(wait_until(lambda: len(descendants(p.pid)) >= 5), descendants(p.pid))
            pids = descendants(p.pid)
            os.kill(p.pid, signal.SIGTERM)
            self.assertEqual(p.wait(timeout=10), 128 + signal.SIGTERM)
            for d in pids:
                self.assertFalse(os.path.exists("/proc/%d" % d) and proc_status(d) and
                                 proc_status(d).get("PPid") == str(p.pid), d)
        finally:
            kill_tree(p)

    def test_signal_state_is_restored_in_the_child(self):  # tini T6 (sigconf)
        ign = [signal.SIGTTOU, signal.SIGSEGV, signal.SIGINT]
        blk = [signal.SIGTTIN, signal.SIGILL, signal.SIGTERM]

        def pre():
            for s in ign:
                signal.signal(s, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_BLOCK, blk)
        r = subprocess.run([initlib.INIT, "--", "cat", "/proc/self/status"], capture_output=True, text=True,
                           preexec_fn=pre, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        st = dict(l.split(":\t", 1) for l in r.stdout.splitlines() if ":\t" in l)
        sigign, sigblk = int(st["SigIgn"], 16), int(st["SigBlk"], 16)
        for s in ign:
            self.assertTrue(sigign & (1 << (s - 1)), "signal %d should be ignored: %x" % (s, sigign))
        for s in blk:
            self.assertTrue(sigblk & (1 << (s - 1)), "signal %d should be blocked: %x" % (s, sigblk))
        # init's own all-blocked mask must not leak
        self.assertEqual(sigblk, sum(1 << (s - 1) for s in blk))


class Terminal(unittest.TestCase):
    def test_main_child_is_the_terminals_foreground_group(self):  # tini's tcsetpgrp, `-it` shells
        import fcntl
        import termios
        master, slave = os.openpty()
        script = 'echo "pgid=$(ps -o pgid= -p $$ | tr -d " ") tpgid=$(ps -o tpgid= -p $$ | tr -d " ") pid=$$"'
        p = subprocess.Popen([initlib.INIT, "--", "sh", "-c", script], stdin=slave, stdout=slave, stderr=slave,
                             start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        out = b""
        try:
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            p.wait(timeout=10)
            os.close(master)
        line = [l for l in out.decode().splitlines() if "pgid=" in l][0]
        fields = dict(kv.split("=") for kv in line.split())
        self.assertEqual(fields["pgid"], fields["pid"], line)
        self.assertEqual(fields["tpgid"], fields["pgid"], line)


class Reaping(unittest.TestCase):
    def test_hundred_orphaned_sleeps_are_reaped(self):  # tini T2
        script = "for i in $(seq 100); do (sleep 0.3 &); done; sleep 1.2"
        p = start(["-w", "--", "sh", "-c", script])
        try:
            # Orphans were re-parented to init; none may stay a zombie. A zombie seen twice,
            # 200 ms apart, was not reaped (a single sample can catch one mid-exit).
            def zombies():
                return {d for d in initlib.children(p.pid)
                        if (proc_status(d) or {}).get("State", "").startswith("Z")}
            time.sleep(0.8)
            first = zombies()
            time.sleep(0.2)
            self.assertEqual(first & zombies(), set())
            out, err = p.communicate(timeout=10)
            self.assertEqual(p.returncode, 0, err)
            self.assertGreaterEqual(err.count("reaped zombie"), 100)
        finally:
            kill_tree(p)

    def test_no_reap_lines_without_w(self):
        r = run(["--", "sh", "-c", "for i in 1 2 3; do (true &); done; sleep 0.2"])
        self.assertEqual(r.returncode, 0)
        self.assertNotIn("reaped", r.stderr)

    def test_subreaper_notice_and_missing_reaper_warning(self):  # tini T5
        r = run(["--", "true"])
        self.assertIn("child subreaper", r.stderr)
        self.assertNotIn("warning", r.stderr)
        r = run(["--no-subreaper", "--", "true"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("warning: not PID 1 and not a child subreaper", r.stderr)

    def test_leftover_children_get_term_and_init_returns_early(self):
        # The main command leaves a background child behind; init TERMs it and returns as soon
        # as it is gone (not after the 10 s grace time).
        t0 = time.monotonic()
        r = run(["--", "sh", "-c", "sleep 100 & exit 3"], timeout=9)
        self.assertEqual(r.returncode, 3)
        self.assertLess(time.monotonic() - t0, 5)

    def test_cwd_is_kept(self):  # dumb-init
        d = initlib.scratch()
        r = run(["--", "pwd"], cwd=d)
        self.assertEqual(r.stdout.strip(), os.path.realpath(d))


if __name__ == "__main__":
    initlib.main()
