#!/bin/sh
# Cross-builds hello.go with the installed Go into PE and Mach-O binaries under $1:
#   <goos>-<goarch>        default build (COFF symbols / LC_SYMTAB and DWARF present)
#   <goos>-<goarch>-sw     -ldflags="-s -w" (no symbols, no DWARF)
# and builds the oracle program goreader (Go's own debug/pe + debug/macho) as $1/goreader.
set -eu
out=${1:?usage: make_pemacho.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
# Test processes may run this at the same time: one builds, the others wait.
exec 9>"$out/.lock"
flock 9
export GOFLAGS= GO111MODULE=off CGO_ENABLED=0 GOPROXY=off
export GOCACHE=${GOCACHE:-${TMPDIR:-/tmp}/barekit-gocache}
for t in windows/amd64 windows/386 windows/arm64 darwin/amd64 darwin/arm64; do
  goos=${t%/*}; goarch=${t#*/}
  # Built under a temporary name and renamed, so a half-written file is never used.
  [ -e "$out/$goos-$goarch" ] || { GOOS=$goos GOARCH=$goarch go build -o "$out/.tmp" "$here/hello.go" && mv "$out/.tmp" "$out/$goos-$goarch"; }
  [ -e "$out/$goos-$goarch-sw" ] || { GOOS=$goos GOARCH=$goarch go build -ldflags="-s -w" -o "$out/.tmp" "$here/hello.go" && mv "$out/.tmp" "$out/$goos-$goarch-sw"; }
done
# The oracle is rebuilt when its source is newer.
if [ ! -e "$out/goreader" ] || [ "$here/goreader.go" -nt "$out/goreader" ]; then
  GOOS= GOARCH= go build -o "$out/.tmp" "$here/goreader.go" && mv "$out/.tmp" "$out/goreader"
fi
