"""Shared helpers for barekit's black-box tests: where the binary, corpus and fixtures are."""
import json
import os
import subprocess
import sys

BIN = os.path.abspath(os.environ.get("BAREKIT_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "src", "cli", "barekit"))
CORPUS = os.environ.get("BAREKIT_CORPUS", os.path.expanduser("~/.cache/barekit-corpus"))
FIXTURES = os.path.abspath(os.environ.get("BAREKIT_FIXTURES", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "fixtures")))

MAGICS = (b"\x7fELF", b"MZ", b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf",
          b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=kw.pop("timeout", 120), **kw)


def barekit(*args, **kw):
    return run([BIN, *args], **kw)


def executables(*roots):
    """Every file under the roots that starts with an executable-format magic."""
    out = []
    for root in roots:
        if not os.path.isdir(root):
            continue
        for d, _, files in os.walk(root):
            for f in sorted(files):
                p = os.path.join(d, f)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                with open(p, "rb") as fh:
                    head = fh.read(4)
                if head.startswith(MAGICS):
                    out.append(p)
    return sorted(out)


def inspect_json(paths):
    """barekit inspect --json over many paths at once; returns {file: object}."""
    out = {}
    for i in range(0, len(paths), 200):
        r = barekit("inspect", "--json", *paths[i:i + 200], timeout=600)
        for obj in json.loads(r.stdout):
            out[obj["file"]] = obj
    return out


def require_inputs(paths, what):
    """Without inputs the test cannot fail, so that is a failure where inputs are promised
    (scripts/test sets BAREKIT_REQUIRE_INPUTS=1) and a visible skip elsewhere."""
    if not paths:
        if os.environ.get("BAREKIT_REQUIRE_INPUTS"):
            print(f"FAIL: no {what} found (BAREKIT_CORPUS / BAREKIT_FIXTURES)")
            sys.exit(1)
        print(f"SKIP: no {what} found (set BAREKIT_CORPUS / BAREKIT_FIXTURES)")
        sys.exit(0)
