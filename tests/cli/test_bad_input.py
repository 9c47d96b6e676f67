#!/usr/bin/env python3
"""Bad input is normal. Every corpus and fixture binary is truncated at many offsets (inside
the headers, at every header-table boundary, and spread through the file) and has bytes
flipped; barekit must answer each with a clean report or one clean error line: no crash, no
hang, valid JSON, exit 0 or 1. A truncated or damaged copy that still reads must keep the
original's format."""
import json
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from common import CORPUS, FIXTURES, barekit, executables, require_inputs  # noqa: E402

SEED = int(os.environ.get("BAREKIT_BAD_INPUT_SEED", "20261127"))


def offsets(size, rng):
    base = {0, 1, 3, 4, 5, 16, 18, 20, 24, 28, 32, 40, 52, 58, 60, 63, 64, 100, 128, 200, 256,
            512, 1024, 4096}
    base |= {size - 1, size - 2, size - 16, size // 2, size // 3}
    base |= {rng.randrange(size) for _ in range(12)}
    return sorted(o for o in base if 0 <= o < size)


def main():
    rng = random.Random(SEED)
    paths = executables(FIXTURES, CORPUS)
    require_inputs(paths, "fixture or corpus executables")
    tmp = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    problems = []
    cases = 0
    try:
        for p in paths:
            with open(p, "rb") as f:
                data = f.read()
            orig = json.loads(barekit("inspect", "--json", p, timeout=120).stdout)[0]
            batch = []
            for off in offsets(len(data), rng):
                q = os.path.join(tmp, f"trunc-{off}")
                with open(q, "wb") as f:
                    f.write(data[:off])
                batch.append(q)
            # Byte flips: in the first 4 KiB (headers, load commands) and anywhere.
            for i in range(16):
                buf = bytearray(data[: min(len(data), 8 << 20)])
                span = min(len(buf), 4096) if i < 10 else len(buf)
                for _ in range(1 + i % 4):
                    k = rng.randrange(span)
                    buf[k] ^= 1 << rng.randrange(8)
                q = os.path.join(tmp, f"flip-{i}")
                with open(q, "wb") as f:
                    f.write(buf)
                batch.append(q)
            try:
                r = barekit("inspect", "--json", *batch, timeout=120)
            except Exception as e:  # a hang is a failure
                problems.append(f"{p}: barekit did not finish on damaged copies: {e}")
                continue
            cases += len(batch)
            if r.returncode not in (0, 1):
                problems.append(f"{p}: exit {r.returncode} on damaged copies\n{r.stderr.decode()[-2000:]}")
                continue
            try:
                objs = json.loads(r.stdout)
            except ValueError as e:
                problems.append(f"{p}: invalid JSON on damaged copies: {e}")
                continue
            if len(objs) != len(batch):
                problems.append(f"{p}: {len(objs)} reports for {len(batch)} files")
            for o in objs:
                if "error" in o:
                    if "\n" in o["error"] or not o["error"]:
                        problems.append(f"{p}: error is not one line: {o['error']!r}")
                elif "error" not in orig and o.get("format") != orig.get("format"):
                    problems.append(f"{p}: damaged copy {o['file']} read as {o.get('format')}")
            for q in batch:
                os.unlink(q)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{cases} damaged inputs from {len(paths)} binaries")
    for x in problems:
        print("FAIL", x)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
