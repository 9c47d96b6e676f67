#!/bin/sh
# Black-box tests of `barekit pack` through the real CLI:
#  - the same image, byte for byte, under a different umask, TZ, locale, working directory and
#    input creation order (initramfs, oci-archive, docker-archive, OCI digests);
#  - oracles accept the outputs (zstd -t, cpio -t, skopeo inspect);
#  - bad input: exit 2, one line on stderr naming the problem, nothing written.
# Usage: tests/pack/cli_test.sh BAREKIT
set -eu
bk=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
fx=${BAREKIT_PACK_FIXTURES:-/tmp/barekit-pack-fixtures}
[ -f "$fx/.complete" ] || sh "$root/src/pack/testdata/build.sh" "$fx" >/dev/null
w=$(mktemp -d /tmp/barekit-pack-cli.XXXXXX)
trap 'rm -rf "$w"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
bin=$fx/https_client.amd64

build() {  # run-number: builds every kind under conditions that differ by run
  n=$1
  mkdir -p "$w/extra$n/sub"
  if [ "$n" = 1 ]; then for f in a b sub/c; do echo "$f" > "$w/extra$n/$f"; done
  else for f in sub/c b a; do echo "$f" > "$w/extra$n/$f"; done; fi
  if [ "$n" = 1 ]; then um=022 tz=UTC lc=C dir=/; else um=077 tz=Asia/Tokyo lc=C.UTF-8 dir=$w; fi
  (umask $um; cd "$dir"; export TZ=$tz LC_ALL=$lc
   "$bk" pack "$bin" --add "$w/extra$n:/srv" --tz UTC --initramfs "$w/i$n.zst" >/dev/null
   "$bk" pack "$bin" --add "$w/extra$n:/srv" --tz UTC --oci-archive "$w/o$n.tar" >/dev/null
   "$bk" pack "$bin" --add "$w/extra$n:/srv" --tz UTC --docker-archive "$w/d$n.tar" >/dev/null
   "$bk" pack "$bin" --add "$w/extra$n:/srv" --tz UTC --oci "$w/oci$n" --json > "$w/r$n.json")
}
build 1
build 2
for f in i1.zst:i2.zst o1.tar:o2.tar d1.tar:d2.tar; do
  cmp "$w/${f%%:*}" "$w/${f##*:}" || fail "${f%%:*} differs between runs"
done
d1=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["digest"])' "$w/r1.json")
d2=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["digest"])' "$w/r2.json")
[ "$d1" = "$d2" ] || fail "OCI digests differ: $d1 $d2"
echo "ok: byte-identical rebuilds ($d1)"

zstd -q -t "$w/i1.zst" || fail "zstd -t"
zstd -q -dc "$w/i1.zst" | cpio -itv --quiet 2>&1 | grep -q "5, *1 .*dev/console" || fail "no /dev/console"
skopeo inspect "oci-archive:$w/o1.tar:latest" >/dev/null || fail "skopeo oci-archive"
skopeo inspect "docker-archive:$w/d1.tar" >/dev/null || fail "skopeo docker-archive"
skopeo inspect "oci:$w/oci1:latest" >/dev/null || fail "skopeo oci"
echo "ok: oracles accept every output"

bad() {  # expected-substring args...
  want=$1; shift
  rc=0
  "$bk" pack "$@" 2>"$w/err" >/dev/null || rc=$?
  [ "$rc" = 2 ] || fail "exit $rc for: $* ($(cat "$w/err"))"
  grep -q -- "$want" "$w/err" || fail "stderr lacks '$want': $(cat "$w/err")"
  [ "$(wc -l < "$w/err")" = 1 ] || fail "more than one line: $(cat "$w/err")"
  [ ! -e "$w/bad.out" ] || fail "output written for: $*"
  ls -A "$w" | grep -q 'tmp-\|barekit-pack-' && fail "temporary left for: $*"
  return 0
}
bad "$w/missing" "$w/missing" --initramfs "$w/bad.out"
bad "two inputs for /app/https_client.amd64" "$bin" --add "$bin:/app/https_client.amd64" --initramfs "$w/bad.out"
mkdir "$w/evil" && ln -s ../../../etc/shadow "$w/evil/link"
bad "climbs above the image root" "$bin" --add "$w/evil:/srv" --oci-archive "$w/bad.out"
rm "$w/evil/link" && ln -s /etc/shadow "$w/evil/link"
bad "points outside the image" "$bin" --add "$w/evil:/srv" --oci "$w/bad.out"
bad "not found in sysroot" "$fx/bin/dyn" --sysroot "$w/evil" --docker-archive "$w/bad.out"
bad "exactly one of" "$bin"
bad "expected gzip, zstd or none" "$bin" --initramfs "$w/bad.out" --compress xz
echo "ok: bad input fails cleanly"
