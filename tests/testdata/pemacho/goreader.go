// goreader prints the facts barekit's PE and Mach-O readers report, as read by Go's own
// debug/pe and debug/macho packages: an independent oracle for src/exe/pe_test.cc and
// macho_test.cc. One block per object (fat Mach-O: one per slice), lines:
//
//	== <slice offset>            start of an object
//	arch <goarch>                from the machine / cputype field
//	base 0x<image base>          PE only
//	sec <name> <segment> 0x<addr> 0x<size> 0x<file offset>
//	lib <dll or dylib>           imported libraries, in file order (PE: first use order)
//	symtab 0|1  dwarf 0|1  pie 0|1  nx 0|1
//	sym <name> 0x<value>         defined symbols (PE: section number > 0; Mach-O: N_SECT, no stabs)
package main

import (
	"debug/macho"
	"debug/pe"
	"fmt"
	"os"
	"strings"
)

func b(v bool) int {
	if v {
		return 1
	}
	return 0
}

func isDwarf(name string) bool {
	return strings.HasPrefix(name, ".debug_") || strings.HasPrefix(name, ".zdebug_") ||
		strings.HasPrefix(name, "__debug_") || strings.HasPrefix(name, "__zdebug_")
}

func printPe(f *pe.File) {
	fmt.Println("== 0")
	arch := map[uint16]string{0x14c: "386", 0x8664: "amd64", 0x1c4: "arm", 0xaa64: "arm64",
		0x5064: "riscv64", 0x6264: "loong64"}[f.Machine]
	fmt.Println("arch", arch)
	var base uint64
	var dllchar uint16
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		base, dllchar = uint64(oh.ImageBase), oh.DllCharacteristics
	case *pe.OptionalHeader64:
		base, dllchar = oh.ImageBase, oh.DllCharacteristics
	}
	fmt.Printf("base 0x%x\n", base)
	dwarf := false
	for _, s := range f.Sections {
		fmt.Printf("sec %s - 0x%x 0x%x 0x%x\n", s.Name, base+uint64(s.VirtualAddress), s.VirtualSize, s.Offset)
		dwarf = dwarf || isDwarf(s.Name)
	}
	syms, _ := f.ImportedSymbols()
	seen := map[string]bool{}
	for _, s := range syms {
		i := strings.LastIndex(s, ":")
		dll := s[i+1:]
		if !seen[strings.ToLower(dll)] {
			seen[strings.ToLower(dll)] = true
			fmt.Println("lib", dll)
		}
	}
	fmt.Println("symtab", b(f.NumberOfSymbols > 0 && f.PointerToSymbolTable > 0))
	fmt.Println("dwarf", b(dwarf))
	fmt.Println("pie", b(dllchar&0x40 != 0))
	fmt.Println("nx", b(dllchar&0x100 != 0))
	for _, s := range f.Symbols {
		if s.SectionNumber <= 0 || int(s.SectionNumber) > len(f.Sections) {
			continue
		}
		sec := f.Sections[s.SectionNumber-1]
		fmt.Printf("sym %s 0x%x\n", s.Name, base+uint64(sec.VirtualAddress)+uint64(s.Value))
	}
}

func printMacho(off uint64, f *macho.File) {
	fmt.Println("==", off)
	arch := map[macho.Cpu]string{macho.Cpu386: "386", macho.CpuAmd64: "amd64", macho.CpuArm: "arm",
		macho.CpuArm64: "arm64", macho.CpuPpc: "ppc", macho.CpuPpc64: "ppc64"}[f.Cpu]
	fmt.Println("arch", arch)
	dwarf := false
	for _, s := range f.Sections {
		fmt.Printf("sec %s %s 0x%x 0x%x 0x%x\n", s.Name, s.Seg, s.Addr, s.Size, s.Offset)
		dwarf = dwarf || isDwarf(s.Name) || s.Seg == "__DWARF"
	}
	libs, _ := f.ImportedLibraries()
	for _, l := range libs {
		fmt.Println("lib", l)
	}
	nsym := 0
	if f.Symtab != nil {
		for _, s := range f.Symtab.Syms {
			if s.Type&0xe0 == 0 && s.Type&0x0e == 0x0e && s.Sect != 0 {
				nsym++
			}
		}
	}
	fmt.Println("symtab", b(nsym > 0))
	fmt.Println("dwarf", b(dwarf))
	fmt.Println("pie", b(f.Flags&macho.FlagPIE != 0))
	fmt.Println("nx", b(f.Flags&macho.FlagAllowStackExecution == 0))
	if f.Symtab != nil {
		for _, s := range f.Symtab.Syms {
			if s.Type&0xe0 != 0 || s.Type&0x0e != 0x0e || s.Sect == 0 {
				continue
			}
			fmt.Printf("sym %s 0x%x\n", s.Name, s.Value)
		}
	}
}

func main() {
	for _, path := range os.Args[1:] {
		if f, err := pe.Open(path); err == nil {
			printPe(f)
			continue
		}
		if ff, err := macho.OpenFat(path); err == nil {
			for _, a := range ff.Arches {
				printMacho(uint64(a.Offset), a.File)
			}
			continue
		}
		f, err := macho.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "goreader:", path, err)
			os.Exit(1)
		}
		printMacho(0, f)
	}
}
