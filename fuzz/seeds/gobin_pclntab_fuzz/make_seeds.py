#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/gobin_pclntab_fuzz.cc: small synthetic function tables of every
layout, and tiny ELF files holding a table, a text section and a moduledata that points at it
(one Go 1.20-style with pcHeader.textStart set, one Go 1.26-style with textStart 0 and
.go.module, one with the magic stomped so only the moduledata scan finds it)."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FUNCS = [(0x0, "runtime.text"), (0x40, "github.com/a/b.(*T).M"), (0x100, "main.main"),
         (0x140, "_rt0_amd64_linux")]
END = 0x180


def table(magic, big=False, ps=8, text_start=0x401000):
    e = ">" if big else "<"
    w = {4: "I", 8: "Q"}[ps]
    rel = magic in (0xFFFFFFF0, 0xFFFFFFF1)
    fs = 4 if rel else ps
    base = 0 if rel else 0x401000
    fmt_f = {4: "I", 8: "Q"}[fs]
    out = bytearray(struct.pack(e + "I", magic) + bytes([0, 0, 1, ps]))
    n = len(FUNCS)
    if magic == 0xFFFFFFFB:
        out += struct.pack(e + w, n)
        functab = len(out)
        out += bytes((2 * n + 1) * fs + 4)
        names = []
        for _, name in FUNCS:
            names.append(len(out))
            out += name.encode() + b"\0"
        while len(out) % ps:
            out += b"\0"
        for i, (off, _) in enumerate(FUNCS):
            rec = len(out)
            out += struct.pack(e + w + "II", base + off, names[i], 0)
            struct.pack_into(e + fmt_f + fmt_f, out, functab + 2 * i * fs, base + off, rec)
        struct.pack_into(e + fmt_f, out, functab + 2 * n * fs, base + END)
        return bytes(out)
    words = 8 if rel else 7
    hdr = len(out)
    out += bytes(words * ps)
    funcname = len(out)
    names = []
    for _, name in FUNCS:
        names.append(len(out) - funcname)
        out += name.encode() + b"\0"
    out += b"/src/runtime/rt0_linux_amd64.s\0"
    pctab = len(out)
    out += bytes([0, 2, 8, 0])  # one pcvalue table: (+1, pc+8), end
    while len(out) % ps:
        out += b"\0"
    functab = len(out)
    out += bytes((2 * n + 1) * fs)
    entry_fmt = "I" if rel else w
    for i, (off, _) in enumerate(FUNCS):
        rec = len(out)
        out += struct.pack(e + entry_fmt + "IIIIIIII", base + off, names[i], 0, 0, 1, 0, 0, 0, 0)
        out += bytes(8)
        struct.pack_into(e + fmt_f + fmt_f, out, functab + 2 * i * fs, base + off, rec - functab)
    struct.pack_into(e + fmt_f, out, functab + 2 * n * fs, base + END)
    h = [n, 1] + ([text_start] if rel else []) + [funcname, functab, functab, pctab, functab]
    struct.pack_into(e + w * len(h), out, hdr, *h)
    return bytes(out)


def elf(tab, moddata_name, stomp=False):
    """ELF64 LE: .text at 0x401000, .gopclntab (or .rodata when stomped) at 0x500000, moduledata
    in `moddata_name` at 0x600000, .shstrtab."""
    text = b"\xcc" * END
    pcln_addr, md_addr = 0x500000, 0x600000
    hdr = struct.unpack_from("<8Q", tab, 8)  # nfunc, nfiles, textStart, funcname, ...
    md = [0] * 40
    md[0] = pcln_addr
    md[1], md[2], md[3] = pcln_addr + hdr[3], hdr[4] - hdr[3], hdr[4] - hdr[3]
    md[20], md[21], md[22], md[23] = 0x401000, 0x401000 + END, 0x401000, 0x401000 + END
    mdb = struct.pack("<40Q", *md)
    if stomp:
        tab = b"\0\0\0\0" + tab[4:]
    pname = ".rodata" if stomp else ".gopclntab"
    names = b"\0.text\0" + pname.encode() + b"\0" + moddata_name.encode() + b"\0.shstrtab\0"
    secs = [(".text", 1, 6, 0x401000, text), (pname, 1, 2, pcln_addr, tab),
            (moddata_name, 1, 3, md_addr, mdb), (".shstrtab", 3, 0, 0, names)]
    body = bytearray(64)
    offs = []
    for _, _, _, _, data in secs:
        while len(body) % 16:
            body += b"\0"
        offs.append(len(body))
        body += data
    while len(body) % 8:
        body += b"\0"
    shoff = len(body)
    sh = bytearray(64)  # null section
    for (name, typ, flags, addr, data), off in zip(secs, offs):
        sh += struct.pack("<IIQQQQIIQQ", names.index(name.encode() + b"\0"), typ, flags, addr,
                          off, len(data), 0, 0, 16, 0)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x401000, 0, shoff, 0, 64, 56, 0, 64,
                               len(secs) + 1, len(secs))
    body[:64] = ehdr
    return bytes(body + sh)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    seeds = {
        "go120_le64.bin": table(0xFFFFFFF1),
        "go118_be32.bin": table(0xFFFFFFF0, big=True, ps=4),
        "go116_le64.bin": table(0xFFFFFFFA),
        "go12_be32.bin": table(0xFFFFFFFB, big=True, ps=4),
        "elf_go120.elf": elf(table(0xFFFFFFF1), ".noptrdata"),
        "elf_go126.elf": elf(table(0xFFFFFFF1, text_start=0), ".go.module"),
        "elf_stomped.elf": elf(table(0xFFFFFFF1, text_start=0), ".noptrdata", stomp=True),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
