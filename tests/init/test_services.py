"""Supervision with real processes: backoff and start limit, critical services, ordered start
with every kind of readiness, reverse-order shutdown, fd hygiene, log relaying under load,
SIGKILL storms, the status socket and config errors."""
import fcntl
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import initlib  # noqa: E402
from initlib import run, start, write_config, run_dir, children, wait_until, kill_tree  # noqa: E402

PY = sys.executable


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def toml_list(argv):
    # JSON strings are TOML basic strings
    return "[" + ", ".join(json.dumps(a) for a in argv) + "]"


class Supervision(unittest.TestCase):
    def test_crash_loop_backs_off_exponentially_then_fails(self):
        stamps = os.path.join(initlib.scratch(), "stamps")
        cfg = write_config("""
[service.crash]
argv = %s
restart = "always"
restart_delay = "100ms"
restart_delay_max = "400ms"
start_limit_burst = 6
start_limit_interval = "1m"
""" % toml_list(["sh", "-c", "date +%%s.%%N >> %s; exit 1" % stamps]))
        r = run(["-c", cfg, "--run-dir", run_dir()], timeout=20)
        self.assertEqual(r.returncode, 1, r.stderr)  # idle with a failed service
        self.assertIn("crash: failed: start limit reached", r.stderr)
        times = [float(x) for x in open(stamps).read().split()]
        self.assertEqual(len(times), 6)
        gaps = [b - a for a, b in zip(times, times[1:])]
        want = [0.1, 0.2, 0.4, 0.4, 0.4]
        for g, w in zip(gaps, want):
            self.assertGreaterEqual(g, w, gaps)
            self.assertLess(g, w + 0.3, gaps)  # the run itself takes a few ms; slack for a loaded machine
        self.assertIn("restarting in 400 ms", r.stderr)

    def test_critical_failure_shuts_down_with_its_code(self):
        cfg = write_config("""
[service.steady]
argv = ["sleep", "100"]
[service.boss]
argv = ["sh", "-c", "sleep 0.2; exit 3"]
critical = true
restart = "never"
""")
        t0 = time.monotonic()
        r = run(["-c", cfg, "--run-dir", run_dir()], timeout=10)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("boss: critical service ended; shutting down with code 3", r.stderr)
        self.assertIn("steady: stopped (killed by SIGTERM)", r.stderr)
        self.assertLess(time.monotonic() - t0, 3)

    def test_ordered_start_waits_for_each_kind_of_readiness(self):
        d = initlib.scratch()
        tcp, http = free_port(), free_port()
        notify = ("import os, socket, time; time.sleep(0.3); s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM);"
                  "s.sendto(b'STATUS=warming\\nREADY=1', os.environ['NOTIFY_SOCKET']); time.sleep(100)")
        listen_tcp = ("import socket, time; time.sleep(0.3); s = socket.socket(); "
                      "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', %d)); "
                      "s.listen(); time.sleep(100)" % tcp)
        serve_http = ("import http.server, time; time.sleep(0.3); "
                      "http.server.HTTPServer(('127.0.0.1', %d), http.server.SimpleHTTPRequestHandler).serve_forever()" % http)
        cfg = write_config("""
[service.s1]
argv = ["sh", "-c", "sleep 0.3; echo >&3; exec sleep 100"]
ready = {{ kind = "fd", fd = 3 }}
[service.s2]
argv = {notify}
after = ["s1"]
ready = {{ kind = "notify" }}
[service.s3]
argv = {tcp}
after = ["s2"]
ready = {{ kind = "tcp", address = "127.0.0.1:{tcp_port}", period = "50ms", timeout = "500ms", tries = 100 }}
[service.s4]
argv = {http}
cwd = "{d}"
after = ["s3"]
ready = {{ kind = "http", address = "http://127.0.0.1:{http_port}/", period = "50ms", tries = 100 }}
[service.s5]
argv = ["sh", "-c", "sleep 0.3; touch {d}/s5-ready; exec sleep 100"]
after = ["s4"]
ready = {{ kind = "exec", argv = ["test", "-f", "{d}/s5-ready"], period = "50ms", tries = 100 }}
[service.last]
argv = ["sh", "-c", "echo all ready; kill -TERM $PPID"]
after = ["s1", "s5"]
oneshot = true
""".format(notify=toml_list([PY, "-c", notify]), tcp=toml_list([PY, "-c", listen_tcp]),
           http=toml_list([PY, "-c", serve_http]), tcp_port=tcp, http_port=http, d=d))
        r = run(["-c", cfg, "--run-dir", run_dir()], timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("last | all ready", r.stdout)
        events = [l.split("barekit-init: ", 1)[1] for l in r.stderr.splitlines() if "barekit-init: s" in l or
                  "barekit-init: last" in l]
        order = [e for e in events if re.match(r"^\w+: (started|ready)", e)]
        names = ["s1", "s2", "s3", "s4", "s5"]
        want = []
        for n in names:
            want += [n + ": started", n + ": ready"]
        want.append("last: started")
        self.assertEqual([re.sub(r" \(pid \d+\)", "", e) for e in order], want, r.stderr)
        # Shut down in reverse order: s5 first, s1 last.
        stops = [e.split(":")[0] for e in events if ": stopping" in e and e.startswith("s")]
        self.assertEqual(stops, ["s5", "s4", "s3", "s2", "s1"], r.stderr)

    def test_reverse_shutdown_respects_timeouts_and_returns_early(self):
        cfg = write_config("""
[service.a]
argv = ["sh", "-c", "trap 'echo a-term; exit 0' TERM; while :; do sleep 0.05; done"]
[service.b]
argv = ["sh", "-c", "trap 'echo b-term; exit 0' TERM; while :; do sleep 0.05; done"]
after = ["a"]
[service.stubborn]
argv = ["sh", "-c", "trap 'echo ignoring' TERM; while :; do sleep 0.05; done"]
after = ["b"]
stop_timeout = "500ms"
""")
        p = start(["-c", cfg, "--run-dir", run_dir(), "--grace", "20s"])
        try:
            self.assertTrue(wait_until(lambda: len(children(p.pid)) >= 3))
            time.sleep(0.3)
            t0 = time.monotonic()
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=10)
            took = time.monotonic() - t0
        finally:
            kill_tree(p)
        self.assertEqual(p.returncode, 0, err)
        stops = [l.split("barekit-init: ")[1].split(":")[0] for l in err.splitlines() if ": stopping" in l]
        self.assertEqual(stops, ["stubborn", "b", "a"], err)
        self.assertIn("stubborn: did not stop within 500 ms; sending SIGKILL", err)
        self.assertIn("stubborn | ignoring", out)
        self.assertLess(out.index("b | b-term"), out.index("a | a-term"))
        self.assertGreater(took, 0.5)
        self.assertLess(took, 2.5)  # no waiting for the 20 s grace time

    def test_services_get_clean_fds_and_signal_state(self):
        probe = ("import os; fds = sorted(int(x) for x in os.listdir('/proc/self/fd')); "
                 "print('fds', fds[:3], len(fds)); print('stdin', os.readlink('/proc/self/fd/0'));"
                 "st = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l);"
                 "print('sid', os.getsid(0) == os.getpid())")
        cfg = write_config("""
[service.probe]
argv = %s
oneshot = true
[service.sigs]
argv = ["grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"]
oneshot = true
[service.withfd]
argv = ["sh", "-c", "ls /proc/$$/fd | tr '\\\\n' ' '; echo >&3"]
ready = { kind = "fd", fd = 3 }
oneshot = true
""" % toml_list([PY, "-c", probe]))
        r = run(["-c", cfg, "--run-dir", run_dir()], timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        # listdir's own directory fd is the only one past 2
        self.assertIn("probe | fds [0, 1, 2] 4", r.stdout)
        self.assertIn("probe | stdin /dev/null", r.stdout)
        self.assertIn("sigs | SigBlk:\t0000000000000000", r.stdout)
        self.assertIn("sigs | SigIgn:\t0000000000000000", r.stdout)
        self.assertIn("probe | sid True", r.stdout)
        line = [l for l in r.stdout.splitlines() if l.startswith("withfd | ")][0]
        self.assertEqual(line.split("|", 1)[1].split(), ["0", "1", "2", "3"], r.stdout)

    def test_user_and_group_are_switched(self):
        cfg = write_config("""
[service.who]
argv = ["sh", "-c", "echo uid=$(id -u) gid=$(id -g) groups=$(id -G)"]
user = 65534
group = 65533
oneshot = true
[service.onlyuser]
argv = ["sh", "-c", "echo groups=$(id -G)"]
user = 65534
oneshot = true
[service.where]
argv = ["pwd"]
cwd = "/tmp"
env = { GREETING = "hi there" }
oneshot = true
[service.env]
argv = ["sh", "-c", "echo $GREETING"]
env = { GREETING = "hi there" }
oneshot = true
""")
        r = run(["-c", cfg, "--run-dir", run_dir()], timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("who | uid=65534 gid=65533 groups=65533", r.stdout)
        self.assertIn("onlyuser | groups=0", r.stdout)  # root's supplementary groups dropped
        self.assertIn("where | /tmp", r.stdout)
        self.assertIn("env | hi there", r.stdout)

    def test_main_command_gets_no_leaked_fds(self):
        r = run(["--", "ls", "/proc/self/fd"], timeout=10)
        self.assertEqual(r.stdout.split(), ["0", "1", "2", "3"])

    def test_three_fast_writers_lose_no_line(self):
        writer = ("import sys, time\n"
                  "name = sys.argv[1]; n = 100000; pad = 'x' * 80\n"
                  "out = sys.stdout.buffer; t0 = time.monotonic()\n"
                  "for start in range(0, n, 5000):\n"
                  "    out.write(''.join('%s %07d %s\\n' % (name, i, pad) for i in range(start, start + 5000)).encode())\n"
                  "    out.flush()\n"
                  "    time.sleep(max(0, t0 + (start + 5000) / n - time.monotonic()))\n")  # ~10 MB/s
        cfg = "".join("""
[service.w%d]
argv = %s
oneshot = true
""" % (i, toml_list([PY, "-c", writer, "w%d" % i])) for i in range(3))
        r = subprocess.run([initlib.INIT, "-c", write_config(cfg), "--run-dir", run_dir()], capture_output=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        seen = {"w0": 0, "w1": 0, "w2": 0}
        pad = b"x" * 80
        for line in r.stdout.split(b"\n")[:-1]:
            prefix, _, rest = line.partition(b" | ")
            name = prefix.decode()
            fields = rest.split(b" ")
            self.assertEqual(len(fields), 3, line[:200])
            self.assertEqual(fields[0].decode(), name, line[:200])
            self.assertEqual(int(fields[1]), seen[name], "line lost or out of order")
            self.assertEqual(fields[2], pad)
            seen[name] += 1
        self.assertEqual(seen, {"w0": 100000, "w1": 100000, "w2": 100000})

    def test_sigkill_storm_never_wedges_init(self):
        rd = run_dir()
        cfg = write_config("""
[service.victim]
argv = ["sleep", "100"]
restart = "always"
restart_delay = "1ms"
restart_delay_max = "1ms"
start_limit_burst = 0
[service.bystander]
argv = ["sleep", "100"]
""")
        p = start(["-c", cfg, "--run-dir", rd])
        try:
            self.assertTrue(wait_until(lambda: len(children(p.pid)) >= 2))
            bystander = None
            kills = 0
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                for c in children(p.pid):
                    try:
                        with open("/proc/%d/cmdline" % c) as f:
                            pass
                        kills += 1
                        os.kill(c, signal.SIGKILL) if c != bystander else None
                    except (FileNotFoundError, ProcessLookupError):
                        pass
                    if bystander is None:
                        bystander = -1
            # find the bystander pid through the status socket and check init answers
            st = subprocess.run([initlib.INIT, "status", "--run-dir", rd], capture_output=True, text=True, timeout=5)
            self.assertEqual(st.returncode, 0, st.stderr)
            self.assertRegex(st.stdout, r"victim\s+(running|backoff)")
            self.assertGreater(int(re.search(r"victim.*restarts=(\d+)", st.stdout).group(1)), 20)
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=5), 0)
        finally:
            kill_tree(p)
        self.assertGreater(kills, 20)

    def test_stderr_nobody_reads_never_wedges_init(self):
        # A service restarting every millisecond makes init log two lines a restart: the pipe
        # (64 KB) that stands for an undrained console fills within a second. Init drops its own
        # lines then, keeps supervising and answering, and says how many it dropped.
        rd = run_dir()
        cfg = write_config("""
[service.flap]
argv = ["true"]
restart = "always"
restart_delay = "1ms"
restart_delay_max = "1ms"
start_limit_burst = 0
""")
        p = start(["-c", cfg, "--run-dir", rd])
        try:
            self.assertTrue(wait_until(lambda: os.path.exists(rd + "/control")))

            def queued():  # bytes waiting in the stderr pipe
                return struct.unpack("i", fcntl.ioctl(p.stderr.fileno(), termios.FIONREAD, b"\0" * 4))[0]
            self.assertTrue(wait_until(lambda: queued() > 60000, timeout=30), "the pipe never filled")
            time.sleep(0.5)  # init keeps restarting into a full pipe
            st = subprocess.run([initlib.INIT, "status", "--run-dir", rd], capture_output=True, text=True, timeout=5)
            self.assertEqual(st.returncode, 0, st.stderr)
            self.assertRegex(st.stdout, r"flap\s+(running|backoff|done)")
            os.set_blocking(p.stderr.fileno(), False)
            drained = b""
            while True:  # room again: the next line says how many were dropped
                chunk = p.stderr.buffer.read1(1 << 16) if hasattr(p.stderr, "buffer") else None
                if not chunk:
                    break
                drained += chunk
            self.assertGreater(len(drained), 60000)
            time.sleep(0.5)
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=10)
            self.assertEqual(p.returncode, 0)
            # The count leads the first line that fits: written while the pipe was drained, or
            # after, depending on who ran first.
            self.assertRegex(drained.decode(errors="replace") + err,
                             r"barekit-init: \d+ messages dropped: stderr was full")
        finally:
            kill_tree(p)

    def test_stdout_nobody_reads_never_wedges_init(self):
        # Service output goes to init's stdout. When nobody drains it (a stalled console, a log
        # pipe whose reader hung), init must keep supervising and answering, and must not lose
        # a line: it stops reading the service's pipe, so the service waits on its own write.
        rd = run_dir()
        n = 50000
        cfg = write_config("""
[service.chatty]
argv = ["sh", "-c", "i=0; while [ $i -lt %d ]; do echo line $i; i=$((i+1)); done"]
restart = "never"
[service.idle]
argv = ["sleep", "100"]
""" % n)
        p = start(["-c", cfg, "--run-dir", rd], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                  text=False)
        try:
            self.assertTrue(wait_until(lambda: os.path.exists(rd + "/control")))

            def queued():  # bytes waiting in the stdout pipe
                return struct.unpack("i", fcntl.ioctl(p.stdout.fileno(), termios.FIONREAD, b"\0" * 4))[0]

            def full():
                # Full is not a byte count: a pipe holds 16 pages, and a write whose tail does
                # not fit the last page's room starts a new page, so a full pipe may hold well
                # under 64 KiB, depending on how the writes fell. It is full when it stops taking
                # bytes while chatty (850 KB to write) is still writing.
                before = queued()
                time.sleep(0.5)
                return before > 16384 and queued() == before
            self.assertTrue(wait_until(full, timeout=30), "the pipe never filled")
            time.sleep(0.5)  # chatty keeps writing; init must not be stuck writing for it
            st = subprocess.run([initlib.INIT, "status", "--run-dir", rd], capture_output=True,
                                text=True, timeout=5)
            self.assertEqual(st.returncode, 0, st.stderr)
            self.assertRegex(st.stdout, r"chatty\s+running")
            self.assertRegex(st.stdout, r"idle\s+running")
            # Drain: every line arrives, in order, once chatty can write again.
            out = b""
            deadline = time.monotonic() + 60
            while b"line %d\n" % (n - 1) not in out[-200:] and time.monotonic() < deadline:
                chunk = os.read(p.stdout.fileno(), 1 << 16)
                if not chunk:
                    break
                out += chunk
            p.send_signal(signal.SIGTERM)
            rest, _ = p.communicate(timeout=10)
            self.assertEqual(p.returncode, 0)
            lines = [l for l in (out + rest).split(b"\n") if l.startswith(b"chatty | ")]
            self.assertEqual(len(lines), n)
            self.assertEqual(lines, [b"chatty | line %d" % i for i in range(n)])
        finally:
            kill_tree(p)

    def test_stdout_reader_gone_never_wedges_init(self):
        # The reader of stdout went away: writes fail with EPIPE. Init drops that output (nobody
        # can read it) and keeps supervising.
        rd = run_dir()
        cfg = write_config("""
[service.chatty]
argv = ["sh", "-c", "while true; do echo chatter; done"]
""")
        r, w = os.pipe()
        os.close(r)
        p = start(["-c", cfg, "--run-dir", rd], stdout=w, stderr=subprocess.DEVNULL)
        os.close(w)
        try:
            self.assertTrue(wait_until(lambda: os.path.exists(rd + "/control")))
            time.sleep(0.5)
            st = subprocess.run([initlib.INIT, "status", "--run-dir", rd], capture_output=True,
                                text=True, timeout=5)
            self.assertEqual(st.returncode, 0, st.stderr)
            self.assertRegex(st.stdout, r"chatty\s+running\s+pid=\d+\s+restarts=0")
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=10), 0)
        finally:
            kill_tree(p)

    def test_status_lists_services(self):
        rd = run_dir()
        cfg = write_config('[service.web]\nargv = ["sleep", "100"]\n[service.job]\nargv = ["true"]\noneshot = true\n')
        p = start(["-c", cfg, "--run-dir", rd])
        try:
            self.assertTrue(wait_until(lambda: os.path.exists(rd + "/control")))
            time.sleep(0.2)
            st = subprocess.run([initlib.INIT, "status", "--run-dir", rd], capture_output=True, text=True, timeout=5)
            self.assertRegex(st.stdout, r"web\s+running\s+pid=\d+\s+restarts=0")
            self.assertRegex(st.stdout, r"job\s+done\s+pid=0")
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=5), 0)
        finally:
            kill_tree(p)
        st = subprocess.run([initlib.INIT, "status", "--run-dir", rd], capture_output=True, text=True, timeout=5)
        self.assertEqual(st.returncode, 1)
        self.assertIn("cannot reach init", st.stderr)


    def test_second_init_does_not_steal_the_control_socket(self):
        rd = run_dir()
        cfg = write_config('[service.web]\nargv = ["sleep", "100"]\n')
        p = start(["-c", cfg, "--run-dir", rd])
        try:
            self.assertTrue(wait_until(lambda: os.path.exists(rd + "/control")))
            r = run(["--run-dir", rd, "--", "true"])
            self.assertEqual(r.returncode, 0)
            self.assertIn("in use by another barekit-init", r.stderr)
            st = subprocess.run([initlib.INIT, "status", "--run-dir", rd], capture_output=True, text=True, timeout=5)
            self.assertRegex(st.stdout, r"web\s+running")
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=5), 0)
        finally:
            kill_tree(p)


class ConfigErrors(unittest.TestCase):
    def test_bad_config_gives_file_line_col(self):
        cfg = write_config('[service.a]\nargv = ["x"]\nrestart = "sometimes"\n')
        r = run(["-c", cfg, "--", "true"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("%s:3:11: restart: expected always, on-failure or never, not 'sometimes'" % cfg, r.stderr)
        r = run(["check", cfg])
        self.assertEqual(r.returncode, 1)
        self.assertIn("%s:3:11:" % cfg, r.stderr)

    def test_check_accepts_a_good_config(self):
        cfg = write_config('[service.a]\nargv = ["x"]\n')
        r = run(["check", cfg])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 services ok", r.stdout)

    def test_missing_config(self):
        r = run(["-c", "/nonexistent.toml", "--", "true"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent.toml: No such file or directory", r.stderr)


if __name__ == "__main__":
    initlib.main()
