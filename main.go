package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"golang.org/x/term"
)

// command is one subcommand: a one-line summary and the function that runs it
// with the arguments after its name. run returns the process exit status.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is every subcommand, by name.
var commands = map[string]command{
	// Boards.
	"board": {"run an emulated board (the firmware on Linux) until SIGINT/SIGTERM", runBoard},
	"validate": {"run the boards that have published measurements under the published load and compare emulated against published, point by point",
		runValidate},

	// Load and the jobs built on it.
	"calibrate": {"probe a board briefly and fit an emulated twin of it: a model file for `board --model-file`, and the twin against the board, side by side", runCalibrate},
	"load":      {"run one load scenario against a board (ws://host:port/path) and write its Run record", runLoad},
	"lab":       {"the lab's main job: a default suite on three emulated boards (or a real one), stored runs, plots and an HTML report", runLab},
	"sweep":     {"run one scenario across buffer sizes of a board model and name the smallest configuration that meets a goal", runSweep},
	"compare":   {"run one scenario on several board models or real boards: one table, one figure", runCompare},

	// Stored runs.
	"diff":   {"compare two run sets (results folders) per board and scenario: Mann-Whitney, Holm-corrected, a verdict and an exit status (OLD NEW)", runDiff},
	"merge":  {"merge the shards of one run (a.json b.json... [--out FILE | --results DIR])", runMerge},
	"plot":   {"draw the plots that apply to run records (RUN.json... [--out DIR])", runPlot},
	"report": {"write an HTML report of a results folder (DIR [--out DIR])", runReport},

	// The code's own performance.
	"gate":  {"fail CI on benchmark regressions (BASE HEAD files, or --against REV)", runGate},
	"bench": {"run benchmarks for the gate (--instructions: instr/op under callgrind)", runBench},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "wslab: a WebSocket performance lab for microcontroller boards")
	fmt.Fprintln(w, "\nusage: wslab <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'wslab <command> -h' for a command's flags.")
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "wslab: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// interruptible returns a context cancelled by SIGINT or SIGTERM: every
// command that runs until stopped, or may be stopped early, waits on it.
func interruptible() (context.Context, func()) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// isTerminal reports whether w is a terminal (a live progress line is only
// drawn there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressWriter returns w when it is a terminal and quiet is off, else
// nil: where a job draws its live progress line.
func progressWriter(w io.Writer, quiet bool) io.Writer {
	if quiet || !isTerminal(w) {
		return nil
	}
	return w
}
