package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// An acknowledgement line, anywhere in a console line (barekit boot prefixes service output,
// the kernel may interleave its own): "ACK <seq> run=<16 hex>".
var ackLine = regexp.MustCompile(`ACK ([0-9]+)(?: run=([0-9a-f]{16}))?`)

type ack struct {
	seq uint64
	run string
	ln  int
}

func readAcks(console io.Reader) ([]ack, error) {
	var acks []ack
	sc := bufio.NewScanner(console)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for ln := 1; sc.Scan(); ln++ {
		for _, m := range ackLine.FindAllSubmatch(sc.Bytes(), -1) {
			seq, err := strconv.ParseUint(string(m[1]), 10, 64)
			if err != nil {
				continue // an absurd number is not an acknowledgement
			}
			acks = append(acks, ack{seq, string(m[2]), ln})
		}
	}
	return acks, sc.Err()
}

// runOf returns the run id in a record's payload ("run=<hex> ...").
func runOf(payload []byte) string {
	if bytes.HasPrefix(payload, []byte("run=")) && len(payload) >= 20 {
		return string(payload[4:20])
	}
	return ""
}

// Verify checks the device image and the console log. It returns a one-line verdict and
// whether everything holds: the log is a valid prefix of records (seq 1, 2, ...), followed at
// most by one torn slot and then only zero bytes; and every acknowledged seq is on the disk,
// written by the run that acknowledged it.
func Verify(disk []byte, console io.Reader, minAcks int) (string, bool) {
	l := Scan(disk)
	end := l.End()
	rest := end
	torn := "no"
	if l.Torn {
		torn = fmt.Sprintf("slot %d (%v)", end, l.TornError)
		rest = end + 1
	}
	for i := rest; i < l.Slots; i++ {
		slot := disk[i*SlotSize : (i+1)*SlotSize]
		if allZero(slot) {
			continue
		}
		what := "non-zero bytes"
		if r, err := Decode(slot); err == nil {
			what = fmt.Sprintf("a record with seq %d", r.Seq)
		}
		return fmt.Sprintf("FAIL: %s in slot %d (offset %#x) after the end of the log at slot %d", what, i, i*SlotSize, end), false
	}
	acks, err := readAcks(console)
	if err != nil {
		return "FAIL: reading the console log: " + err.Error(), false
	}
	if len(acks) < minAcks {
		return fmt.Sprintf("FAIL: %d ACK lines in the console log, expected at least %d", len(acks), minAcks), false
	}
	var maxAck uint64
	for _, a := range acks {
		if a.seq == 0 || a.seq > uint64(end) {
			return fmt.Sprintf("FAIL: ACK %d (console line %d) is not on the disk: the log ends at seq %d (torn tail: %s)", a.seq, a.ln, end, torn), false
		}
		if got := runOf(l.Records[a.seq-1].Payload); a.run != "" && got != a.run {
			return fmt.Sprintf("FAIL: ACK %d (console line %d) came from run %s, but the disk holds seq %d of run %s: an acknowledged record was lost and rewritten", a.seq, a.ln, a.run, a.seq, got), false
		}
		if a.seq > maxAck {
			maxAck = a.seq
		}
	}
	return fmt.Sprintf("OK: %d records on disk (seq 1..%d), %d ACK lines up to seq %d all on disk, torn tail: %s", end, end, len(acks), maxAck, torn), true
}
