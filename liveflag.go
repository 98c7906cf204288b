package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/wslab/wslab/live"
)

// liveFlags are --live and --live-hold of load, lab, sweep and compare: a
// live page of the runs' intervals (package live).
type liveFlags struct {
	addr string
	hold bool
}

func (l *liveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.addr, "live", "", "serve a live page of the run at this address, e.g. 127.0.0.1:8089 (a port alone binds to loopback)")
	fs.BoolVar(&l.hold, "live-hold", false, "keep serving the live page's final state after the run, until Ctrl-C")
}

// start starts the live server when --live is set (nil, nil otherwise)
// and says where it is on w.
func (l *liveFlags) start(job, title string, w, warn io.Writer) (*live.Server, error) {
	if l.addr == "" {
		if l.hold {
			return nil, fmt.Errorf("--live-hold needs --live ADDR")
		}
		return nil, nil
	}
	srv, err := live.Listen(l.addr, job, title, warn)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "live view: %s\n", srv.URL())
	return srv, nil
}

// stop ends the live server: at once, or with --live-hold when ctx ends
// (Ctrl-C).
func (l *liveFlags) stop(ctx context.Context, srv *live.Server, w io.Writer) {
	if srv == nil {
		return
	}
	if l.hold && ctx.Err() == nil {
		fmt.Fprintf(w, "live view: %s keeps the final figures until Ctrl-C\n", srv.URL())
		<-ctx.Done()
	}
	srv.Close()
}
