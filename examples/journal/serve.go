package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
	"unsafe"
)

type serveOptions struct {
	device string
	every  time.Duration
	count  int           // stop after this many records (0: forever)
	wait   time.Duration // how long to wait for the device to appear
	direct bool          // try O_DIRECT
}

// openDevice opens the log device for durable writes: O_DSYNC makes every write reach stable
// storage before it returns (a FUA or flush on a virtio disk), and O_DIRECT keeps the page cache
// from rewriting neighbouring slots of the same page. Files on filesystems that refuse O_DIRECT
// (tmpfs) are opened without it.
func openDevice(path string, direct bool) (*os.File, bool, error) {
	if direct {
		f, err := os.OpenFile(path, os.O_RDWR|syscall.O_DSYNC|syscall.O_DIRECT, 0)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, syscall.EINVAL) {
			return nil, false, err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_DSYNC, 0)
	return f, false, err
}

// alignedSlot is a SlotSize buffer aligned to SlotSize, as O_DIRECT requires.
func alignedSlot() []byte {
	buf := make([]byte, 2*SlotSize)
	off := int(uintptr(unsafe.Pointer(&buf[0])) % SlotSize)
	if off != 0 {
		off = SlotSize - off
	}
	return buf[off : off+SlotSize]
}

func readAll(f *os.File) ([]byte, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if size < SlotSize {
		return nil, fmt.Errorf("%s: %d bytes, smaller than one %d-byte slot", f.Name(), size, SlotSize)
	}
	// A separate buffered descriptor: O_DIRECT reads would need aligned buffers too.
	r, err := os.Open(f.Name())
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data := make([]byte, size-size%SlotSize)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("%s: reading: %v", f.Name(), err)
	}
	return data, nil
}

func runID() string {
	return fmt.Sprintf("%016x", uint64(time.Now().UnixNano())^uint64(os.Getpid())<<48)
}

// serve appends records to the device forever (or opts.count of them), printing "ACK <seq>"
// on out after each write is durable. ready is called once the log end is known (main writes
// the newline of barekit-init's "fd" readiness protocol); it may be nil.
func serve(opts serveOptions, out io.Writer, ready func()) error {
	// The device node appears when virtio_blk has probed the disk, which may be a moment after
	// the module loaded.
	deadline := time.Now().Add(opts.wait)
	f, direct, err := openDevice(opts.device, opts.direct)
	for errors.Is(err, os.ErrNotExist) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		f, direct, err = openDevice(opts.device, opts.direct)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := readAll(f)
	if err != nil {
		return err
	}
	l := Scan(data)
	run := runID()
	note := ""
	if l.Torn {
		note = fmt.Sprintf(", overwriting a torn slot %d (%v)", l.End(), l.TornError)
	}
	fmt.Fprintf(out, "journal: ready: %s has %d records in %d slots, next seq %d, run=%s, direct=%v%s\n",
		opts.device, l.End(), l.Slots, l.End()+1, run, direct, note)
	if ready != nil {
		ready()
	}
	slot := alignedSlot()
	tick := time.NewTicker(opts.every)
	defer tick.Stop()
	written := 0
	for i := l.End(); opts.count == 0 || written < opts.count; i++ {
		if i >= l.Slots {
			fmt.Fprintf(out, "journal: device full after seq %d\n", i)
			if opts.count != 0 {
				return nil
			}
			select {} // stay up (a supervisor would restart an exit): nothing more to do
		}
		seq := uint64(i) + 1
		payload := fmt.Sprintf("run=%s seq=%d t=%d", run, seq, time.Now().UnixNano())
		if err := Encode(slot, Record{Seq: seq, Payload: []byte(payload)}); err != nil {
			return err
		}
		if _, err := f.WriteAt(slot, int64(i)*SlotSize); err != nil {
			return fmt.Errorf("write seq %d at offset %#x: %v", seq, int64(i)*SlotSize, err)
		}
		if !direct {
			if err := f.Sync(); err != nil {
				return fmt.Errorf("fsync after seq %d: %v", seq, err)
			}
		}
		fmt.Fprintf(out, "ACK %d run=%s\n", seq, run)
		written++
		if opts.count == 0 || written < opts.count {
			<-tick.C
		}
	}
	return nil
}
