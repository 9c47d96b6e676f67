package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runServe appends n records to a fresh image of slots slots and returns the image and the
// console output (what `journal serve` printed).
func runServe(t *testing.T, disk string, n int) string {
	t.Helper()
	var out bytes.Buffer
	readyCalled := false
	err := serve(serveOptions{device: disk, every: time.Millisecond, count: n, direct: true}, &out,
		func() { readyCalled = true })
	if err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !readyCalled {
		t.Fatal("serve never signalled readiness")
	}
	return out.String()
}

func newDisk(t *testing.T, slots int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(p, make([]byte, slots*SlotSize), 0644); err != nil {
		t.Fatal(err)
	}
	return p
}

func verify(t *testing.T, disk string, console string) (string, bool) {
	t.Helper()
	data, err := os.ReadFile(disk)
	if err != nil {
		t.Fatal(err)
	}
	return Verify(data, strings.NewReader(console), 1)
}

func patch(t *testing.T, disk string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(disk, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestServeThenVerifyOK(t *testing.T) {
	disk := newDisk(t, 64)
	console := runServe(t, disk, 10)
	if !strings.HasPrefix(console, "journal: ready: ") {
		t.Fatalf("first line: %q", console)
	}
	// A second run continues the log where the first stopped, with a new run id.
	console += runServe(t, disk, 5)
	if strings.Count(console, "ACK ") != 15 || !strings.Contains(console, "ACK 15 run=") {
		t.Fatalf("console:\n%s", console)
	}
	verdict, ok := verify(t, disk, console)
	if !ok || !strings.Contains(verdict, "15 records on disk") {
		t.Fatalf("verdict %q", verdict)
	}
}

func TestPrefixedConsoleLinesAreRead(t *testing.T) {
	disk := newDisk(t, 16)
	console := runServe(t, disk, 3)
	var prefixed strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(console), "\n") {
		prefixed.WriteString("[  1.234] journal | " + line + "\r\n")
	}
	verdict, ok := verify(t, disk, prefixed.String())
	if !ok || !strings.Contains(verdict, "3 ACK lines up to seq 3") {
		t.Fatalf("verdict %q", verdict)
	}
}

func TestCorruptRecordFails(t *testing.T) {
	disk := newDisk(t, 64)
	console := runServe(t, disk, 10)
	patch(t, disk, 4*SlotSize+HeaderSize+2, []byte{'X'}) // a payload byte of seq 5
	verdict, ok := verify(t, disk, console)
	if ok {
		t.Fatalf("verify passed a corrupt record: %q", verdict)
	}
	// The valid prefix ends at seq 4; seq 6.. after it are garbage.
	if !strings.Contains(verdict, "a record with seq 6 in slot 5") {
		t.Fatalf("verdict %q", verdict)
	}
}

func TestDroppedAckedRecordFails(t *testing.T) {
	disk := newDisk(t, 64)
	console := runServe(t, disk, 10)
	patch(t, disk, 9*SlotSize, make([]byte, SlotSize)) // seq 10 lost, though acknowledged
	verdict, ok := verify(t, disk, console)
	if ok || !strings.Contains(verdict, "ACK 10 (console line 11) is not on the disk: the log ends at seq 9") {
		t.Fatalf("verdict %q ok=%v", verdict, ok)
	}
}

func TestLostAndRewrittenRecordFails(t *testing.T) {
	// Run 1 acknowledges seq 1..5, seq 5 is lost, run 2 writes its own seq 5: the disk looks
	// whole, but the ACK of run 1's seq 5 was a lie.
	disk := newDisk(t, 64)
	console := runServe(t, disk, 5)
	patch(t, disk, 4*SlotSize, make([]byte, SlotSize))
	time.Sleep(time.Millisecond) // a different run id
	console += runServe(t, disk, 1)
	verdict, ok := verify(t, disk, console)
	if ok || !strings.Contains(verdict, "an acknowledged record was lost and rewritten") {
		t.Fatalf("verdict %q ok=%v", verdict, ok)
	}
}

func TestTornUnackedTailIsAcceptedAndOverwritten(t *testing.T) {
	disk := newDisk(t, 64)
	console := runServe(t, disk, 4)
	// A write of seq 5 cut short: half a record, never acknowledged.
	slot := make([]byte, SlotSize)
	Encode(slot, Record{Seq: 5, Payload: []byte("run=0000000000000000 seq=5")})
	patch(t, disk, 4*SlotSize, slot[:30])
	verdict, ok := verify(t, disk, console)
	if !ok || !strings.Contains(verdict, "torn tail: slot 4") {
		t.Fatalf("verdict %q ok=%v", verdict, ok)
	}
	console += runServe(t, disk, 2)
	verdict, ok = verify(t, disk, console)
	if !ok || !strings.Contains(verdict, "6 records on disk") || !strings.Contains(verdict, "torn tail: no") {
		t.Fatalf("after restart: %q", verdict)
	}
}

func TestGarbageAfterTheEndFails(t *testing.T) {
	disk := newDisk(t, 64)
	console := runServe(t, disk, 3)
	patch(t, disk, 40*SlotSize+7, []byte{1})
	verdict, ok := verify(t, disk, console)
	if ok || !strings.Contains(verdict, "non-zero bytes in slot 40 (offset 0x5000)") {
		t.Fatalf("verdict %q", verdict)
	}
}

func TestNoAcksFails(t *testing.T) {
	disk := newDisk(t, 8)
	runServe(t, disk, 1)
	if verdict, ok := verify(t, disk, "kernel panic\n"); ok {
		t.Fatalf("passed without acks: %q", verdict)
	}
}

func TestDecodeRejectsEachKindOfDamage(t *testing.T) {
	slot := make([]byte, SlotSize)
	if err := Encode(slot, Record{Seq: 7, Payload: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	if r, err := Decode(slot); err != nil || r.Seq != 7 || string(r.Payload) != "hello" {
		t.Fatalf("round trip: %+v %v", r, err)
	}
	for name, mutate := range map[string]func([]byte){
		"magic":   func(b []byte) { b[0] = 'X' },
		"seq":     func(b []byte) { b[4] ^= 1 },
		"length":  func(b []byte) { b[12] = 0xff; b[13] = 0xff },
		"crc":     func(b []byte) { b[16] ^= 1 },
		"payload": func(b []byte) { b[HeaderSize] ^= 1 },
		"tail":    func(b []byte) { b[SlotSize-1] = 1 },
	} {
		b := append([]byte(nil), slot...)
		mutate(b)
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: damage not detected", name)
		}
	}
	if err := Encode(slot, Record{Seq: 1, Payload: make([]byte, MaxPayload+1)}); err == nil {
		t.Error("oversized payload accepted")
	}
}

// The built binary, end to end: init, serve (readiness on fd 3), verify's exit codes.
func TestBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "journal")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	disk := filepath.Join(dir, "disk.img")
	if out, err := exec.Command(bin, "init", disk, "64K").CombinedOutput(); err != nil {
		t.Fatalf("init: %v %s", err, out)
	}
	if st, _ := os.Stat(disk); st.Size() != 64<<10 {
		t.Fatalf("init made %d bytes", st.Size())
	}
	r, w, _ := os.Pipe()
	serve := exec.Command(bin, "serve", "--device", disk, "--every", "1ms", "--count", "20")
	serve.ExtraFiles = []*os.File{w} // fd 3
	var out bytes.Buffer
	serve.Stdout = &out
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	buf := make([]byte, 8)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "\n" {
		t.Fatalf("fd 3 got %q, want a newline", buf[:n])
	}
	if err := serve.Wait(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	console := filepath.Join(dir, "console.log")
	os.WriteFile(console, out.Bytes(), 0644)
	v, err := exec.Command(bin, "verify", disk, console).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(v), "journal verify: OK: 20 records") {
		t.Fatalf("verify: %v %s", err, v)
	}
	patch(t, disk, 19*SlotSize, make([]byte, SlotSize))
	cmd := exec.Command(bin, "verify", disk, console)
	v, err = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(v), "FAIL: ACK 20") {
		t.Fatalf("verify of a dropped record: exit %d %s", cmd.ProcessState.ExitCode(), v)
	}
	if strings.Count(string(v), "\n") != 1 {
		t.Fatalf("verdict is not one line: %q", v)
	}
}
