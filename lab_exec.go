package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/foreign"
)

// startForeignTarget starts the lab's -exec server under a catalog model's
// limits, behind a relay on a loopback port; the lab runs its suite on the
// relay's address as on a real board's, reading the process's figures from
// the relay's /stats.
func startForeignTarget(ff *foreignFlags, model string, linkOff bool, stdout, stderr io.Writer) (*foreign.Board, int, error) {
	rb, err := catalog.Resolve(model, catalog.Overrides{LinkOff: linkOff})
	if err != nil {
		return nil, 0, err
	}
	cfg, link := rb.Config, rb.Link
	o, _, err := ff.options(model, cfg, link, stdout, stderr)
	if err != nil {
		return nil, 0, err
	}
	o.Listen = "127.0.0.1:0"
	b, err := foreign.Start(o)
	if err != nil {
		return nil, 0, err
	}
	limit, _ := b.Limits()
	fmt.Fprintf(stdout, "foreign board %s at ws://%s/ws: %s on port %d, cpu %.3g%% of a core, memory limit %d B\n",
		b.Name(), b.Addr(), ff.exec, ff.port, o.CPUShare*100, limit)
	return b, cfg.Slots, nil
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
