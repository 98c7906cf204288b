//go:build linux

package fidelity

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
)

// TestValidateShort runs the published load against esp32-async with short
// points. It is not a timing test of the host: the board's virtual CPU and
// link set the figures, so it checks bounds a slow host cannot fake (the
// rate never exceeds what the board's service time allows) and that the
// table names every point.
func TestValidateShort(t *testing.T) {
	res, err := Validate(context.Background(), Options{Models: []string{"esp32-async"}, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || len(res[0].Points) != 4 {
		t.Fatalf("want 4 points of one model, got %+v", res)
	}
	p, _ := catalog.Get("esp32-async")
	ceiling := 1e9 / float64(p.CPU.MessageCost(50)) // msgs/s the CPU allows at most
	for _, c := range res[0].Points {
		e := c.Emulated
		if e.MsgsPerSec <= 0 || e.P50Ms <= 0 || e.P99Ms < e.P50Ms {
			t.Fatalf("%d clients: nothing sensible measured: %+v", e.Clients, e)
		}
		if e.MsgsPerSec > ceiling*1.1 {
			t.Fatalf("%d clients: %.0f msgs/s, above the %.0f the board's CPU allows", e.Clients, e.MsgsPerSec, ceiling)
		}
		// One client waits a round trip (RTT + service + airtime) per message.
		if e.Clients == 1 && e.MsgsPerSec > 1e9/float64(p.Link.RTT+p.CPU.MessageCost(50)) {
			t.Fatalf("1 client: %.0f msgs/s, faster than one round trip per message allows", e.MsgsPerSec)
		}
		if c.CPUBusy <= 0 || c.CPUBusy > 1.05 {
			t.Fatalf("%d clients: CPU busy %.2f", e.Clients, c.CPUBusy)
		}
		if c.OK() != (c.RateOK && c.P50OK && c.P99OK) || (!c.OK() && c.Why == "") {
			t.Fatalf("%d clients: a miss without a reason: %+v", e.Clients, c)
		}
	}
	var b bytes.Buffer
	WriteTable(&b, res)
	out := b.String()
	for _, want := range []string{"esp32-async", "PsychicHttp", "msgs/s emu", "p99 ms emu"} {
		if !strings.Contains(out, want) {
			t.Fatalf("table lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "PASS") + strings.Count(out, "MISS"); n < 12 {
		t.Fatalf("table has %d verdicts, want 3 per point:\n%s", n, out)
	}
	t.Log("\n" + out)
}

func TestValidateBadInput(t *testing.T) {
	if _, err := Validate(context.Background(), Options{Models: []string{"picow-tinygo"}}); err == nil || !strings.Contains(err.Error(), "no published figures") {
		t.Fatalf("a model without published figures: %v", err)
	}
	if _, err := Validate(context.Background(), Options{Duration: time.Millisecond}); err == nil {
		t.Fatal("a 1 ms point must be refused")
	}
}

func TestPublishedData(t *testing.T) {
	for _, s := range Published {
		if _, err := catalog.Get(s.Model); err != nil {
			t.Fatalf("published series for an unknown preset: %v", err)
		}
		if s.Source == "" || len(s.Points) == 0 {
			t.Fatalf("%s: no source or points", s.Model)
		}
		for _, p := range s.Points {
			// Little's law holds in the published figures within 15% (mean x rate = clients).
			if l := p.MeanMs / 1000 * p.MsgsPerSec / float64(p.Clients); l < 0.85 || l > 1.15 {
				t.Fatalf("%s at %d clients: mean x rate / clients = %.2f", s.Model, p.Clients, l)
			}
		}
	}
}

// TestValidatePings: the link's own round trip on esp32-idf, power save
// off and on. Bounded from the side a busy host cannot fake: no ping
// beats the link (the wire's round trip and two channel accesses), and
// with power save the mean waits a good part of the beacon interval
// more (a lone frame waits for the next DTIM beacon: half of 102.4 ms on
// average over pings spread across it); a power save that never dozes,
// or whose doze hides in the echo's own time, fails.
func TestValidatePings(t *testing.T) {
	rs, err := ValidatePings(context.Background(), Options{Models: []string{"esp32-idf"}, Duration: 6 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].PowerSave || !rs[1].PowerSave {
		t.Fatalf("want esp32-idf's two pings (power save off, on), got %+v", rs)
	}
	p, _ := catalog.Get("esp32-idf")
	floor := float64(p.Link.RTT+2*p.Link.Airtime) / 1e6
	for _, r := range rs {
		if r.N < 16 || r.MinMs < floor*0.95 || r.P50Ms < r.MinMs || r.MeanMs < r.MinMs {
			t.Fatalf("power save %v: %d pings, min %.2f ms, median %.2f, mean %.2f: want 16 or more, none under the link's %.2f ms", r.PowerSave, r.N, r.MinMs, r.P50Ms, r.MeanMs, floor)
		}
		if !r.OK && r.Why == "" {
			t.Fatalf("a miss without a reason: %+v", r)
		}
	}
	off, on := rs[0], rs[1]
	if want := off.P50Ms + 0.35*float64(host.BeaconInterval)/1e6; on.MeanMs < want {
		t.Fatalf("power save on: mean %.1f ms, want at least %.1f (the median without it, %.1f ms, and a third of a beacon interval)", on.MeanMs, want, off.P50Ms)
	}
	var b bytes.Buffer
	WritePings(&b, rs)
	out := b.String()
	for _, want := range []string{"esp32-idf", "on, DTIM 1", "issue 1484", "issue 548", "average 64 ms"} {
		if !strings.Contains(out, want) {
			t.Fatalf("table lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "PASS") + strings.Count(out, "MISS"); n != 2 {
		t.Fatalf("table has %d verdicts, want one per ping:\n%s", n, out)
	}
	t.Log("\n" + out)
}

// TestPingJudge: the median held to the published range, the mean to
// the published mean within TargetP50, each miss with its reason.
func TestPingJudge(t *testing.T) {
	for _, c := range []struct {
		r  PingResult
		ok bool
	}{
		{PingResult{Ping: Pings[0], P50Ms: 6.5}, true},
		{PingResult{Ping: Pings[0], P50Ms: 5.0}, false},
		{PingResult{Ping: Pings[0], P50Ms: 10.5}, false},
		{PingResult{Ping: Pings[1], P50Ms: 40, MeanMs: 58}, true},
		{PingResult{Ping: Pings[1], P50Ms: 7, MeanMs: 40}, false},
		{PingResult{Ping: Pings[1], P50Ms: 90, MeanMs: 90}, false},
	} {
		c.r.judge()
		if c.r.OK != c.ok || (!c.r.OK && c.r.Why == "") {
			t.Errorf("median %.1f, mean %.1f against %s: OK %v (%s), want %v", c.r.P50Ms, c.r.MeanMs, c.r.Says, c.r.OK, c.r.Why, c.ok)
		}
	}
}
