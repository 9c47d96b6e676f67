#!/usr/bin/env python3
"""Writes the small seed inputs of fuzz/exe_pe_fuzz.cc and fuzz/exe_macho_fuzz.cc (each < 4 KB).

usage: make_seeds.py PEMACHO_DIR REPO_ROOT
  PEMACHO_DIR holds the Go-built binaries of make_pemacho.sh (their headers become seeds).
Hand-made seeds: a minimal PE32+ (a .text, an import of kernel32.dll, a long section name
resolved through the COFF string table, two COFF symbols), a minimal thin Mach-O 64 (LC_SEGMENT_64
__TEXT/__text + __DATA/__bss, LC_SYMTAB, LC_LOAD_DYLINKER, LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB,
LC_RPATH, LC_MAIN), a fat file of two copies of it, and a Java class header (0xcafebabe).
src/exe/macho_test.cc and pe_test.cc check the facts of the hand-made ones.
"""
import os
import struct
import sys


def pe_min():
    lfanew = 0x40
    nsec = 3
    opt_size = 112 + 16 * 8
    shdrs = lfanew + 24 + opt_size
    text_off, idata_off, dbg_off, sym_off = 0x200, 0x240, 0x300, 0x320
    image_base = 0x140000000
    # .idata at RVA 0x2000: one descriptor + terminator, then the DLL name.
    name_rva = 0x2000 + 40
    idata = struct.pack("<5I", 0, 0, 0, name_rva, 0x2000 + 64) + b"\0" * 20
    idata += b"kernel32.dll\0".ljust(24, b"\0") + b"\0" * 8
    # COFF symbols: a short name in .text, a long name (string table) in .text, one aux record.
    strtab_names = b".debug_info\0main.longsymbolname\0"
    strtab = struct.pack("<I", 4 + len(strtab_names)) + strtab_names
    syms = struct.pack("<8sIhHBB", b"main.f", 0x10, 1, 0x20, 2, 0)
    syms += struct.pack("<IIIhHBB", 0, 4 + 12, 0x20, 1, 0, 2, 1)
    syms += b"\0" * 18  # aux record of the previous symbol
    nsyms = 3
    coff = struct.pack("<HHIIIHH", 0x8664, nsec, 0, sym_off, nsyms, opt_size, 0x0022)
    opt = struct.pack("<HBBIIIIIQIIHHHHHHIIIIHHQQQQII", 0x20b, 1, 0, 0x40, 0x40, 0, 0x1000,
                      0x1000, image_base, 0x1000, 0x200, 6, 0, 0, 0, 6, 0, 0, 0x4000, 0x200,
                      0, 3, 0x0160, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    dirs = [(0, 0)] * 16
    dirs[1] = (0x2000, 40)
    opt += b"".join(struct.pack("<II", a, b) for a, b in dirs)
    assert len(opt) == opt_size
    sec = struct.pack("<8sIIIIIIHHI", b".text", 0x40, 0x1000, 0x40, text_off, 0, 0, 0, 0,
                      0x60000020)
    sec += struct.pack("<8sIIIIIIHHI", b".idata", len(idata), 0x2000, len(idata), idata_off,
                       0, 0, 0, 0, 0xc0000040)
    sec += struct.pack("<8sIIIIIIHHI", b"/4", 0x10, 0x3000, 0x10, dbg_off, 0, 0, 0, 0,
                       0x42000040)
    out = bytearray(0x400)
    out[0:2] = b"MZ"
    out[0x3c:0x40] = struct.pack("<I", lfanew)
    hdr = b"PE\0\0" + coff + opt + sec
    out[lfanew:lfanew + len(hdr)] = hdr
    assert shdrs + len(sec) <= text_off
    out[text_off:text_off + 0x40] = b"\xc3" * 0x40
    out[idata_off:idata_off + len(idata)] = idata
    out[dbg_off:dbg_off + 0x10] = b"\x01" * 0x10
    tail = syms + strtab
    out[sym_off:sym_off + len(tail)] = tail
    return bytes(out)


def lc_str(cmd, fixed, s):
    body = fixed + s.encode() + b"\0"
    body += b"\0" * (-(8 + len(body)) % 8)
    return struct.pack("<II", cmd, 8 + len(body)) + body


def macho_min():
    cmds = []
    base = 0x100000000
    seg = struct.pack("<16sQQQQiiII", b"__PAGEZERO", 0, base, 0, 0, 0, 0, 0, 0)
    cmds.append(struct.pack("<II", 0x19, 8 + len(seg)) + seg)
    text_sect = struct.pack("<16s16sQQIIIIIIII", b"__text", b"__TEXT", base + 0x800, 0x40,
                            0x800, 4, 0, 0, 0x80000400, 0, 0, 0)
    seg = struct.pack("<16sQQQQiiII", b"__TEXT", base, 0x1000, 0, 0x900, 5, 5, 1, 0)
    cmds.append(struct.pack("<II", 0x19, 8 + len(seg) + len(text_sect)) + seg + text_sect)
    bss = struct.pack("<16s16sQQIIIIIIII", b"__bss", b"__DATA", base + 0x1000, 0x100, 0, 4,
                      0, 0, 0x1, 0, 0, 0)
    seg = struct.pack("<16sQQQQiiII", b"__DATA", base + 0x1000, 0x1000, 0, 0, 3, 3, 1, 0)
    cmds.append(struct.pack("<II", 0x19, 8 + len(seg) + len(bss)) + seg + bss)
    cmds.append(struct.pack("<IIIIII", 0x2, 24, 0x900, 3, 0x930, 0x30))
    cmds.append(lc_str(0xe, struct.pack("<I", 12), "/usr/lib/dyld"))
    cmds.append(lc_str(0xc, struct.pack("<IIII", 24, 2, 0x10000, 0x10000),
                       "/usr/lib/libSystem.B.dylib"))
    cmds.append(lc_str(0x80000018, struct.pack("<IIII", 24, 2, 0x10000, 0x10000),
                       "/System/Library/Frameworks/Security.framework/Security"))
    cmds.append(lc_str(0x8000001c, struct.pack("<I", 12), "@loader_path/../lib"))
    cmds.append(struct.pack("<IIQQ", 0x80000028, 24, 0x800, 0))
    lc = b"".join(cmds)
    hdr = struct.pack("<IiiIIIII", 0xfeedfacf, 0x0100000c, 0, 2, len(cmds), len(lc), 0x200085, 0)
    out = bytearray(0x980)
    out[0:len(hdr) + len(lc)] = hdr + lc
    assert len(hdr) + len(lc) <= 0x800
    out[0x800:0x840] = b"\x1f\x20\x03\xd5" * 16
    strtab = b"\0_main.main\0_main.helper\0_undefined_import\0"
    nl = struct.pack("<IBBHQ", 1, 0x0f, 1, 0, base + 0x800)
    nl += struct.pack("<IBBHQ", 12, 0x0e, 1, 0, base + 0x820)
    nl += struct.pack("<IBBHQ", 25, 0x01, 0, 0, 0)
    out[0x900:0x900 + len(nl)] = nl
    out[0x930:0x930 + len(strtab)] = strtab
    return bytes(out)


def macho_min32():
    """A thin 32-bit i386 file: LC_SEGMENT + section (68 bytes), nlist (12 bytes), and the
    entry point in LC_UNIXTHREAD (i386_thread_state: eip is word 10)."""
    cmds = []
    base = 0x1000
    text_sect = struct.pack("<16s16sIIIIIIIII", b"__text", b"__TEXT", base + 0x400, 0x20,
                            0x400, 4, 0, 0, 0x80000400, 0, 0)
    seg = struct.pack("<16sIIIIiiII", b"__TEXT", base, 0x1000, 0, 0x500, 5, 5, 1, 0)
    cmds.append(struct.pack("<II", 0x1, 8 + len(seg) + len(text_sect)) + seg + text_sect)
    cmds.append(struct.pack("<IIIIII", 0x2, 24, 0x500, 2, 0x518, 0x20))
    regs = [0] * 16
    regs[10] = base + 0x410
    thread = struct.pack("<II", 1, 16) + struct.pack("<16I", *regs)
    cmds.append(struct.pack("<II", 0x5, 8 + len(thread)) + thread)
    cmds.append(lc_str(0xc, struct.pack("<IIII", 24, 2, 0x10000, 0x10000), "/usr/lib/libSystem.B.dylib"))
    lc = b"".join(cmds)
    hdr = struct.pack("<IiiIIII", 0xfeedface, 7, 3, 2, len(cmds), len(lc), 0x85)
    out = bytearray(0x540)
    out[0:len(hdr) + len(lc)] = hdr + lc
    out[0x400:0x420] = b"\x90" * 0x20
    strtab = b"\0_main.main\0_start\0"
    nl = struct.pack("<IBBHI", 1, 0x0f, 1, 0, base + 0x400)
    nl += struct.pack("<IBBHI", 12, 0x0f, 1, 0, base + 0x410)
    out[0x500:0x500 + len(nl)] = nl
    out[0x518:0x518 + len(strtab)] = strtab
    return bytes(out)


def fat(slices, align=12):
    out = bytearray(struct.pack(">II", 0xcafebabe, len(slices)))
    out += b"\0" * (20 * len(slices))
    for i, s in enumerate(slices):
        off = (len(out) + (1 << align) - 1) & ~((1 << align) - 1)
        out += b"\0" * (off - len(out))
        cpu, sub = struct.unpack_from("<ii", s, 4)
        struct.pack_into(">iiIII", out, 8 + 20 * i, cpu, sub, off, len(s), align)
        out += s
    return bytes(out)


def main():
    src, root = sys.argv[1], sys.argv[2]
    pe_dir = os.path.join(root, "fuzz/seeds/exe_pe_fuzz")
    mo_dir = os.path.join(root, "fuzz/seeds/exe_macho_fuzz")
    os.makedirs(pe_dir, exist_ok=True)
    os.makedirs(mo_dir, exist_ok=True)

    def put(d, name, data):
        assert len(data) <= 4096, name
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    def head(name, n):
        with open(os.path.join(src, name), "rb") as f:
            return f.read(n)

    put(pe_dir, "pe_min_amd64", pe_min())
    put(pe_dir, "go_windows_amd64_head", head("windows-amd64-sw", 0x400))
    put(pe_dir, "go_windows_386_head", head("windows-386", 0x400))
    put(pe_dir, "go_windows_arm64_head", head("windows-arm64", 0x400))
    put(mo_dir, "macho_min_arm64", macho_min())
    put(mo_dir, "macho_min_386", macho_min32())
    put(mo_dir, "macho_fat_one", fat([macho_min()], align=8))
    put(mo_dir, "macho_fat_two_cut", fat([macho_min(), macho_min()], align=8)[:4096])
    put(mo_dir, "go_darwin_arm64_head", head("darwin-arm64", 0x1000))
    put(mo_dir, "go_darwin_amd64_head", head("darwin-amd64-sw", 0x1000))
    put(mo_dir, "java_class", b"\xca\xfe\xba\xbe\x00\x00\x00\x34\x00\x10" + b"\0" * 22)


if __name__ == "__main__":
    main()
