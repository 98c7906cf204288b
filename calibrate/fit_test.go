//go:build linux

package calibrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/results"
)

// TestAirLine: the access's line through the echoes' gaps. The CI run of
// stop 24 (picow-tinygo hidden, window fitted 485 B against 512): the
// 1000 B echo's frame crossed the twin's window in three pieces and the
// board's in two, 12 ms off the line the other sizes agree on; with it in,
// the access came out 2.06 ms ±1.34 (unresolved; hidden 3.0). Left out and
// named, the rest give ~3.05 ms. A fit that keeps it, drops the wrong
// size, or drops one where the sizes disagree among themselves, fails.
func TestAirLine(t *testing.T) {
	w := 1 / (0.8 * 0.8)
	// gap (board) less the twin's at 3 ms; slope per ms of access
	mk := func(size int, bd, v0, v1 float64) airObs {
		return airObs{size: size, w: w, slope: (v1 - v0) / 3, y: bd - v0}
	}
	ci := []airObs{
		mk(1000, 4.14, 16.40, 22.29),
		mk(1400, 19.50, 19.31, 25.78),
		mk(1500, 20.11, 19.23, 25.68),
		mk(2900, 36.66, 36.62, 56.14),
	}
	da, se, chi, odd := airLine(ci)
	if odd != 0 {
		t.Fatalf("outlier: got index %d, want 0 (the 1000 B echo)", odd)
	}
	if a := 3 + da; math.Abs(a-3.05) > 0.1 || se > 0.5 {
		t.Errorf("access without the outlier: %.3f ms ±%.3f, want ~3.05 ±<0.5", a, se)
	}
	if chi < 10 {
		t.Errorf("the misfit of every size (the window's refinement compares it) %.3g: should count the outlier", chi)
	}
	// On one line with noise within the errors: nothing left out, the
	// line's own access.
	line := []airObs{{1000, w, 2, 2*0.7 + 0.3, 0, 0, 0}, {1400, w, 2.2, 2.2*0.7 - 0.4, 0, 0, 0}, {1500, w, 2.1, 2.1*0.7 + 0.2, 0, 0, 0}, {2900, w, 6.5, 6.5 * 0.7, 0, 0, 0}}
	da, _, chi, odd = airLine(line)
	if odd != -1 || math.Abs(da-0.7) > 0.1 || chi > 1 {
		t.Errorf("one line: outlier %d, da %.3f (want 0.7), chi %.3g", odd, da, chi)
	}
	// The same line read from twins whose own p50s are noisy (a slow
	// link's, 5 ms per gap, the second twin 1.5 ms of access down): the
	// same access, its error the twins' noise, not the board's alone.
	_, seLine, _, _ := airLine(line)
	noisy := slices.Clone(line)
	for i := range noisy {
		noisy[i].v0, noisy[i].v1, noisy[i].step = 25, 25, -1.5
	}
	daN, seN, chiN, oddN := airLine(noisy)
	if oddN != -1 || math.Abs(daN-0.7) > 0.1 || chiN > 1 {
		t.Errorf("one line, noisy twins: outlier %d, da %.3f (want 0.7), chi %.3g", oddN, daN, chiN)
	}
	if seN < 3*seLine {
		t.Errorf("one line, noisy twins: error %.3f ms, no more than the board's alone (%.3f): the twins' noise not counted", seN, seLine)
	}
	// Sizes that disagree among themselves: no one of them is the odd
	// one; the misfit widens the error instead.
	spread := []airObs{{1000, w, 2, -6, 0, 0, 0}, {1400, w, 2, 6, 0, 0, 0}, {1500, w, 2, -5, 0, 0, 0}, {2900, w, 2, 5, 0, 0, 0}}
	_, se2, _, odd := airLine(spread)
	if odd != -1 {
		t.Errorf("scattered sizes: left out %d, want none", odd)
	}
	if se2 < 1 {
		t.Errorf("scattered sizes: error %.3f ms, should be widened by the misfit", se2)
	}
	// Two sizes: nothing to tell which is odd.
	if _, _, _, odd := airLine(ci[:2]); odd != -1 {
		t.Errorf("two sizes: left out %d, want none", odd)
	}
}

// TestWindowCandidates: the windows the fit tries where the echoes'
// sizes stand off one line. A scratch run of stop 25 (picow-tinygo with a
// 506 B window hidden) fitted 470 B from the upload: the 1000 B and 2900 B
// frames then crossed in a piece more than on the board (3 and 7, not 2
// and 6). Every other pattern of pieces within the tolerance must be
// offered once, at its window nearest the fitted one, nearest first.
func TestWindowCandidates(t *testing.T) {
	frames := []int{1008, 1408, 1508, 2908} // 1000, 1400, 1500, 2900 B masked
	got := windowCandidates(frames, 470, 0.15)
	want := []int{469, 485, 503, 504, 415}
	if !slices.Equal(got, want) {
		t.Errorf("windowCandidates(470) = %v, want %v", got, want)
	}
	// Against a brute force over every window in range, for a few fits.
	for _, rx := range []int{300, 470, 506, 512, 1460, 2000} {
		pat := func(w int) string { return pieces(frames, w) }
		lo, hi := int(math.Ceil(float64(rx)*0.85)), int(float64(rx)*1.15)
		nearest := map[string]int{}
		for w := lo; w <= hi; w++ {
			p := pat(w)
			if p == pat(rx) {
				continue
			}
			if n, ok := nearest[p]; !ok || abs(w-rx) < abs(n-rx) {
				nearest[p] = w
			}
		}
		got := windowCandidates(frames, rx, 0.15)
		if len(got) != len(nearest) {
			t.Errorf("rx %d: %d candidates %v, want %d patterns %v", rx, len(got), got, len(nearest), nearest)
			continue
		}
		for i, w := range got {
			if nearest[pat(w)] != w {
				t.Errorf("rx %d: candidate %d (pattern %s) is not its pattern's nearest window (%d)", rx, w, pat(w), nearest[pat(w)])
			}
			if i > 0 && abs(w-rx) < abs(got[i-1]-rx) {
				t.Errorf("rx %d: candidates %v not nearest first", rx, got)
			}
		}
	}
}

// TestWindowSearchFromEchoSteps: the fit's window found again from the
// echoes' steps, on a real emulated board. picow-tinygo's 512 B window
// crosses the echo ladder's frames (1000, 1400, 1500, 2900 B) in 2/3/3/6
// pieces; a window fitted 5% low from the upload, 485 B, crosses them in
// 3/3/4/6, and the 1000 B echo stands a whole round (~12 ms) off the other
// sizes' line against the access. The search must land on a window of
// the board's pattern and resolve the access (3 ms) from it. A search
// that does not run, keeps the first window, or takes a window whose
// echoes fit no better, fails.
func TestWindowSearchFromEchoSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the twin's echo ladder a dozen times (~2 min)")
	}
	p, _ := catalog.Get("picow-tinygo")
	ctx, f := ladderFit(t, p)
	base := p
	tp := twinParams{k: 1, rtt: p.Link.RTT, bps: p.Link.Bps, rx: 485, tx: p.Board.TxBuf, air: p.Link.Airtime}
	frames := f.Meas.echoFrames(true)
	want := pieces(frames, p.Board.RxBuf)
	if pieces(frames, tp.rx) == want {
		t.Fatalf("the test's premise: %d B and %d B cross the frames alike (%s)", tp.rx, p.Board.RxBuf, want)
	}
	air := f.airFit(ctx, base, tp)
	t.Logf("at %d B: misfit %.3g, %s", tp.rx, air.chi, air.why)
	if air.chi <= oddChi {
		t.Fatalf("at %d B (frames in %s pieces, the board's %s) the sizes sit on one line (misfit %.3g): the search has nothing to find", tp.rx, pieces(frames, tp.rx), want, air.chi)
	}
	rx, a2, why := f.windowSearch(ctx, base, tp, air)
	t.Logf("window %d B: %s; airtime %s", rx, why, a2.why)
	if got := pieces(frames, rx); got != want {
		t.Errorf("window searched %d B crosses the frames in %s pieces, the board's %d B in %s", rx, got, p.Board.RxBuf, want)
	}
	if math.Abs(float64(rx-p.Board.RxBuf)) > Tolerance*float64(p.Board.RxBuf) {
		t.Errorf("window searched %d B, the board's %d B: beyond %.0f%%", rx, p.Board.RxBuf, Tolerance*100)
	}
	if !a2.ok || math.Abs(a2.a-float64(p.Link.Airtime)) > max(0.25, 3*a2.err/float64(p.Link.Airtime))*float64(p.Link.Airtime) {
		t.Errorf("airtime at the searched window: %.3f ms ±%.3f (resolved %v), the board's %.3f ms", a2.a/1e6, a2.err/1e6, a2.ok, float64(p.Link.Airtime)/1e6)
	}
}

// TestAgain: a twin's echoes a little off the access's line (a stall of
// the host) are measured once more and the lower misfit kept; on the line,
// or far off it (a pattern not the board's), they are measured once. A
// again that never measures, keeps the second reading whatever it is, or
// keeps the higher, fails.
func TestAgain(t *testing.T) {
	for _, c := range []struct {
		first, second float64
		measured      bool
		want          float64
	}{
		{1.3, 0.9, false, 1.3},     // on the line: once
		{13.3, 1.2, true, 1.2},     // a stall: the second is the twin's
		{9, 11, true, 9},           // a pattern not the board's: off both times, the lower
		{182, 1, false, 182},       // far off: once
		{oddChi, 1, false, oddChi}, // at the gate: on the line
		{againChi, 2, true, 2},
	} {
		called := false
		got := again(airResult{chi: c.first, why: "first"}, func() airResult {
			called = true
			return airResult{chi: c.second, why: "second"}
		})
		if called != c.measured || got.chi != c.want {
			t.Errorf("again(misfit %.3g, then %.3g): measured again %v, kept %.3g; want %v, %.3g", c.first, c.second, called, got.chi, c.measured, c.want)
		}
		if called && !strings.Contains(got.why, "measured twice") {
			t.Errorf("again(misfit %.3g, then %.3g): the provenance does not say so: %q", c.first, c.second, got.why)
		}
	}
}

// TestAirStep: airFit's second twin steps along the small echo's line
// (the round trip gives up 2 ms for each the access gains): up where the
// round trip has room, down where the access has, and the access alone
// where neither has.
func TestAirStep(t *testing.T) {
	for _, c := range []struct {
		a0, r0, a1, r1 float64 // ms
	}{
		{3, 0.8, 1.5, 3.8},   // esp8266: no room in the wire, down
		{3, 8, 4.5, 5},       // a slow wire: up
		{8, 20, 12, 12},      // half the access is the step
		{1.6, 0.3, 4.6, 0.3}, // too little of either: the access alone, by max(3 ms, a0)
		{0, 0.3, 3, 0.3},     // a wired preset's: the access alone
	} {
		a1, r1 := airStep(c.a0*1e6, c.r0*1e6)
		if math.Abs(a1/1e6-c.a1) > 1e-9 || math.Abs(r1/1e6-c.r1) > 1e-9 {
			t.Errorf("airStep(%.1f ms, %.1f ms) = %.2f ms, %.2f ms; want %.2f, %.2f", c.a0, c.r0, a1/1e6, r1/1e6, c.a1, c.r1)
		}
		if r1 != c.r0*1e6 && math.Abs((r1+2*a1)-(c.r0+2*c.a0)*1e6) > 1 {
			t.Errorf("airStep(%.1f ms, %.1f ms) = %.2f ms, %.2f ms: off the small echo's line", c.a0, c.r0, a1/1e6, r1/1e6)
		}
	}
}

// TestAirFitTradesRoundTrip: the access fitted where the rounds split the
// small echo's room wrongly between the wire and the channel. The twin
// starts on the board's line (rtt + 2 accesses the same as esp8266's)
// but at 1.75 ms of access and a 3.0 ms round trip against the board's
// 3.0 and 0.5: a fit that moves the access alone reads each large
// echo's extra round trips (one per piece) as access (its 1400-2900 B
// echoes called for ~6 ms and left the 1000 B one out, as a CI run's
// did); along the line it must find the board's within 25%, with a
// standard error within 10% of it (the sizes on one line: 2.90 ms ±0.07
// here, where a fit off the line read 3.56 ms ±1.15 and 6.11 ms ±1.21,
// its misfit widening the error: held to three standard errors alone,
// that passed).
func TestAirFitTradesRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the twin's echo ladder twice (~40 s)")
	}
	p, _ := catalog.Get("esp8266")
	ctx, f := ladderFit(t, p)
	tp := twinParams{k: 1, rtt: 3e6, bps: p.Link.Bps, rx: p.Board.RxBuf, tx: p.Board.TxBuf, air: 1.75e6}
	if tp.rtt+2*tp.air != p.Link.RTT+2*p.Link.Airtime {
		t.Fatalf("the test's premise: the twin on the board's line")
	}
	air := f.airFit(ctx, p, tp)
	t.Logf("airtime: %s", air.why)
	want := float64(p.Link.Airtime)
	if !air.ok || math.Abs(air.a-want) > 0.25*want || air.err > 0.1*want {
		t.Errorf("airtime %.3f ms ±%.3f (resolved %v), the board's %.3f ms: want within 25%%, ±10%%", air.a/1e6, air.err/1e6, air.ok, want/1e6)
	}
}

// ladderFit starts the emulated board p, measures its echo ladder and
// returns a fit of it (its log written to t at the end) and a context
// bounding the test.
func ladderFit(t *testing.T, p catalog.Preset) (context.Context, *Fit) {
	t.Helper()
	srv, err := host.Start(host.Options{Board: p.Board, Link: p.Link, CPU: p.CPU, StatsListen: "off"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	log := new(strings.Builder)
	o := Options{Target: srv.WSURL("/ws"), Scale: 0.25, Log: log}
	if err := o.defaults(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	t.Cleanup(cancel)
	m := echoLadder(ctx, t, o)
	t.Cleanup(func() { t.Log("log:\n" + log.String()) })
	return ctx, &Fit{Meas: m, opts: o}
}

// echoLadder measures the one-client echo ladder (echoSizes) as the
// probes do, the small echo's quantiles with it.
func echoLadder(ctx context.Context, t *testing.T, o Options) *Measurements {
	t.Helper()
	m := &Measurements{Target: o.Target}
	for i, n := range echoSizes {
		d := 1500 * time.Millisecond
		if i == 0 {
			d = 4 * time.Second
		}
		pt, tq, err := o.echoTail(ctx, n, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			pt.Tail = tq
		}
		m.Echo = append(m.Echo, pt)
	}
	return m
}

// TestTxSearchFromEchoSteps: the send buffer found again from the echoes'
// steps, on a real emulated board. esp8266's 1072 B send buffer sends
// the ladder's replies (1004, 1404, 1504, 2904 B) in 1/2/2/3 pieces of
// 2/3/3/6 segments of its 536 B MSS; a buffer fitted 1500 B from a
// download (which follows it as buffer^0.37) sends them in 1/1/2/2, and
// the 1400 B echo comes back ~7 ms early, off the other sizes' line
// against the access; one of 1187 B cuts them alike but sends 2/4/4/7
// segments. The search must land on a buffer of the board's pieces and
// segments (or, where the ladder's noise hides a segment, of its pieces
// within 15% of it, the board's segments tried), within txFrac of the
// start, and resolve the access there. A search that does not run, stops
// at the pieces, or keeps a buffer whose echoes fit no better, fails.
func TestTxSearchFromEchoSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the twin's echo ladder up to a dozen times (~2 min)")
	}
	p, _ := catalog.Get("esp8266")
	ctx, f := ladderFit(t, p)
	tp := twinParams{k: 1, rtt: p.Link.RTT, bps: p.Link.Bps, rx: p.Board.RxBuf, tx: 1500, air: p.Link.Airtime}
	frames := f.Meas.echoFrames(false)
	mss := p.CPU.MSS
	want := sendPattern(frames, p.Board.TxBuf, mss)
	if pieces(frames, tp.tx) == pieces(frames, p.Board.TxBuf) {
		t.Fatalf("the test's premise: %d B and %d B send the replies alike (%s)", tp.tx, p.Board.TxBuf, want)
	}
	air := f.airFit(ctx, p, tp)
	t.Logf("at %d B: misfit %.3g, %s", tp.tx, air.chi, air.why)
	if air.chi <= oddChi {
		t.Fatalf("at %d B (replies in %s pieces, the board's %s) the sizes sit on one line (misfit %.3g): the search has nothing to find", tp.tx, pieces(frames, tp.tx), want, air.chi)
	}
	tx, a2, why := f.txSearch(ctx, p, tp, air)
	t.Logf("send buffer %d B: %s; airtime %s", tx, why, a2.why)
	if got := sendPattern(frames, tx, mss); got != want {
		// The pieces are the board's, and its segments were tried: a
		// short segment more per piece moves the 2900 B echo by about a
		// segment's airtime, which the ladder's noise can hide (a CI
		// run's: misfit 1.83 at 1186 B, 1.75 at the board's pattern, the
		// sizes on one line within their noise either way). The buffer
		// is then the middle of the pieces', within 15% of the board's.
		logged := f.opts.Log.(*strings.Builder).String()
		switch {
		case pieces(frames, tx) != pieces(frames, p.Board.TxBuf):
			t.Errorf("send buffer searched %d B sends the replies in %s, the board's %d B in %s", tx, got, p.Board.TxBuf, want)
		case !strings.Contains(logged, fmt.Sprintf("(the echoes' frames in %s,", want)):
			t.Errorf("send buffer searched %d B sends the replies in %s, the board's %d B in %s, and the board's segments were not tried", tx, got, p.Board.TxBuf, want)
		case math.Abs(float64(tx-p.Board.TxBuf)) > 0.15*float64(p.Board.TxBuf):
			t.Errorf("send buffer searched %d B, the board's %d B: want within 15%% where the segments are not told apart", tx, p.Board.TxBuf)
		default:
			t.Logf("the board's segments (%s) tried and not told apart from %s: %d B kept", want, got, tx)
		}
	}
	// The access is resolved there, the board's within max(25%, 3
	// standard errors) (it was not held to a value before the access
	// moved along the small echo's line: its echo ladder called for
	// 3.2-4.4 ms at any buffer of the board's pattern; 3.06 ms ±0.07 now).
	if want := float64(p.Link.Airtime); !a2.ok || math.Abs(a2.a-want) > max(0.25, 3*a2.err/want)*want {
		t.Errorf("airtime at the searched send buffer: %.3f ms ±%.3f (resolved %v), the board's %.3f ms: %s", a2.a/1e6, a2.err/1e6, a2.ok, want/1e6, a2.why)
	}
}

// TestLeadFirst: the buffer whose predicted misfit is least (each reply
// a round later per piece more) goes first, where it halves the misfit;
// none where the sizes already sit on the line. The gaps are two real
// runs of esp8266's ladder (board's 1072 B) against twins at 847 B, whose
// replies go in 2/2/2/4 pieces against the board's 1/2/2/3: its pattern is
// the fourth by distance (after 2/2/3/4, 2/2/2/3 and 2/2/3/5), the lead
// must be it. And the same board against a twin at 1090 B (1/2/2/3):
// no lead. A lead read from each size's residual against cur's line
// went to 2/3/3/5 in one run (the access absorbed the rounds); one that
// ignores the rounds (or counts them the wrong way) goes elsewhere too.
func TestLeadFirst(t *testing.T) {
	// board gap, twin gap at 3.00 ms and at 1.50 ms of access (ms) for
	// 1000, 1400, 1500 and 2900 B.
	obs := func(g [4][3]float64) airResult {
		var r airResult
		for i, size := range []int{1000, 1400, 1500, 2900} {
			r.obs = append(r.obs, airObs{size: size, w: 4, slope: (g[i][2] - g[i][1]) / -1.5, y: g[i][0] - g[i][1]})
		}
		_, _, r.chi, _ = airLine(r.obs)
		return r
	}
	reply := func(size int) int { return core.FrameSize(size, false) }
	frames := []int{1004, 1404, 1504, 2904}
	cands := []int{738, 985, 713, 1090, 640, 545} // 2/2/3/4, 2/2/2/3, 2/2/3/5, 1/2/2/3, 2/3/3/5, 2/3/3/6
	for i, g := range [][4][3]float64{
		{{2.67, 10.38, 14.34}, {14.53, 11.60, 17.78}, {15.01, 12.98, 19.02}, {26.19, 57.90, 41.87}},
		{{2.62, 10.56, 14.51}, {14.59, 12.16, 18.26}, {15.07, 12.96, 18.80}, {26.22, 33.79, 42.10}},
	} {
		air := obs(g)
		got, at := leadFirst(cands, 847, air, 6.5, reply)
		if at != 3 || !slices.Equal(got, []int{1090, 738, 985, 713, 640, 545}) {
			t.Errorf("run %d (misfit %.3g at 847 B): %v, lead at %d, want the board's pattern (1090 B, at 3) first", i+1, air.chi, got, at)
		}
	}
	air := obs([4][3]float64{{2.62, 2.90, 5.52}, {14.59, 13.52, 19.17}, {15.07, 15.18, 18.94}, {26.22, 26.86, 33.44}})
	near := windowCandidates(frames, 1090, txFrac)
	if got, at := leadFirst(near, 1090, air, 6.5, reply); at != -1 || !slices.Equal(got, near) {
		t.Errorf("at 1090 B (misfit %.3g): %v, lead at %d; want none", air.chi, got, at)
	}
	if cands[0] != 738 {
		t.Errorf("leadFirst reordered its argument: %v", cands)
	}
}

// TestPatternRange: the sizes that cross the frames in the same pieces as
// w, checked at and just past both ends.
func TestPatternRange(t *testing.T) {
	frames := []int{1004, 1404, 1504, 2904}
	for _, w := range []int{1403, 1072, 1500, 2000, 3000, 600} {
		lo, hi := patternRange(frames, w)
		want := pieces(frames, w)
		if lo > w || hi < w || pieces(frames, lo) != want || pieces(frames, min(hi, 1<<20)) != want {
			t.Errorf("w %d: range %d-%d: pieces %s at w, %s at %d, %s at %d", w, lo, hi, want, pieces(frames, lo), lo, pieces(frames, min(hi, 1<<20)), hi)
		}
		if lo > 1 && pieces(frames, lo-1) == want {
			t.Errorf("w %d: %d B, below the range, crosses alike", w, lo-1)
		}
		if hi < math.MaxInt && pieces(frames, hi+1) == want {
			t.Errorf("w %d: %d B, above the range, crosses alike", w, hi+1)
		}
	}
	if lo, hi := patternRange(frames, 1403); lo != 1004 || hi != 1403 {
		t.Errorf("1403: %d-%d, want 1004-1403", lo, hi)
	}
}

// TestWindowFollows: the upload follows the window at x1.5 or more over
// the fourfold span, that is window^0.29, whatever the span measured (the
// fit falls back to x1/1.25..x2 where the twin at half the window moved
// nothing); an upload that moved nothing says nothing.
func TestWindowFollows(t *testing.T) {
	for _, c := range []struct {
		lo, hi   float64
		wlo, whi int
		seen     bool
	}{
		{0.016, 0.029, 296, 1184, true},   // x1.81 over x4
		{0.016, 0.023, 296, 1184, false},  // x1.44 over x4
		{0.020, 0.0275, 473, 1184, true},  // x1.375 over x2.5: window^0.35
		{0.020, 0.0255, 473, 1184, false}, // x1.275 over x2.5: window^0.27
		{0, 0.029, 296, 1184, false},
		{0.016, 0, 296, 1184, false},
	} {
		s, seen := windowFollows(c.lo, c.hi, c.wlo, c.whi)
		if seen != c.seen {
			t.Errorf("%v at %d B, %v at %d B: seen %v (window^%.2f), want %v", c.lo, c.wlo, c.hi, c.whi, seen, s, c.seen)
		}
		if want := math.Log(c.hi/c.lo) / math.Log(float64(c.whi)/float64(c.wlo)); seen && math.Abs(s-want) > 1e-9 {
			t.Errorf("sensitivity %.4f, want %.4f", s, want)
		}
	}
}

// TestP50Err: the median's standard error read from the distribution: for
// n uniform latencies over a span, the median's rank moves by sqrt(n)/2,
// that is span/(2 sqrt(n)) in latency.
func TestP50Err(t *testing.T) {
	h := results.NewHistogram()
	const n, lo, span = 2500, 10000, 100000 // µs: uniform 10-110 ms, p50 60 ms
	for i := range n {
		h.Record(lo + int64(i)*span/n)
	}
	want := float64(span) / (2 * math.Sqrt(n)) / 60000 // 1.7%
	if got := p50Err(h); math.Abs(got/want-1) > 0.1 {
		t.Errorf("p50 error %.5f, want %.5f", got, want)
	}
	if got := p50Err(results.NewHistogram()); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

// TestFitPowerSave: without a doze the sparse echoes are draws of the
// closed loop's distribution (a quarter above its p75); a doze puts
// nearly all of them above it, and its DTIM guess is twice the p50s'
// difference over the beacon interval; too few sparse echoes keep the
// preset's.
func TestFitPowerSave(t *testing.T) {
	qs := func(f func(q float64) float64) []float64 {
		var v []float64
		for _, q := range TailLevels {
			v = append(v, f(q))
		}
		return v
	}
	closed := func(q float64) float64 { return 20 + 10*q } // p50 25, p75 27.5 ms
	e := Point{P50: 25, N: 200, Tail: qs(closed)}
	// share of the sparse echoes above the closed loop's p75, and shift
	sp := func(above, shift float64, n int64) Point {
		return Point{N: n, P50: 25 + shift, Tail: qs(func(q float64) float64 {
			if q < 1-above {
				return 27
			}
			return 28 + shift
		})}
	}
	def := host.Tails{PowerSave: true, DTIM: 2}
	for _, c := range []struct {
		name     string
		sparse   Point
		on, seen bool
		dtim     int
	}{
		{"the closed loop's own draw", Point{N: 16, P50: 25, Tail: qs(closed)}, false, true, 0},
		// 7 of 16 above the p75 though the p50 rose by 15 ms: a draw (8%
		// of the time), not a doze (every one of them is above the p50).
		{"7 of 16 above: a draw (8% of the time)", sp(7.0/16, 15, 16), false, true, 0},
		{"12 of 16 above: a doze", sp(12.0/16, 30, 16), true, true, 1},
		{"DTIM 1: +51 ms", sp(1, 51.2, 16), true, true, 1},
		{"every one 3 ms slower: a wake-up, not a doze", sp(1, 3, 16), false, true, 0},
		{"DTIM 3: +154 ms", sp(1, 153.6, 16), true, true, 3},
		{"four echoes: the preset's", sp(1, 100, 4), true, false, 2},
	} {
		on, dtim, seen, why := fitPowerSave(e, c.sparse, def)
		if on != c.on || seen != c.seen || (on && dtim != c.dtim) {
			t.Errorf("%s: on %v DTIM %d seen %v (%s); want %v %d %v", c.name, on, dtim, seen, why, c.on, c.dtim, c.seen)
		}
	}
}

// TestSparseEchoSeesPowerSave: the sparse probe against real emulated
// boards, one whose station dozes (DTIM 2: the twins step 1, 2) and one
// that does not: the fit reads which, and the dozing one's DTIM on its
// twin. (The random hidden board of TestCalibrateHiddenBoards dozes at
// DTIM 1-3.)
func TestSparseEchoSeesPowerSave(t *testing.T) {
	if testing.Short() {
		t.Skip("probes two emulated boards and two twins for ~65 s")
	}
	t.Parallel()
	p, _ := catalog.Get("esp32-idf")
	for _, dtim := range []int{0, 2} {
		t.Run(fmt.Sprintf("dtim%d", dtim), func(t *testing.T) {
			t.Parallel()
			q := p
			q.Link.Tails.PowerSave, q.Link.Tails.DTIM = dtim > 0, dtim
			q.Link.Tails.Seed ^= 0x5eed
			srv, err := StartTwin(q, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			o := Options{Target: srv.WSURL("/ws"), Scale: 0.25}
			if err := o.defaults(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			e, tq, err := o.echoTail(ctx, 32, 2*time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			e.Tail = tq
			sp, err := o.sparse(ctx)
			srv.Close()
			if err != nil {
				t.Fatal(err)
			}
			on, got, seen, why := fitPowerSave(e, sp, host.Tails{})
			if on {
				f := &Fit{opts: o}
				tp := twinParams{k: 1, rtt: p.Link.RTT, bps: p.Link.Bps, rx: p.Board.RxBuf, tx: p.Board.TxBuf, air: p.Link.Airtime}
				got, why = f.dtimOnTwin(ctx, p, tp, sp, why)
			}
			cancel()
			t.Logf("DTIM %d: %s", dtim, why)
			if !seen || on != (dtim > 0) || (on && got != dtim) {
				t.Errorf("board with DTIM %d (0: power save off): fitted on %v DTIM %d seen %v", dtim, on, got, seen)
			}
		})
	}
}

// TestSparseGapSeparatesDTIM: the sparse echo's lone messages must wait
// longer the longer the DTIM, or the twins cannot tell a board's DTIM
// from its neighbours'. Two emulated boards (the same random
// configuration, its tails on different seeds) at DTIM 3 and 5: the mean
// of their sparse echoes' p10-p80 must differ by at least 0.6 of the half
// interval two more beacons add to an even spread's mean (61 ms; about
// 100 ms at SparseGap 650 ms, 39-49 ms at the 350 ms a CI run fitted a
// DTIM 3 board as 5 at, where the reply kept the station awake for the
// next message once a wait passed 260 ms).
func TestSparseGapSeparatesDTIM(t *testing.T) {
	if testing.Short() {
		t.Skip("probes two emulated boards for ~16 s")
	}
	t.Parallel()
	dtims := []int{3, 5}
	prof := make([]float64, len(dtims))
	var wg sync.WaitGroup
	errs := make([]error, len(dtims))
	for i, d := range dtims {
		wg.Go(func() {
			p := randomBoard(100)
			p.Link.Tails.DTIM, p.Link.Tails.Seed = d, uint64(7+d)
			srv, err := StartTwin(p, "127.0.0.1:0")
			if err != nil {
				errs[i] = err
				return
			}
			defer srv.Close()
			o := Options{Target: srv.WSURL("/ws"), Scale: 0.25}
			if errs[i] = o.defaults(); errs[i] != nil {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			sp, err := o.sparse(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			prof[i] = profile(sp.Tail)
			t.Logf("DTIM %d: one every %s: p50 %.1f ms, mean of p10-p80 %.1f ms (n %d)", d, SparseGap, sp.P50, prof[i], sp.N)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := 0.6 * dtimMs(dtims[1]-dtims[0]) / 2
	if got := prof[1] - prof[0]; got < want {
		t.Errorf("the sparse echo at DTIM %d waits %.1f ms longer than at DTIM %d, want at least %.1f ms: the lone messages do not tell the DTIMs apart", dtims[1], got, dtims[0], want)
	}
}

// TestWindowJointFromUploads: esp8266's large upload follows its window
// only weakly (its CPU and link share the round), so the rounds' window
// from it alone wandered 10-35% off the board's 2144 B; every upload size
// at once, each counted by how closely it follows the window, brings a
// window started at 2900 B (or 1600 B) back within 15%. The board is the preset with
// a tail seed of its own; the twin its figures but the window.
func TestWindowJointFromUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("probes an emulated board and two twins for ~30 s")
	}
	ctx, f, p := uploadFit(t, "esp8266")
	for _, from := range []int{2900, 1600} {
		tp := twinParams{k: 1, rtt: p.Link.RTT, bps: p.Link.Bps, rx: from, tx: p.Board.TxBuf, air: p.Link.Airtime}
		rx, _, why := f.windowJoint(ctx, p, tp)
		t.Logf("window %d B (board %d B)%s", rx, p.Board.RxBuf, why)
		if e := math.Abs(float64(rx)/float64(p.Board.RxBuf) - 1); e > Tolerance {
			t.Errorf("window from every upload, from %d B: %d B, the board's %d B: off by %.0f%%", from, rx, p.Board.RxBuf, e*100)
		}
	}
}

// TestConnectRampsVote: the connect ramps against a real reset board seen
// through a path that hangs one refused newcomer (as a lost RST, or a
// board still busy with the one ahead, would leave it): the exact ramp
// (held+1) reads a backlog where the ramp past the slots read a reset,
// and a third ramp decides by majority.
func TestConnectRampsVote(t *testing.T) {
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "vote", Slots: 3, RxBuf: 1024, TxBuf: 1024, MaxMessage: 4096,
		FailMode: firmware.FailReset}, StatsListen: "off"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The path: every client's bytes to the board and back; a newcomer
	// the board refuses is reset, except the hangAt-th, which hangs.
	const hangAt = 4 // the ramp of 6 refuses 3; the exact ramp's newcomer is the 4th refused
	var refused atomic.Int32
	var mu sync.Mutex
	var hung []net.Conn
	defer func() {
		mu.Lock()
		for _, c := range hung {
			c.Close()
		}
		mu.Unlock()
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				b, err := net.DialTimeout("tcp", srv.Addr().String(), time.Second)
				if err == nil {
					go func() { io.Copy(b, c); b.Close() }()
					n, err := io.Copy(c, b)
					if n > 0 || !errors.Is(err, syscall.ECONNRESET) {
						c.Close()
						return
					}
					// Reset before a byte: a newcomer that reached the
					// accept queue as the last slot filled, reset as the
					// board closed its listener (a CI rehearsal's busy
					// cores let one in; passed on as a close, it read
					// accept-close). Refused, as a SYN met by a RST is.
				}
				if refused.Add(1) == hangAt {
					mu.Lock()
					hung = append(hung, c)
					mu.Unlock()
					return
				}
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			}()
		}
	}()
	o := Options{Target: "ws://" + ln.Addr().String() + "/ws", Scale: 0.25, MaxConns: 6, Log: new(strings.Builder)}
	if err := o.defaults(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m := &Measurements{}
	if err := o.connectRamp(ctx, m); err != nil {
		t.Fatal(err)
	}
	t.Log(o.Log.(*strings.Builder).String())
	if m.Held != 3 || m.Refusal != "reset" {
		t.Errorf("held %d, refusal %q; want 3 and reset (two ramps of three read it)", m.Held, m.Refusal)
	}
	if n := refused.Load(); n != 5 {
		t.Errorf("%d newcomers refused by the board, want 5 (three ramps)", n)
	}
}

// TestWindowCheckSteps: the window checked on the final twin steps back
// to the board's from a quarter off (where other figures moved after the
// joint fit, or its chord extrapolated), along the joint's lines: a real
// emulated picow-tinygo (its upload follows its 512 B window as ~w^0.8).
func TestWindowCheckSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("probes an emulated board and three twins for ~45 s")
	}
	ctx, f, p := uploadFit(t, "picow-tinygo")
	off := p.Board.RxBuf * 5 / 4
	tp := twinParams{k: 1, rtt: p.Link.RTT, bps: p.Link.Bps, rx: off, tx: p.Board.TxBuf, air: p.Link.Airtime}
	_, slopes, _ := f.windowJoint(ctx, p, tp)
	if slopes == nil {
		t.Fatalf("no line from the joint fit:\n%s", f.opts.Log)
	}
	rx, why := f.windowCheck(ctx, p, tp, slopes, airResult{}) // no echoes: not held
	t.Logf("window %d B from %d B (board %d B)%s", rx, off, p.Board.RxBuf, why)
	if e := math.Abs(float64(rx)/float64(p.Board.RxBuf) - 1); e > Tolerance {
		t.Errorf("window checked from %d B: %d B, the board's %d B: off by %.0f%%", off, rx, p.Board.RxBuf, e*100)
	}
}

// TestLinkCheckSteps: the final twin's link probe steps its bandwidth
// to meet the board's. A real emulated esp8266, whose two-connection
// upload is bound in part by each connection's window, and twins of its
// own figures but for the bandwidth: 0.8x and 1.25x the board's are
// brought within 10% of it, 0.9x (where the rounds left esp8266) within
// 8%, each nearer than it started; a twin at the board's own bandwidth
// stays within 10% of it. A check that never steps, steps the wrong way,
// or keeps a twin other than the nearest fails.
func TestLinkCheckSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("probes an emulated board and up to ten twins for ~35 s")
	}
	p, _ := catalog.Get("esp8266")
	hidden := p
	hidden.Link.Tails.Seed ^= 0x5eed5eed
	ctx, f := startHidden(t, hidden)
	u2, err := f.opts.upPair(ctx, 8192, f.opts.dur(thrDur))
	if err != nil {
		t.Fatal(err)
	}
	f.Meas.Up = append(f.Meas.Up, u2)
	lk := func(tf twinFigures) float64 { return tf.up2 }
	for _, c := range []struct {
		name   string
		x, tol float64 // the twin's bandwidth over the board's; the result's allowed error
	}{
		{"under", 0.8, 0.1},
		{"a tenth under (where the rounds left it)", 0.9, 0.08},
		{"over", 1.25, 0.1},
		{"at the board's", 1, 0.1},
	} {
		tp := twinParams{k: 1, rtt: p.Link.RTT, bps: int64(float64(p.Link.Bps) * c.x), rx: p.Board.RxBuf, tx: p.Board.TxBuf, air: p.Link.Airtime}
		bps, why := f.linkCheck(ctx, p, tp, Point{}, twinUp2, lk, u2.MBps, 0)
		e := float64(bps)/float64(p.Link.Bps) - 1
		t.Logf("%s: %.2f Mbit/s from %.2f (board %.2f, its upload on two connections %.3f MB/s)%s", c.name, float64(bps)/1e6, float64(tp.bps)/1e6, float64(p.Link.Bps)/1e6, u2.MBps, why)
		if math.Abs(e) > c.tol || (c.x != 1 && math.Abs(e) >= math.Abs(c.x-1)) {
			t.Errorf("%s: bandwidth checked from %.2f Mbit/s: %.2f, the board's %.2f: off by %.0f%% (allowed %.0f%%, and nearer than the start)",
				c.name, float64(tp.bps)/1e6, float64(bps)/1e6, float64(p.Link.Bps)/1e6, e*100, c.tol*100)
		}
		if !strings.HasPrefix(why, "; checked on the final twin (") {
			t.Errorf("%s: provenance %q", c.name, why)
		}
	}
}

// TestAirFits: the echoes fit a window where they lie on the access's
// line, resolved or too shallow to place it (loose: a slow link's
// random board, misfit 0.74, 1.13 ms ±5.15, held its window 8% over);
// not where they stand off it, the twins failed, or the line calls for
// an access beyond the twins' trusted range.
func TestAirFits(t *testing.T) {
	for _, c := range []struct {
		name string
		a    airResult
		want bool
	}{
		{"resolved, on the line", airResult{ok: true, chi: 1.2}, true},
		{"resolved, off the line", airResult{ok: true, chi: 6}, false},
		{"loose, on the line", airResult{loose: true, chi: 0.739}, true},
		{"loose, off the line", airResult{loose: true, chi: 4.5}, false},
		{"beyond the trusted range", airResult{chi: 0.5}, false},
		{"the twins failed", airResult{}, false},
	} {
		if got := c.a.fits(); got != c.want {
			t.Errorf("%s: fits %v, want %v", c.name, got, c.want)
		}
	}
}

// TestUpsOff: the twin's uploads stand off the board's where every size
// measured on both lies on the same side by more than twice their
// combined noise and 5%: the esp8266 run held at 2908 B (1.14 and 1.11,
// noise 4.2%/0.5% and 0.5%/0.2%) is off; picow-tinygo's few percent, a
// wide noise, sizes on both sides, or nothing measured are not.
func TestUpsOff(t *testing.T) {
	board := []Point{{Size: 1024, MBps: 0.161, RateErr: 0.042}, {Size: 8192, MBps: 0.208, RateErr: 0.005}}
	tw := func(r1, e1, r2, e2 float64) []Point {
		return []Point{{Size: 1024, MBps: 0.161 * r1, RateErr: e1}, {Size: 8192, MBps: 0.208 * r2, RateErr: e2}}
	}
	for _, c := range []struct {
		name string
		tw   []Point
		want bool
	}{
		{"esp8266 at 2908 B", tw(1.14, 0.005, 1.11, 0.002), true},
		{"under alike", tw(0.88, 0.005, 0.89, 0.002), true},
		{"picow's few percent", tw(1.03, 0.01, 1.04, 0.01), false},
		{"within twice the noise", tw(1.14, 0.08, 1.11, 0.002), false},
		{"one size within a third of the tolerance", tw(1.14, 0.005, 1.045, 0.002), false},
		{"sizes on both sides", tw(1.14, 0.005, 0.89, 0.002), false},
		{"noise not estimated: 5% alone", tw(1.07, 0, 1.06, 0), true},
		{"one size not measured", []Point{{}, {Size: 8192, MBps: 0.208 * 1.11, RateErr: 0.002}}, true},
		{"nothing measured", []Point{{}, {}}, false},
	} {
		if got := upsOff(board, c.tw); got != c.want {
			t.Errorf("%s: upsOff %v, want %v", c.name, got, c.want)
		}
	}
}

// TestEchoHoldKeepsPattern: a window the uploads step across a step of
// the echoes' frames is held at the pattern's end where the echoes fit
// the window they were fitted at and not the stepped one, and taken
// where they fit the stepped one. A real emulated picow-tinygo (512 B:
// the ladder's requests 1008, 1408, 1508, 2908 B in 2/3/3/6 pieces; 500 B
// crosses the 1008 B and 1508 B ones in a piece more, and their echoes
// come back a round late). A hold that never measures, never holds, or
// always holds, fails.
func TestEchoHoldKeepsPattern(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the twin's echo ladder four times (~50 s)")
	}
	p, _ := catalog.Get("picow-tinygo")
	ctx, f := ladderFit(t, p)
	frames := f.Meas.echoFrames(true)
	tp := twinParams{k: 1, rtt: p.Link.RTT, bps: p.Link.Bps, rx: p.Board.RxBuf, tx: p.Board.TxBuf, air: p.Link.Airtime}
	want := pieces(frames, p.Board.RxBuf)
	lo, _ := patternRange(frames, p.Board.RxBuf)
	// The twin at the board's own window is the board: its echoes sit on
	// the access's line (as the fit found them at 515 B).
	fits := airResult{a: float64(p.Link.Airtime), ok: true, chi: 1}
	// Within the pattern: taken as it is, nothing measured.
	if rx, why := f.echoHold(ctx, p, tp, fits, lo); rx != lo || why != "" {
		t.Errorf("window %d B, within the pattern of %d B (%s pieces): got %d B (%q)", lo, p.Board.RxBuf, want, rx, why)
	}
	// Across it, to 500 B: held at the pattern's end.
	if pieces(frames, 500) == want {
		t.Fatalf("the test's premise: 500 B crosses the frames %v B as %d B does (%s)", frames, p.Board.RxBuf, want)
	}
	rx, why := f.echoHold(ctx, p, tp, fits, 500)
	t.Logf("500 B from %d B: %d B%s", p.Board.RxBuf, rx, why)
	if got := pieces(frames, rx); got != want || rx != lo {
		t.Fatalf("window stepped to 500 B: %d B, its frames in %s pieces: want held at %d B, the end of the board's %s", rx, got, lo, want)
	}
	// From a window of another pattern the echoes were (wrongly) taken
	// to fit, to the board's: its echoes fit there too, so it is taken.
	from := tp
	from.rx = 485
	if pieces(frames, from.rx) == want {
		t.Fatalf("the test's premise: %d B crosses the frames as %d B does", from.rx, p.Board.RxBuf)
	}
	if rx, why := f.echoHold(ctx, p, from, fits, p.Board.RxBuf); rx != p.Board.RxBuf {
		t.Errorf("window stepped from %d B to the board's %d B, where its echoes fit: held at %d B%s", from.rx, p.Board.RxBuf, rx, why)
	}
}

// uploadFit starts preset name as a hidden board (a tail seed of its own)
// and measures its uploads as the probes do (at each throughput size under
// its cap): the start of a window fit, with the preset's figures.
func uploadFit(t *testing.T, name string) (context.Context, *Fit, catalog.Preset) {
	t.Helper()
	p, _ := catalog.Get(name)
	hidden := p
	hidden.Link.Tails.Seed ^= 0x5eed5eed
	ctx, f := startHidden(t, hidden)
	for _, n := range thrSizes {
		u, err := f.opts.up(ctx, min(n, p.Board.MaxMessage), f.opts.dur(thrDur))
		if err != nil {
			t.Fatal(err)
		}
		f.Meas.Up = append(f.Meas.Up, u)
	}
	return ctx, f, p
}

// startHidden starts hidden and returns a fit with nothing measured, its
// options aimed at the board at the tests' scale (0.25), and a context of
// three minutes.
func startHidden(t *testing.T, hidden catalog.Preset) (context.Context, *Fit) {
	t.Helper()
	srv, err := StartTwin(hidden, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	o := Options{Target: srv.WSURL("/ws"), Scale: 0.25, Log: new(strings.Builder)}
	if err := o.defaults(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx, &Fit{opts: o, Meas: &Measurements{}}
}

// TestLinkSeen: the bandwidth is seen where the twin's link probe falls
// by a quarter at half of it and follows it as bandwidth^0.55 or more
// from half to twice it. From this stop's runs: the random boards' and
// picow's two-connection downloads (x4.0-4.2 over the span) and
// wioterminal's two-connection upload (x3.2) saw it; esp32-idf's and
// esp32-async's two-connection uploads (x1.91 and x1.96, bound by their
// CPU and windows behind a 20 Mbit/s link) did not: their bandwidth came
// out 51-63% low. A probe that does not fall at half, or was not
// measured, sees nothing.
func TestLinkSeen(t *testing.T) {
	for _, c := range []struct {
		name       string
		lo, at, hi float64
		want       bool
	}{
		{"random board's download", 0.030, 0.060, 0.127, true},
		{"picow's download", 0.302, 0.600, 1.215, true},
		{"wioterminal's upload", 0.027, 0.052, 0.086, true},
		{"esp32-idf's upload", 0.441, 0.679, 0.843, false},
		{"esp32-async's upload", 0.596, 0.990, 1.168, false},
		{"not falling at half", 0.050, 0.060, 0.250, false},
		{"nothing at half", 0, 0.060, 0.127, false},
		{"nothing at twice", 0.030, 0.060, 0, false},
	} {
		got, follows := linkSeen(c.lo, c.at, c.hi)
		if got != c.want {
			t.Errorf("%s: seen %v (as bandwidth^%.2f), want %v", c.name, got, follows, c.want)
		}
	}
}
