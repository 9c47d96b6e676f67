#!/usr/bin/env python3
"""Go internals through the CLI, checked against independent facts:
  - --size: the tree's bytes add up exactly at every level and the root equals the file size,
    on every fixture and corpus binary;
  - --functions: the count equals the header's nfunc, entries sorted;
  - --html: the page, loaded in headless Chromium (Debian's package), renders one box per
    size-map node with bytes, each with the node's bytes; a screenshot is taken;
  - diff: file-size and code deltas equal the differences of the two --json reports; a
    stripped build shows the -ldflags change."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from common import CORPUS, FIXTURES, barekit, executables, require_inputs  # noqa: E402

failures = []


def fail(msg):
    failures.append(msg)


def walk(node, path, out):
    out[path] = node["file_bytes"]
    kids = node.get("children", [])
    if kids and sum(k["file_bytes"] for k in kids) != node["file_bytes"]:
        fail(f"size map {path}: children sum {sum(k['file_bytes'] for k in kids)} != {node['file_bytes']}")
    for k in kids:
        walk(k, f"{path}/{k['name']}" if path else k["name"], out)


def check_size_and_functions(paths):
    for i in range(0, len(paths), 50):
        r = barekit("inspect", "--json", "--size", "--functions", *paths[i:i + 50], timeout=600)
        if r.returncode not in (0, 1):
            fail(f"inspect --size exited {r.returncode}: {r.stderr.decode()[-500:]}")
            continue
        for j in json.loads(r.stdout):
            if "error" in j:
                continue
            sm = j.get("size_map")
            if sm is None:
                fail(f"{j['file']}: no size_map")
                continue
            if sm["file_bytes"] != os.path.getsize(j["file"]):
                fail(f"{j['file']}: size map root {sm['file_bytes']} != file size {os.path.getsize(j['file'])}")
            walk(sm, "", {})
            ft = j.get("function_table", {})
            if j.get("go") and "error" in ft:
                fail(f"{j['file']}: Go binary without a function table: {ft['error']}")
            fs = ft.get("functions")
            if fs is not None:
                if len(fs) != ft["nfunc"]:
                    fail(f"{j['file']}: {len(fs)} functions, header says {ft['nfunc']}")
                if any(fs[k]["entry"] > fs[k + 1]["entry"] for k in range(len(fs) - 1)):
                    fail(f"{j['file']}: function entries not sorted")


def chromium():
    for c in ("chromium", "chromium-browser"):
        if shutil.which(c):
            return shutil.which(c)
    return None


def check_html(binary):
    exe = chromium()
    if not exe:
        fail("chromium is not installed (Debian package chromium, in deps/apt-test.txt)")
        return
    with tempfile.TemporaryDirectory() as d:
        page = os.path.join(d, "report.html")
        r = barekit("inspect", "--html", page, binary)
        if r.returncode != 0:
            fail(f"--html failed: {r.stderr.decode()}")
            return
        html = open(page, encoding="utf-8").read()
        if re.search(r"(src|href)=\"?https?:", html):
            fail("the page loads something from the network")
        j = json.loads(barekit("inspect", "--json", "--size", "--packages", binary).stdout)[0]
        want = {}
        walk(j["size_map"], "", want)
        want = {p: b for p, b in want.items() if p and b > 0}
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={d}/profile", "--window-size=1280,900"]
        dom = subprocess.run([exe, *flags, "--virtual-time-budget=5000", "--dump-dom", "file://" + page],
                             capture_output=True, timeout=120).stdout.decode("utf-8", "replace")
        boxes = {}
        for m in re.finditer(r'<div class="box[^"]*"[^>]*>', dom):
            tag = m.group(0)
            p = re.search(r'data-path="([^"]*)"', tag)
            b = re.search(r'data-bytes="(\d+)"', tag)
            if p and b:
                path = (p.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                        .replace("&quot;", '"'))
                boxes[path] = int(b.group(1))
        if not boxes:
            fail(f"the page rendered no boxes in Chromium ({len(dom)} bytes of DOM)")
        missing = [p for p in want if p not in boxes]
        wrong = [p for p in want if p in boxes and boxes[p] != want[p]]
        extra = [p for p in boxes if p not in want]
        if missing or wrong or extra:
            fail(f"treemap boxes differ from the JSON: {len(missing)} missing (e.g. {missing[:3]}), "
                 f"{len(wrong)} with other bytes, {len(extra)} extra (e.g. {extra[:3]})")
        shot_dir = os.environ.get("BAREKIT_ARTIFACTS", tempfile.gettempdir())
        shot = os.path.join(shot_dir, "barekit-treemap.png")
        subprocess.run([exe, *flags, "--virtual-time-budget=5000", f"--screenshot={shot}", "file://" + page],
                       capture_output=True, timeout=120)
        if not os.path.exists(shot) or os.path.getsize(shot) < 10000:
            fail(f"no screenshot of the treemap at {shot}")
        print(f"html: {len(boxes)} boxes match the JSON; screenshot {shot}")


def check_diff(old, new):
    r = barekit("diff", "--json", old, new)
    if r.returncode != 0:
        fail(f"diff exited {r.returncode}: {r.stderr.decode()}")
        return
    d = json.loads(r.stdout)
    if d["size_delta"] != os.path.getsize(new) - os.path.getsize(old):
        fail(f"diff size_delta {d['size_delta']} wrong")
    po = json.loads(barekit("inspect", "--json", "--packages", old).stdout)[0]["packages"]
    pn = json.loads(barekit("inspect", "--json", "--packages", new).stdout)[0]["packages"]
    if d["code_delta"] != pn["total_code_bytes"] - po["total_code_bytes"]:
        fail("diff code_delta differs from the --packages totals")
    if sum(p["delta"] for p in d["packages"]) != d["code_delta"]:
        fail("per-package deltas do not add up to the code delta")
    text = barekit("diff", old, new).stdout.decode()
    if "file size" not in text:
        fail("diff text lacks the file size line")
    return d


def table_of(path):
    r = barekit("inspect", "--json", "--functions", path, timeout=300)
    return json.loads(r.stdout)[0].get("function_table", {})


def check_table_found_every_way():
    """The table without its section name, and then without its magic too: the magic scan and
    the module-data scan must find the same functions as the section lookup did. A PE file
    keeps its table in .rdata, which Go's linker marks executable."""
    pe = os.path.join(FIXTURES, "go-windows-amd64-stripped.exe")
    if os.path.exists(pe):
        t = table_of(pe)
        if (t.get("source"), t.get("source_detail")) != ("magic-scan", ".rdata"):
            fail(f"{pe}: table found by {t.get('source')} in {t.get('source_detail')}")
    elf = os.path.join(FIXTURES, "go-linux-amd64-stripped")
    if not os.path.exists(elf):
        return
    want = table_of(elf)
    if want.get("source") != "section" or not want.get("functions"):
        fail(f"{elf}: no table from its .gopclntab section")
        return
    with open(elf, "rb") as f:
        data = bytearray(f.read())

    def expect(what, data, source):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "variant")
            with open(path, "wb") as f:
                f.write(data)
            got = table_of(path)
        if got.get("source") != source or got.get("functions") != want["functions"]:
            fail(f"{what}: found by {got.get('source')}, not {source}; functions "
                 f"{'equal' if got.get('functions') == want['functions'] else 'differ'}")

    at = data.find(b".gopclntab\0")
    data[at:at + 10] = b".gopclnXXX"
    expect("renamed .gopclntab", data, "magic-scan")
    off = want["file_offset"]
    data[off:off + 4] = b"\0\0\0\0"
    expect("renamed .gopclntab and zeroed magic", data, "moduledata")


def main():
    check_table_found_every_way()
    paths = executables(FIXTURES, CORPUS)
    require_inputs(paths, "fixture or corpus executables")
    check_size_and_functions(paths)
    restic = [p for p in paths if p.endswith("/restic")]
    check_html(restic[0] if restic else paths[0])
    a = os.path.join(FIXTURES, "go-linux-amd64-trimpath")
    b = os.path.join(FIXTURES, "go-linux-amd64-trimpath-stripped")
    if os.path.exists(a) and os.path.exists(b):
        check_diff(a, b)
    a = os.path.join(FIXTURES, "go-linux-amd64")
    b = os.path.join(FIXTURES, "go-linux-amd64-net")
    if os.path.exists(a) and os.path.exists(b):
        d = check_diff(a, b)
        if d and not any(p["name"] == "net/http" and p["delta"] > 0 for p in d["packages"]):
            fail("diff of a binary that adds net/http does not show net/http growing")
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failures over {len(paths)} binaries")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
