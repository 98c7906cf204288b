//go:build linux

package calibrate

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
)

func TestExplore(t *testing.T) {
	name := os.Getenv("EXPLORE")
	if name == "" {
		t.Skip()
	}
	p, err := catalog.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := host.Start(host.Options{Board: p.Board, Link: p.Link, CPU: p.CPU})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	m, err := Probe(context.Background(), Options{Target: srv.WSURL("/ws"), Scale: 0.2, Log: os.Stderr, MaxConns: 16})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(m, "", " ")
	t.Logf("%s", b)
	o := Options{Target: "ws://x/ws", Scale: 0.2, Log: os.Stderr}
	f, err := FitModel(context.Background(), m, o, "twin")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range f.Figures {
		t.Logf("%-12s %10.3f %-6s %v %s", x.Name, x.Value, x.Unit, x.Measured, x.Source)
	}
	t.Logf("true: rtt %v bps %d rx %d cpu %v", p.Link.RTT, p.Link.Bps, p.Board.RxBuf, p.CPU.MessageCost(32))
}
