#!/bin/sh
# Builds the pack test fixtures into $1: static Go programs (amd64 and arm64), a dynamic C program
# with a $ORIGIN RUNPATH library, an arm64 C program, and fake kernel modules (ELF relocatables
# with a .modinfo section, which is all barekit reads from a .ko).
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/bin" "$out/lib" "$out/modules/kernel/drivers"
export GOCACHE="${GOCACHE:-/tmp/barekit-go-cache}" GOFLAGS=-trimpath CGO_ENABLED=0
for arch in amd64 arm64; do
  GOARCH=$arch go build -ldflags=-buildid= -o "$out/https_client.$arch" "$here/https_client.go"
done
go build -ldflags=-buildid= -o "$out/plain" "$here/plain.go"
cat > "$out/foo.c" <<'C'
int foo(void) { return 42; }
C
cat > "$out/main.c" <<'C'
#include <stdio.h>
int foo(void);
int main(void) { printf("%d\n", foo()); return 0; }
C
gcc -shared -fPIC -Wl,-soname,libfoo.so.1 -o "$out/lib/libfoo.so.1" "$out/foo.c"
gcc -o "$out/bin/dyn" "$out/main.c" -L"$out/lib" -l:libfoo.so.1 -Wl,--enable-new-dtags -Wl,-rpath,'$ORIGIN/../lib'
if command -v aarch64-linux-gnu-gcc >/dev/null; then
  printf '#include <stdio.h>\nint main(void){puts("hi");return 0;}\n' > "$out/hello.c"
  aarch64-linux-gnu-gcc -o "$out/hello.arm64" "$out/hello.c"
fi
mod() {  # name depends-list
  printf '__attribute__((section(".modinfo"), used)) static const char a[] = "license=GPL";\n' > "$out/$1.c"
  printf '__attribute__((section(".modinfo"), used)) static const char b[] = "depends=%s";\n' "$2" >> "$out/$1.c"
  printf '__attribute__((section(".modinfo"), used)) static const char c[] = "name=%s";\n' "$1" >> "$out/$1.c"
  gcc -c -o "$out/modules/kernel/drivers/$1.ko" "$out/$1.c"
}
mod virtio ""
mod virtio_ring ""
mod virtio_pci "virtio,virtio_ring"
mod virtio_net "virtio_ring,virtio,net_failover"
mod net_failover "failover"
mod failover ""
mod loop_a "loop_b"
mod loop_b "loop_a"
mod lonely "missing_dep"
touch "$out/.complete"
