package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/wslab/wslab/results"
)

// runDiff is `wslab diff OLD NEW`. Exit status: 0 nothing got worse, 1 a
// folder could not be read or the sets share no scenario, 2 usage,
// exitThreshold (3) a figure got significantly worse.
func runDiff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: wslab diff OLD NEW\n\nOLD and NEW are results folders (e.g. a baseline and a candidate firmware). Runs pair up by board\nconfiguration and scenario; repeat runs (3 or more each) give the test its power.\nExit status: 0 nothing worse, 3 a figure significantly worse, 1 error, 2 usage.")
	}
	pos, err := flagsAnywhere(fs, args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if len(pos) != 2 {
		fs.Usage()
		return 2
	}
	var sets [2][]*results.Run
	for i, dir := range pos {
		runs, skipped, err := results.ReadDir(dir)
		if err != nil {
			fmt.Fprintf(stderr, "wslab diff: %v\n", err)
			return 1
		}
		for _, e := range skipped {
			fmt.Fprintf(stderr, "wslab diff: skipped %v\n", e)
		}
		if len(runs) == 0 {
			fmt.Fprintf(stderr, "wslab diff: no readable run in %s\n", dir)
			return 1
		}
		sets[i] = runs
	}
	ds := results.DiffSets(sets[0], sets[1])
	paired := 0
	for _, d := range ds {
		if d.Comparison != nil {
			paired++
		}
	}
	fmt.Fprintf(stdout, "old: %s (%d runs)\nnew: %s (%d runs)\n", pos[0], len(sets[0]), pos[1], len(sets[1]))
	if err := results.WriteDiff(stdout, ds); err != nil {
		fmt.Fprintf(stderr, "wslab diff: %v\n", err)
		return 1
	}
	if paired == 0 {
		fmt.Fprintln(stderr, "wslab diff: the two sets share no board configuration and scenario: nothing compared")
		return 1
	}
	v := results.DiffVerdict(ds)
	fmt.Fprintf(stdout, "\nverdict: %s (%d board/scenario pairs compared)\n", v, paired)
	if v == results.VerdictWorse {
		return exitThreshold
	}
	return 0
}
