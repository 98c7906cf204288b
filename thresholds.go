package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/wslab/wslab/lab"
	"github.com/wslab/wslab/results"
)

// outputFlags are --threshold and --summary, shared by load, lab, sweep
// and compare.
type outputFlags struct {
	threshold string
	summary   string
	goal      results.Goal
}

var thresholdHelp = "fail (exit 3) when a run crosses any clause, e.g. 'p99<50ms,errors==0,ram<80%' (figures: " + strings.Join(results.GoalFigureNames(), " ") + ")"

const summaryHelp = "text, json or csv: json and csv print one record per run on stdout (the progress lines go to stderr)"

func (o *outputFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.threshold, "threshold", "", thresholdHelp)
	fs.StringVar(&o.summary, "summary", "text", summaryHelp)
}

// check parses the threshold and checks the summary format, before
// anything runs.
func (o *outputFlags) check() error {
	switch o.summary {
	case "text", "json", "csv":
	default:
		return fmt.Errorf("--summary %q: want text, json or csv", o.summary)
	}
	if o.threshold != "" {
		g, err := results.ParseGoal(o.threshold)
		if err != nil {
			return fmt.Errorf("--threshold: %w", err)
		}
		o.goal = g
	}
	return nil
}

// machine reports whether stdout is for a script: human lines then go to
// stderr.
func (o *outputFlags) machine() bool { return o.summary != "text" }

// takeOutputFlags removes --threshold and --summary (either form, one or
// two dashes) from args, for commands whose flag set is built elsewhere.
func takeOutputFlags(args []string) ([]string, outputFlags, error) {
	o := outputFlags{summary: "text"}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "threshold" && name != "summary") {
			rest = append(rest, a)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, o, fmt.Errorf("flag needs an argument: -%s", name)
			}
			i++
			val = args[i]
		}
		if name == "threshold" {
			o.threshold = val
		} else {
			o.summary = val
		}
	}
	return rest, o, o.check()
}

// report writes the machine-readable summary (json, csv) of runs to w and
// prints every threshold crossing to stderr; it returns exitThreshold when
// a clause was crossed, else 0.
func (o *outputFlags) report(stdout, stderr io.Writer, runs []*results.Run) int {
	var err error
	switch o.summary {
	case "json":
		err = results.WriteJSON(stdout, runs, o.goal)
	case "csv":
		err = results.WriteCSV(stdout, runs, o.goal)
	}
	if err != nil {
		fmt.Fprintf(stderr, "wslab: summary: %v\n", err)
		return exitFailed
	}
	return o.crossings(stderr, runs)
}

func (o *outputFlags) crossings(stderr io.Writer, runs []*results.Run) int {
	if len(o.goal) == 0 {
		return 0
	}
	crossed := 0
	checked := map[string]bool{}
	for _, r := range runs {
		for _, c := range results.Crossings(r, o.goal, false) {
			checked[c.Clause] = true
			if c.OK {
				continue
			}
			crossed++
			cl := o.clause(c.Clause)
			fmt.Fprintf(stderr, "threshold %s crossed: %s %s: %s\n", c.Clause, r.Board.Model, lab.StepName(r), cl.FormatValue(c.Value))
		}
	}
	for _, c := range o.goal {
		if !checked[c.Text] {
			fmt.Fprintf(stderr, "threshold %s: no run measured %s\n", c.Text, c.Figure)
			crossed++
		}
	}
	if crossed > 0 {
		fmt.Fprintf(stderr, "thresholds crossed: %d\n", crossed)
		return exitThreshold
	}
	fmt.Fprintf(stderr, "thresholds met: %s\n", o.goal)
	return 0
}

func (o *outputFlags) clause(text string) results.Clause {
	for _, c := range o.goal {
		if c.Text == text {
			return c
		}
	}
	return results.Clause{}
}
