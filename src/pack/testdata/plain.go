// A Go program that needs nothing from the file system.
package main

import "os"

func main() { os.Stdout.WriteString("plain\n") }
