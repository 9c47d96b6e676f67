#!/usr/bin/env python3
"""barekit's facts against oracles nobody here wrote, on every fixture and corpus binary:
  - `go version -m FILE` must equal `barekit inspect --go-version FILE` byte for byte;
  - readelf (-h -l -d -S -V) and file(1) must agree with the ELF facts in --json:
    arch, class, byte order, linkage kind, interpreter, NEEDED, RPATH/RUNPATH, version needs,
    symtab/DWARF presence, PIE/NX/RELRO/BIND_NOW.
Every disagreement is printed; the test fails if there is any."""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import CORPUS, FIXTURES, barekit, executables, inspect_json, require_inputs, run  # noqa: E402

FILE_ARCH = [  # (regex on file(1) output, bits, endian) -> GOARCH
    (r"x86-64", "amd64"), (r"Intel 80386", "386"), (r"ARM aarch64", "arm64"),
    (r"\bARM\b", "arm"), (r"RISC-V", "riscv64"), (r"S/390", "s390x"),
    (r"LoongArch", "loong64"),
]

failures = []


def fail(path, msg):
    failures.append(f"{path}: {msg}")


def file_arch(desc):
    if "PowerPC" in desc:
        return "ppc64le" if "LSB" in desc else "ppc64"
    if "MIPS" in desc:
        a = "mips64" if "64-bit" in desc else "mips"
        return a + ("le" if "LSB" in desc else "")
    for rx, arch in FILE_ARCH:
        if re.search(rx, desc):
            return arch
    return None


def readelf(path, flag):
    r = run(["readelf", "--wide", flag, path])
    return r.stdout.decode("utf-8", "replace")


def check_elf(path, j):
    desc = run(["file", "-b", path]).stdout.decode()
    hdr = readelf(path, "-h")
    # Format, class, byte order, arch.
    want_bits = 64 if "ELF64" in hdr else 32
    if j.get("bits") != want_bits:
        fail(path, f"bits {j.get('bits')} != readelf {want_bits}")
    want_endian = "big" if "big endian" in hdr else "little"
    if j.get("endian") != want_endian:
        fail(path, f"endian {j.get('endian')} != readelf {want_endian}")
    fa = file_arch(desc)
    if fa and j.get("arch") != fa:
        fail(path, f"arch {j.get('arch')} != file(1) {fa} ({desc.strip()[:80]})")
    # Linkage.
    link = j["linkage"]
    if "static-pie linked" in desc:
        want_kind = "static-pie"
    elif "statically linked" in desc:
        want_kind = "static"
    elif "dynamically linked" in desc:
        want_kind = "dynamic"
    else:
        want_kind = None
    if want_kind and link["kind"] != want_kind:
        fail(path, f"linkage {link['kind']} != file(1) {want_kind}")
    ph = readelf(path, "-l")
    m = re.search(r"Requesting program interpreter: ([^\]]+)\]", ph)
    if (link["interpreter"] or None) != (m.group(1) if m else None):
        fail(path, f"interpreter {link['interpreter']!r} != readelf {m.group(1) if m else None!r}")
    dyn = readelf(path, "-d")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    if link["needed"] != needed:
        fail(path, f"needed {link['needed']} != readelf {needed}")
    for tag, key in (("RPATH", "rpath"), ("RUNPATH", "runpath")):
        mm = re.search(rf"\({tag}\)\s+Library \w+: \[([^\]]*)\]", dyn)
        want = mm.group(1).split(":") if mm else []
        if link[key] != want:
            fail(path, f"{key} {link[key]} != readelf {want}")
    # Version needs: highest version per library.
    ver = readelf(path, "-V")
    want_versions = {}
    sect = ver.split(".gnu.version_r", 1)
    if len(sect) == 2:
        lib = None
        for line in sect[1].splitlines():
            mf = re.search(r"File: (\S+)\s+Cnt:", line)
            if mf:
                lib = mf.group(1)
                continue
            mn = re.search(r"Name: (\S+)\s+Flags", line)
            if mn and lib:
                want_versions.setdefault(lib, []).append(mn.group(1))
            if line.startswith("Version") or line.startswith("Displaying"):
                break

    def vkey(v):
        return [int(x) if x.isdigit() else 0 for x in re.split(r"[._]", v.split("_", 1)[-1])]
    for lib, names in want_versions.items():
        top = max(names, key=vkey)
        got = link["version_needs"].get(lib)
        if got != top:
            fail(path, f"highest version needed from {lib}: {got} != readelf {top} (of {names})")
    if set(link["version_needs"]) != set(want_versions):
        fail(path, f"libraries with version needs {sorted(link['version_needs'])} != readelf {sorted(want_versions)}")
    # Hardening.
    hard = link["hardening"]
    stack = re.search(r"GNU_STACK\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+([RWE ]+?)\s+0x", ph)
    if stack:
        want_nx = "E" not in stack.group(1)
        if hard["nx_stack"] != want_nx:
            fail(path, f"nx_stack {hard['nx_stack']} != readelf GNU_STACK flags {stack.group(1)!r}")
    has_relro = "GNU_RELRO" in ph
    bind_now = bool(re.search(r"\(BIND_NOW\)|\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*\bNOW\b", dyn))
    want_relro = "full" if has_relro and bind_now else "partial" if has_relro else "none"
    if hard["relro"] != want_relro:
        fail(path, f"relro {hard['relro']} != readelf {want_relro}")
    if hard["bind_now"] != bind_now:
        fail(path, f"bind_now {hard['bind_now']} != readelf {bind_now}")
    # Symbols.
    secs = readelf(path, "-S")
    names = re.findall(r"\]\s+(\S+)\s+[A-Z_]+", secs)
    want_symtab = ".symtab" in names
    want_dwarf = any(n.startswith((".debug_", ".zdebug_")) for n in names)
    if j["symbols"]["symtab"] != want_symtab:
        fail(path, f"symtab {j['symbols']['symtab']} != readelf {want_symtab}")
    if j["symbols"]["dwarf"] != want_dwarf:
        fail(path, f"dwarf {j['symbols']['dwarf']} != readelf {want_dwarf}")
    if ", stripped" in desc and j["symbols"]["symtab"]:
        fail(path, "file(1) says stripped but barekit found a symbol table")
    if "not stripped" in desc and not j["symbols"]["symtab"]:
        fail(path, "file(1) says not stripped but barekit found no symbol table")


def check_go_version(paths):
    go = shutil.which("go")
    if not go:
        fail("go", "the go tool is not installed (Debian golang-go)")
        return 0
    compared = 0
    for p in paths:
        want = run([go, "version", "-m", p])
        if want.returncode != 0:
            continue
        got = barekit("inspect", "--go-version", p)
        compared += 1
        if got.stdout != want.stdout:
            fail(p, "--go-version differs from `go version -m`:\n--- go\n"
                 + want.stdout.decode(errors="replace") + "--- barekit\n"
                 + got.stdout.decode(errors="replace"))
    return compared


def main():
    paths = executables(FIXTURES, CORPUS)
    require_inputs(paths, "fixture or corpus executables")
    facts = inspect_json(paths)
    elf = 0
    for p in paths:
        j = facts.get(p)
        if j is None:
            fail(p, "missing from barekit's JSON output")
            continue
        if "error" in j:
            fail(p, f"barekit could not read it: {j['error']}")
            continue
        for key in ("file", "format", "os", "arch", "go", "linkage", "symbols", "packer"):
            if key not in j:
                fail(p, f"JSON lacks key {key!r}")
        # The corpus's esbuild 0.28 builds have no .go.buildinfo: still Go, build info missing.
        if "esbuild" in p and "0.28.2" in p:
            if not j.get("go"):
                fail(p, "reported as not Go, but it is a Go binary without build info")
            elif j["go"].get("buildinfo") != "missing":
                fail(p, f"buildinfo {j['go'].get('buildinfo')!r}, expected 'missing'")
        if j["format"] == "elf":
            elf += 1
            check_elf(p, j)
    compared = check_go_version(paths)
    print(f"checked {len(paths)} executables ({elf} ELF) against readelf/file; "
          f"{compared} against `go version -m`")
    if compared == 0:
        fail("go version -m", "no binary could be compared (did the fixtures build?)")
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} disagreements")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
