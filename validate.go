package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wslab/wslab/fidelity"
	"github.com/wslab/wslab/plots"
)

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("models", "", "comma-separated presets to check (default: every one with published figures)")
	dur := fs.Duration("duration", fidelity.DefaultDuration, "measurement time per point (the published runs took 60s)")
	seed := fs.Uint64("seed", 1, "seed of the WiFi tails")
	tails := fs.Bool("tails", true, "model the WiFi tails (false: to see what they add)")
	cpu := fs.Bool("cpu", true, "model the board's CPU (false: to see what it adds)")
	air := fs.Bool("airtime", true, "model the shared channel's airtime per frame (false: to see what it adds)")
	out := fs.String("out", "", "write the plot (validation.png, .svg) to this folder")
	if err := fs.Parse(args); err != nil {
		return parseStatus(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wslab validate: unexpected arguments %q\n", fs.Args())
		return 2
	}
	o := fidelity.Options{Duration: *dur, Seed: *seed, Progress: stderr, NoTails: !*tails, NoCPU: !*cpu, NoAirtime: !*air}
	if *models != "" {
		for _, m := range strings.Split(*models, ",") {
			if m = strings.TrimSpace(m); m != "" {
				o.Models = append(o.Models, m)
			}
		}
	}
	ctx, stop := interruptible()
	defer stop()
	res, err := fidelity.Validate(ctx, o)
	fidelity.WriteTable(stdout, res)
	if err != nil {
		fmt.Fprintln(stderr, "wslab validate:", err)
		return 1
	}
	// The link's own round trip (a ping), power save off and on, where
	// the models checked have published pings.
	pings, err := fidelity.ValidatePings(ctx, o)
	fidelity.WritePings(stdout, pings)
	if err != nil {
		fmt.Fprintln(stderr, "wslab validate:", err)
		return 1
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			fmt.Fprintln(stderr, "wslab validate:", err)
			return 1
		}
		fig, err := plots.Validation(fidelity.Curves(res))
		if err == nil {
			var paths []string
			paths, err = fig.Save(*out)
			if err == nil {
				fmt.Fprintf(stdout, "\nplot: %s\n", strings.Join(paths, ", "))
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "wslab validate:", err)
			return 1
		}
	}
	miss := 0
	for _, r := range res {
		for _, c := range r.Points {
			if !c.OK() {
				miss++
			}
		}
	}
	for _, p := range pings {
		if !p.OK {
			miss++
		}
	}
	if miss > 0 {
		fmt.Fprintf(stdout, "\n%d point(s) missed the targets\n", miss)
		return 1
	}
	fmt.Fprintln(stdout, "\nevery point within the targets")
	return 0
}
