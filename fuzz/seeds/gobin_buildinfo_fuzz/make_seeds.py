#!/usr/bin/env python3
"""Writes the seeds of fuzz/gobin_buildinfo_fuzz.cc into this directory: tiny hand-laid ELF
files holding a Go build info blob (inline 1.18+ layout; pointer layout, 32-bit big-endian) and
plain module texts. Run it from anywhere; it is deterministic."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
MAGIC = b"\xff Go buildinf:"
START = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
END = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"

MODTEXT = (b"path\texample.com/app\n"
           b"mod\texample.com/app\t(devel)\t\n"
           b"dep\texample.com/greet\tv1.2.3\n"
           b"=>\t../greet\t(devel)\t\n\n"
           b"dep\tgolang.org/x/sys\tv0.1.0\th1:abc=\n"
           b"build\t-ldflags=\"-s -w\"\n"
           b"build\t\"odd key\"=`raw`\n"
           b"build\tCGO_ENABLED=0\n")


def uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def pad(b, n):
    return b + b"\0" * (-len(b) % n)


def elf64_le_one_load(payload):
    """ELF64 LE x86-64 executable, no sections, one RW PT_LOAD covering the file."""
    base = 0x400000
    data_off = 0x80
    size = data_off + len(payload)
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, base, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 6, 0, base, base, size, size, 0x1000)
    return pad(eh + ph, data_off), base + data_off


def elf32_be_one_load(build_payload):
    base = 0x10000
    data_off = 0x60
    eh = b"\x7fELF" + bytes([1, 2, 1, 0]) + b"\0" * 8
    def headers(size):
        h = eh + struct.pack(">HHIIIIIHHHHHH", 2, 8, 1, base, 52, 0, 0, 52, 32, 1, 40, 0, 0)
        h += struct.pack(">IIIIIIII", 1, 0, base, base, size, size, 6, 0x1000)
        return pad(h, data_off)
    payload = build_payload(base + data_off)
    return headers(data_off + len(payload)) + payload


def inline_blob(version, mod):
    b = MAGIC + bytes([8, 2]) + b"\0" * 16
    b += uvarint(len(version)) + version + uvarint(len(mod)) + mod
    return pad(b, 16)


def write(name, data):
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)


# 1. Go 1.18+ inline layout in a segment-only ELF (the reader falls back to the RW PT_LOAD).
blob = inline_blob(b"go1.21.5", START + MODTEXT + END)
hdr, _ = elf64_le_one_load(blob)
write("elf64_inline.elf", hdr + blob)

# 2. Same, GOPATH build (no module text).
blob = inline_blob(b"go1.19.8", b"")
hdr, _ = elf64_le_one_load(blob)
write("elf64_inline_gopath.elf", hdr + blob)


# 3. Go 1.13-1.17 pointer layout, 32-bit big-endian (mips): pointers to string headers.
def pointer_payload(addr):
    version = b"go1.16.15"
    mod = START + b"path\tx\nmod\tx\tv1.0.0\th1:s=\n" + END
    hdrs = addr + 0x20
    strs = addr + 0x30
    b = MAGIC + bytes([4, 1]) + struct.pack(">II", hdrs, hdrs + 8) + b"\0" * 8
    b += struct.pack(">IIII", strs, len(version), strs + len(version), len(mod))
    return b + version + mod


write("elf32_be_pointer.elf", elf32_be_one_load(pointer_payload))

# 4. Module texts on their own (the raw input also goes to ParseModInfo).
write("modinfo.txt", MODTEXT)
write("modinfo_quoted.txt", b"build\t-gcflags=\"all=-N \\x41\\u00e9\\U0001F600\\101\"\n"
      b"build\t`k`=`v v`\nbuild\t\"k\"x\n")
write("modinfo_bad_replace.txt", b"path\tp\n=>\ta\tb\tc\n")
