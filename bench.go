package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/wslab/wslab/bench/instr"
)

// runBench is `wslab bench`: flags to instr.Options, then instr.Run and
// instr.Write. Exit status: 0 done, 2 usage or run error.
func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	instructions := fs.Bool("instructions", false, "count instructions per op under valgrind's callgrind (the only mode so far)")
	var pkgs listFlag
	fs.Var(&pkgs, "pkg", "package pattern, repeatable or space-separated (default ./...)")
	bench := fs.String("bench", ".", "-test.bench regular expression")
	n := fs.Int("n", 1000, "iterations of the smallest run, raised for loops too short to count well; the others use 2n and 3n")
	out := fs.String("out", "", "write the results to `FILE` instead of stdout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: wslab bench --instructions [--pkg ./core/...] [--bench RE] [--n 1000] [--out FILE]")
		fmt.Fprintln(stderr, "\nWrites Go benchmark lines in instr/op for `wslab gate`.\n\nflags:")
		fs.PrintDefaults()
	}
	rest, err := flagsAnywhere(fs, args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if len(rest) != 0 {
		fmt.Fprintf(stderr, "wslab bench: unexpected arguments %q\n", rest)
		return 2
	}
	if !*instructions {
		fmt.Fprintln(stderr, "wslab bench: say --instructions (for timings run `go test -bench` or `wslab gate --against`)")
		return 2
	}
	if *n <= 0 {
		fmt.Fprintf(stderr, "wslab bench: -n must be positive, got %d\n", *n)
		return 2
	}
	ctx, stop := interruptible()
	defer stop()
	results, err := instr.Run(ctx, instr.Options{Pkgs: pkgs, Bench: *bench, N: *n, Log: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "wslab bench: %v\n", err)
		return 2
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "wslab bench: %v\n", err)
			return 2
		}
		defer f.Close()
		w = f
	}
	if err := instr.Write(w, results); err != nil {
		fmt.Fprintf(stderr, "wslab bench: %v\n", err)
		return 2
	}
	if *out != "" {
		if err := w.(*os.File).Close(); err != nil {
			fmt.Fprintf(stderr, "wslab bench: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "wslab bench: wrote %d results to %s\n", len(results), *out)
	}
	return 0
}
