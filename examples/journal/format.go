package main

// The on-disk log: the raw block device is an array of 512-byte slots; slot i holds record
// seq i+1. A slot is one sector, written whole, so a power cut leaves each slot either old,
// new or torn (and then its checksum fails).
//
//	offset  size  field
//	0       4     magic "BKJ1"
//	4       8     seq (little endian), 1 for slot 0
//	12      4     payload length n (at most SlotSize-HeaderSize)
//	16      4     crc32c (Castagnoli) of bytes 0..15 followed by the payload
//	20      n     payload: "run=<16 hex digits> seq=<seq> t=<unix ns>"
//	20+n    ...   zero
//
// A slot of all zero bytes has never been written.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

const (
	SlotSize   = 512
	HeaderSize = 20
	MaxPayload = SlotSize - HeaderSize
	Magic      = "BKJ1"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type Record struct {
	Seq     uint64
	Payload []byte
}

// Encode writes r into slot (SlotSize bytes), zeroing the rest.
func Encode(slot []byte, r Record) error {
	if len(slot) != SlotSize {
		return fmt.Errorf("slot of %d bytes, want %d", len(slot), SlotSize)
	}
	if len(r.Payload) > MaxPayload {
		return fmt.Errorf("payload of %d bytes, at most %d fit", len(r.Payload), MaxPayload)
	}
	for i := range slot {
		slot[i] = 0
	}
	copy(slot[0:4], Magic)
	binary.LittleEndian.PutUint64(slot[4:12], r.Seq)
	binary.LittleEndian.PutUint32(slot[12:16], uint32(len(r.Payload)))
	copy(slot[HeaderSize:], r.Payload)
	binary.LittleEndian.PutUint32(slot[16:20], checksum(slot, len(r.Payload)))
	return nil
}

func checksum(slot []byte, n int) uint32 {
	c := crc32.Update(0, castagnoli, slot[0:16])
	return crc32.Update(c, castagnoli, slot[HeaderSize:HeaderSize+n])
}

var errEmpty = errors.New("empty slot")

// Decode reads the record in slot; errEmpty for an all-zero slot, another error (saying what
// is wrong) for anything else that is not a whole record.
func Decode(slot []byte) (Record, error) {
	if len(slot) != SlotSize {
		return Record{}, fmt.Errorf("short slot (%d bytes)", len(slot))
	}
	if allZero(slot) {
		return Record{}, errEmpty
	}
	if string(slot[0:4]) != Magic {
		return Record{}, fmt.Errorf("bad magic %q", slot[0:4])
	}
	n := binary.LittleEndian.Uint32(slot[12:16])
	if n > MaxPayload {
		return Record{}, fmt.Errorf("payload length %d exceeds %d", n, MaxPayload)
	}
	want := binary.LittleEndian.Uint32(slot[16:20])
	if got := checksum(slot, int(n)); got != want {
		return Record{}, fmt.Errorf("crc32c %08x, stored %08x", got, want)
	}
	if !allZero(slot[HeaderSize+int(n):]) {
		return Record{}, fmt.Errorf("non-zero bytes after the payload")
	}
	return Record{Seq: binary.LittleEndian.Uint64(slot[4:12]), Payload: append([]byte(nil), slot[HeaderSize:HeaderSize+int(n)]...)}, nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// Log is what a scan of the whole device found.
type Log struct {
	Records []Record // the valid prefix: Records[i].Seq == i+1
	// Torn is set when the slot right after the valid prefix holds something that is not a
	// valid next record (a write cut by a power loss; never acknowledged).
	Torn      bool
	TornError error
	Slots     int // slots on the device
}

// End is the slot where the next record goes.
func (l *Log) End() int { return len(l.Records) }

// Scan reads the valid prefix of the log from the device image `data`. It is what `serve`
// trusts on start; `Verify` is stricter about what lies beyond.
func Scan(data []byte) *Log {
	l := &Log{Slots: len(data) / SlotSize}
	for i := 0; i < l.Slots; i++ {
		r, err := Decode(data[i*SlotSize : (i+1)*SlotSize])
		if err == errEmpty {
			break
		}
		if err == nil && r.Seq != uint64(i)+1 {
			err = fmt.Errorf("seq %d in slot %d, want %d", r.Seq, i, i+1)
		}
		if err != nil {
			l.Torn, l.TornError = true, err
			break
		}
		l.Records = append(l.Records, r)
	}
	return l
}
