"""Helpers for the black-box tests of barekit-init: run it, wait for output, inspect /proc."""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

INIT = None  # path of the barekit-init binary, from argv[1]


def main():
    global INIT
    if len(sys.argv) < 2:
        sys.exit("usage: %s BAREKIT_INIT [unittest args]" % sys.argv[0])
    INIT = os.path.abspath(sys.argv[1])
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2, warnings="ignore")


def run(args, timeout=20, **kw):
    """Runs barekit-init with args; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run([INIT] + args, capture_output=True, text=True, timeout=timeout, **kw)


def start(args, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    return subprocess.Popen([INIT] + args, **kw)


def read_line_with(stream, needle, timeout=10):
    """Reads lines from a text stream until one contains needle; returns it (or fails)."""
    import select
    deadline = time.monotonic() + timeout
    fd = stream.fileno()
    buf = ""
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], max(0, deadline - time.monotonic()))
        if not r:
            break
        chunk = os.read(fd, 65536).decode(errors="replace")
        if not chunk:
            break
        buf += chunk
        for line in buf.splitlines():
            if needle in line:
                return line, buf
    raise AssertionError("no line with %r within %ss; got:\n%s" % (needle, timeout, buf))


def children(pid):
    """Direct children of pid (from /proc/PID/task/*/children)."""
    out = []
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out += [int(x) for x in f.read().split()]
    except FileNotFoundError:
        pass
    return out


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children(p):
            out.append(c)
            todo.append(c)
    return out


def proc_status(pid):
    fields = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                fields[k] = v.strip()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields


def alive(pid):
    st = proc_status(pid)
    return st is not None and not st.get("State", "").startswith("Z")


def wait_until(pred, timeout=10, step=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def open_fds(pid):
    return sorted(int(x) for x in os.listdir("/proc/%d/fd" % pid))


_SCRATCH = None


def scratch(prefix="d-"):
    """A fresh directory inside this test run's own temporary directory, which is removed when the
    run ends, passed or failed: configs, run dirs and roots leave nothing in /tmp."""
    global _SCRATCH
    if _SCRATCH is None:
        _SCRATCH = tempfile.mkdtemp(prefix="bk-init-test-")
        atexit.register(shutil.rmtree, _SCRATCH, True)
    return tempfile.mkdtemp(prefix=prefix, dir=_SCRATCH)


def write_config(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, dir=scratch("cfg-"))
    f.write(text)
    f.close()
    return f.name


def run_dir():
    return scratch("run-")


def kill_tree(p):
    for pid in descendants(p.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        p.kill()
    except ProcessLookupError:
        pass
