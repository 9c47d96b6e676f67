"""Side-by-side timing for barekit's benches: runs each command of a group in turn, N rounds,
measuring wall time and peak RSS of the child (os.wait4), and prints medians and ratios.
These machines are noisy: only medians and ratios are meaningful, never one absolute time."""
import statistics
import subprocess
import tempfile
import time


def measure(argv, env=None):
    """Runs argv under GNU time so that the peak RSS is the child's own: a child forked from
    this Python process would carry Python's resident pages in ru_maxrss."""
    with tempfile.NamedTemporaryFile("r") as out:
        t0 = time.perf_counter()
        rc = subprocess.call(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        wall = time.perf_counter() - t0
        kb = int(out.read().strip().splitlines()[-1] or 0)
    return wall, kb * 1024, rc


def compare(name, ours, ref, rounds=15, warmup=2):
    """ours/ref: argv lists. Returns a dict with medians and ratios."""
    for _ in range(warmup):
        measure(ours)
        measure(ref)
    ow, orss, rw, rrss = [], [], [], []
    for _ in range(rounds):
        w, m, _ = measure(ours)
        ow.append(w)
        orss.append(m)
        w, m, _ = measure(ref)
        rw.append(w)
        rrss.append(m)
    r = {
        "name": name,
        "ours_ms": statistics.median(ow) * 1e3,
        "ref_ms": statistics.median(rw) * 1e3,
        "ours_rss_mb": statistics.median(orss) / 2**20,
        "ref_rss_mb": statistics.median(rrss) / 2**20,
    }
    r["time_ratio"] = r["ours_ms"] / r["ref_ms"] if r["ref_ms"] else float("inf")
    r["rss_ratio"] = r["ours_rss_mb"] / r["ref_rss_mb"] if r["ref_rss_mb"] else float("inf")
    return r


def print_table(rows, time_limit=None, rss_limit=None):
    print(f"{'case':44} {'barekit ms':>10} {'ref ms':>9} {'ratio':>6}  {'barekit MB':>10} {'ref MB':>8} {'ratio':>6}  verdict")
    ok_all = True
    for r in rows:
        ok = True
        if time_limit is not None and r["time_ratio"] > time_limit:
            ok = False
        if rss_limit is not None and r["rss_ratio"] > rss_limit:
            ok = False
        ok_all &= ok
        print(f"{r['name'][:44]:44} {r['ours_ms']:10.2f} {r['ref_ms']:9.2f} {r['time_ratio']:6.2f}  "
              f"{r['ours_rss_mb']:10.1f} {r['ref_rss_mb']:8.1f} {r['rss_ratio']:6.2f}  {'ok' if ok else 'OVER'}")
    return ok_all
