// journal: the durability example for `barekit boot`. In the guest, `journal serve` appends
// checksummed records to a raw virtio disk and prints "ACK <seq>" only once a record is durable;
// on the host, `journal verify` checks after power cuts and resets that every acknowledged
// record is on the disk image and nothing is corrupt. The on-disk format is in format.go.
//
//	journal serve --device /dev/vda [--every 20ms] [--count N] [--wait 10s]
//	journal verify [--min-acks N] DISK CONSOLE_LOG
//	journal init DISK SIZE          (SIZE: bytes, or with K/M/G suffix)
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: journal serve --device DEV [--every 20ms] [--count N]\n"+
		"       journal verify [--min-acks N] DISK CONSOLE_LOG\n"+
		"       journal init DISK SIZE")
	os.Exit(2)
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "journal: "+format+"\n", args...)
	os.Exit(2)
}

// readyFd is fd 3 when the supervisor opened it (barekit-init ready.kind = "fd").
func readyFd() *os.File {
	var st syscall.Stat_t
	if syscall.Fstat(3, &st) != nil {
		return nil
	}
	return os.NewFile(3, "ready")
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("size %q: expected a positive number of bytes, optionally with K, M or G", s)
	}
	return n * mult, nil
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "serve":
		fs := flag.NewFlagSet("serve", flag.ExitOnError)
		var o serveOptions
		fs.StringVar(&o.device, "device", "/dev/vda", "raw block device (or file) for the log")
		fs.DurationVar(&o.every, "every", 20*time.Millisecond, "interval between records")
		fs.IntVar(&o.count, "count", 0, "stop after this many records (0: never)")
		fs.DurationVar(&o.wait, "wait", 10*time.Second, "how long to wait for the device to appear")
		noDirect := fs.Bool("no-direct", false, "do not use O_DIRECT (fsync after each write)")
		fs.Parse(os.Args[2:])
		if o.every <= 0 {
			fail("--every must be positive")
		}
		o.direct = !*noDirect
		var ready func()
		if r := readyFd(); r != nil {
			ready = func() { r.Write([]byte("\n")); r.Close() }
		}
		if err := serve(o, os.Stdout, ready); err != nil {
			fail("serve: %v", err)
		}
	case "verify":
		fs := flag.NewFlagSet("verify", flag.ExitOnError)
		minAcks := fs.Int("min-acks", 1, "fail when the console log has fewer ACK lines")
		fs.Parse(os.Args[2:])
		if fs.NArg() != 2 {
			usage()
		}
		disk, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			fail("%v", err)
		}
		console, err := os.Open(fs.Arg(1))
		if err != nil {
			fail("%v", err)
		}
		defer console.Close()
		verdict, ok := Verify(disk, console, *minAcks)
		fmt.Println("journal verify: " + verdict)
		if !ok {
			console.Close()
			os.Exit(1)
		}
	case "init":
		if len(os.Args) != 4 {
			usage()
		}
		size, err := parseSize(os.Args[3])
		if err != nil {
			fail("%v", err)
		}
		if size%SlotSize != 0 {
			fail("size %d is not a multiple of %d", size, SlotSize)
		}
		f, err := os.OpenFile(os.Args[2], os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0644)
		if err != nil {
			fail("%v", err)
		}
		if err := f.Truncate(size); err != nil {
			fail("%v", err)
		}
		if err := f.Close(); err != nil {
			fail("%v", err)
		}
		fmt.Printf("journal: %s: %d zero bytes, %d slots\n", os.Args[2], size, size/SlotSize)
	default:
		usage()
	}
}
