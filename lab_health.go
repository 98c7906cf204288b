package main

import (
	"errors"
	"flag"
	"io"
	"time"

	"github.com/wslab/wslab/foreign"
	"github.com/wslab/wslab/lab"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

// labHealth are load's health flags on the lab: a board that does not run
// wslab (--target, or an --exec server) watched during every step of its
// suite, each step's Run holding the readings and the crashes and reboots.
type labHealth struct {
	h     healthFlags
	stats string
}

func (lh *labHealth) register(fs *flag.FlagSet) {
	lh.h.register(fs)
	fs.StringVar(&lh.stats, "stats", "", "a --target board's stats URL (default http://host:port/stats; - for none); with --stats-free and the others, its own document")
}

// on reports whether a health flag was given.
func (lh *labHealth) on() bool {
	return lh.stats != "" || lh.h.figures() != (foreign.Figures{}) || lh.h.watchPort || lh.h.serial != ""
}

// apply checks the flags and sets the lab's Watch; events receives the
// watcher's lines as they happen. targets tells whether the lab runs on a
// board that is not emulated (the flags watch nothing else).
func (lh *labHealth) apply(o *lab.Options, targets bool, events io.Writer) error {
	if !lh.on() {
		return nil
	}
	if !targets {
		return errors.New("--stats, --stats-free, --stats-largest, --stats-min-free, --stats-uptime, --watch-port and --serial watch a board given by --target or --exec, not the emulated ones")
	}
	if lh.stats == "-" && lh.h.figures() != (foreign.Figures{}) {
		return errors.New("--stats-free, --stats-largest, --stats-min-free and --stats-uptime read the --stats document: not with --stats -")
	}
	o.Watch = func(spec *loadgen.Spec) (func(*results.Run), error) {
		if lh.stats != "" {
			spec.StatsURL = lh.stats
		}
		if spec.HeapEvery == 0 {
			spec.HeapEvery = time.Second
		}
		w, err := startHealth(&lh.h, spec, events)
		if err != nil || w == nil {
			return nil, err
		}
		settle := spec.Settle
		return func(r *results.Run) { attachHealth(w, r, settle) }, nil
	}
	return nil
}
