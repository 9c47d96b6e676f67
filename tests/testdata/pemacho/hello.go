// A tiny Go program cross-built by make_pemacho.sh into PE and Mach-O test binaries.
package main

import (
	"fmt"
	"os"
)

var greeting = "hello from barekit's PE/Mach-O tests"

func main() {
	fmt.Fprintln(os.Stdout, greeting, len(os.Args))
}
