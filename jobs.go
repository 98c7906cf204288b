package main

// What the jobs (lab, sweep, compare) share: their flags, checked before
// anything runs, where boards run, and how a job ends (its exit status).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/lab"
	"github.com/wslab/wslab/plots/report"
	"github.com/wslab/wslab/results"
)

// jobFlags are the flags lab, sweep and compare share.
type jobFlags struct {
	linkOff, quiet, inProcess *bool
	results, out              *string
	modelFile                 *string
	// twin is the name of the model --model-file registered (catalog.AddModelFile), "" without one.
	twin string
	outputFlags
}

func registerJobFlags(fs *flag.FlagSet) *jobFlags {
	jf := &jobFlags{
		linkOff:   fs.Bool("link-off", false, "run emulated boards at loopback speed, without their link"),
		results:   fs.String("results", results.DefaultDir, "results folder"),
		out:       fs.String("out", report.DefaultDir, "report folder"),
		quiet:     fs.Bool("quiet", false, "no live progress line"),
		inProcess: fs.Bool("in-process", false, "run emulated boards in this process (their heap figures then include the load generator's)"),
		modelFile: fs.String("model-file", "", "a model file (JSON, as wslab calibrate writes it): its board runs as a model of its own name"),
	}
	jf.outputFlags.register(fs)
	return jf
}

// parse parses the job's flags and checks --threshold and --summary before
// anything runs; it returns the human output (stderr when stdout is for a
// script) and an exit status when the command must stop.
func (jf *jobFlags) parse(fs *flag.FlagSet, args []string, what string, stdout, stderr io.Writer) (io.Writer, int, bool) {
	if err := checkDurationArgs(args, "duration"); err != nil {
		fmt.Fprintf(stderr, "wslab %s: %v\n", what, err)
		return nil, exitUsage, false
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, 0, false
		}
		return nil, exitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wslab %s: unexpected arguments: %s\n", what, strings.Join(fs.Args(), " "))
		return nil, exitUsage, false
	}
	if err := jf.outputFlags.check(); err != nil {
		fmt.Fprintf(stderr, "wslab %s: %v\n", what, err)
		return nil, exitUsage, false
	}
	if *jf.modelFile != "" {
		p, err := catalog.AddModelFile(*jf.modelFile)
		if err != nil {
			fmt.Fprintf(stderr, "wslab %s: --model-file: %v\n", what, err)
			return nil, exitUsage, false
		}
		jf.twin = p.Name
	}
	var bad []error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "target":
			for _, u := range splitList(f.Value.String()) {
				if err := checkTarget(u); err != nil {
					bad = append(bad, err)
				}
			}
		case "model", "models":
			if err := lab.CheckModels(splitList(f.Value.String())); err != nil {
				bad = append(bad, err)
			}
		}
	})
	if len(bad) > 0 {
		fmt.Fprintf(stderr, "wslab %s: %v\n", what, bad[0])
		return nil, exitUsage, false
	}
	if jf.machine() {
		return stderr, 0, true
	}
	return stdout, 0, true
}

// boardExe is this binary, to run emulated boards as child processes
// ("wslab board"), or "" to run them in this process.
func boardExe(inProcess bool) string {
	if inProcess {
		return ""
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}

// finish is finish, then the job's summary and thresholds: exit 3 when a
// threshold was crossed and nothing else failed.
func (jf *jobFlags) finish(stdout, stderr, human io.Writer, what string, start time.Time, oc *lab.Outcome, err error) int {
	code := finish(human, stderr, what, start, oc, err)
	if oc == nil || len(oc.Runs) == 0 {
		return code
	}
	if tc := jf.outputFlags.report(stdout, stderr, oc.Runs); code == 0 {
		code = tc
	}
	return code
}

func finish(stdout, stderr io.Writer, what string, start time.Time, oc *lab.Outcome, err error) int {
	if errors.Is(err, context.Canceled) {
		// Ctrl-C: one clean line, not every step's "context canceled".
		n := 0
		if oc != nil {
			n = len(oc.Runs)
		}
		fmt.Fprintf(stderr, "wslab %s: interrupted after %s; %d runs stored\n", what, time.Since(start).Round(time.Second), n)
		return 130
	}
	if oc != nil {
		for _, f := range oc.Failed {
			fmt.Fprintf(stderr, "wslab %s: %v\n", what, f)
		}
		if len(oc.Runs) > 0 {
			fmt.Fprintf(stdout, "\n%d runs stored in %s\n", len(oc.Runs), dirOf(oc.Files))
		}
		if oc.Report != "" {
			fmt.Fprintf(stdout, "report: %s\n", oc.Report)
		}
	}
	fmt.Fprintf(stdout, "done in %s\n", time.Since(start).Round(time.Second))
	if err != nil {
		fmt.Fprintf(stderr, "wslab %s: %v\n", what, err)
		return 1
	}
	if oc != nil && len(oc.Failed) > 0 {
		return 1
	}
	return 0
}

func dirOf(files []string) string {
	if len(files) == 0 {
		return ""
	}
	f := files[0]
	if i := strings.LastIndexByte(f, '/'); i >= 0 {
		return f[:i]
	}
	return "."
}

// models is the models a lab or compare runs: the -models list, and the
// --model-file twin; the twin alone when -models was not given.
func (jf *jobFlags) models(fs *flag.FlagSet, models string) []string {
	if jf.twin == "" {
		return splitList(models)
	}
	if !flagSet(fs, "models") {
		return []string{jf.twin}
	}
	return append(splitList(models), jf.twin)
}
