#!/usr/bin/env bash
# Makes the seed corpus of exe_elf_fuzz: tiny complete ELF files (each under 4 KiB) and the
# first 2 KiB of Go fixtures of other byte orders / classes. Run from anywhere:
#   fuzz/seeds/exe_elf_fuzz/make_seeds.sh [FIXTURES_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixtures=${1:-${BAREKIT_FIXTURES:-$here/../../../build/fixtures}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/start.c" <<'C'
void _start(void) { for (;;) __asm__ volatile("" ::: "memory"); }
C
cat >"$tmp/dyn.c" <<'C'
#include <stdlib.h>
void _start(void) { exit(0); }
C
small="-Os -s -nostdlib -Wl,--build-id=none -Wl,-z,noseparate-code -fno-asynchronous-unwind-tables"
gcc $small -static -o "$here/static_amd64" "$tmp/start.c"
gcc $small -static-pie -o "$here/static_pie_amd64" "$tmp/start.c"
gcc $small -Wl,-z,now -o "$here/dynamic_amd64" "$tmp/dyn.c" -lc
if command -v aarch64-linux-gnu-gcc >/dev/null; then
  aarch64-linux-gnu-gcc $small -Wl,-z,max-page-size=0x1000 -o "$here/dynamic_arm64" "$tmp/dyn.c" -lc
fi
if command -v riscv64-linux-gnu-gcc >/dev/null; then
  riscv64-linux-gnu-gcc $small -static -o "$here/static_riscv64" "$tmp/start.c"
fi
# No section headers, as sstrip leaves a file: e_shoff, e_shnum, e_shstrndx zeroed.
cp "$here/dynamic_amd64" "$here/dynamic_amd64_nosections"
printf '\0\0\0\0\0\0\0\0' | dd of="$here/dynamic_amd64_nosections" bs=1 seek=40 conv=notrunc status=none
printf '\0\0\0\0' | dd of="$here/dynamic_amd64_nosections" bs=1 seek=60 conv=notrunc status=none
for f in go-linux-mips go-linux-s390x go-linux-386; do
  [ -f "$fixtures/$f" ] && head -c 2048 "$fixtures/$f" >"$here/${f//-/_}_head"
done
ls -l "$here"
