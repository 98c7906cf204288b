//go:build linux

package calibrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
)

// Result is one calibration: the board's probes, the fit, the model file,
// and (after Verify) the twin's probes and the side-by-side rows.
type Result struct {
	Meas  *Measurements
	Fit   *Fit
	Model *catalog.ModelFile
	Twin  *Measurements
	Rows  []Row
}

// raw is what a model file keeps of the probes.
type raw struct {
	Board  *Measurements `json:"board"`
	Fit    *Fit          `json:"fit"`
	Twin   *Measurements `json:"twin,omitempty"`
	Report []Row         `json:"report,omitempty"`
}

// Calibrate probes the board at o.Target and fits a model called name.
func Calibrate(ctx context.Context, o Options, name string) (*Result, error) {
	if name == "" {
		return nil, fmt.Errorf("calibrate: the model needs a name")
	}
	m, err := Probe(ctx, o)
	if err != nil {
		return &Result{Meas: m}, err
	}
	f, err := FitModel(ctx, m, o, name)
	if err != nil {
		return &Result{Meas: m, Fit: f}, err
	}
	r := &Result{Meas: m, Fit: f}
	r.Model = f.ModelFile(r.raw())
	return r, nil
}

func (r *Result) raw() []byte {
	b, _ := json.Marshal(raw{Board: r.Meas, Fit: r.Fit, Twin: r.Twin, Report: r.Rows})
	return b
}

// Verify starts the twin from the model file's preset (as `wslab board
// --model-file` does), runs the same probes against it and lines them up
// with the board's. It returns the number of judged points the twin
// missed.
func (r *Result) Verify(ctx context.Context, o Options, tol float64) (int, error) {
	p, err := r.Model.Preset()
	if err != nil {
		return 0, err
	}
	srv, err := StartTwin(p, "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("calibrate: the twin: %w", err)
	}
	defer srv.Close()
	board := o
	board.Target = r.Meas.Target
	// The twin's probes read no stats: a --stats-url given is the
	// board's, and read during the twin's probes it would load the board
	// and file its figures as the twin's.
	o.Target, o.StatsURL = srv.WSURL("/ws"), "-"
	t, err := Probe(ctx, o)
	if err != nil {
		return 0, fmt.Errorf("calibrate: the twin's probes: %w", err)
	}
	r.Twin = t
	r.Rows = Compare(r.Meas, t, tol)
	twin := o
	if err := errors.Join(board.defaults(), twin.defaults()); err != nil {
		return 0, err
	}
	r.again(ctx, board, twin)
	r.Model.Probes = r.raw()
	return Misses(r.Rows), nil
}

// againFactor is how much longer than its first probe a point the twin
// missed is measured again on both sides (its sampling error falls to
// 0.58 of the first's), and againMax the most it takes per side at
// Scale 1.
const (
	againFactor = 3
	againMax    = 60 * time.Second
)

// again measures each point the twin missed (Row.Missed) once more on
// the board (board) and the twin (twin), one after the other,
// againFactor times as long as the first probe, and judges the row on
// those: a difference that was the draw of two short probes goes, a
// twin off the board stays off (the first figures kept in Row.First).
func (r *Result) again(ctx context.Context, board, twin Options) {
	for i := range r.Rows {
		row := &r.Rows[i]
		if !row.Missed() || row.key.kind == "" || ctx.Err() != nil {
			continue
		}
		d := min(time.Duration(againFactor*max(row.key.dur, 0.5)*float64(time.Second)), board.dur(againMax))
		a, na, err := board.again(ctx, row.key, d)
		if err == nil {
			var b, nb float64
			if b, nb, err = twin.again(ctx, row.key, d); err == nil && (a <= 0 || b <= 0) {
				err = errors.New("measured nothing")
			}
			if err == nil {
				row.First = [2]float64{row.Measured, row.Twin}
				row.Measured, row.Twin, row.Noise, row.Again = a, b, both(na, nb), d.Seconds()
				noise := "noise not estimated"
				if row.Noise > 0 {
					noise = fmt.Sprintf("±%.1f%%", row.Noise*100)
				}
				board.logf("%s %s: the twin %.2f of the board, beyond %.0f%% and its noise: measured again over %s on both: %.2f (%s)", row.Probe, row.Point, row.First[1]/row.First[0], row.Tol*100, d, row.Ratio(), noise)
				continue
			}
		}
		board.logf("%s %s: not measured again: %v", row.Probe, row.Point, err)
	}
}

// again measures the point k names for d: its figure (a p50, ms; a rate,
// msgs/s; a throughput, MB/s) and that figure's relative standard error
// (0 where not estimated).
func (o *Options) again(ctx context.Context, k probeKey, d time.Duration) (float64, float64, error) {
	switch k.kind {
	case "echo", "rate":
		p, err := o.echoW(ctx, k.clients, k.size, k.window, d, nil)
		if k.kind == "echo" {
			return p.P50, p.P50Err, err
		}
		return p.Msgs, p.rateErr(), err
	case "down":
		// No longer again than asked (downN's own extension is for a
		// first probe).
		p, _, err := o.downOnce(ctx, k.clients, k.size, d)
		if err != nil {
			return 0, 0, err
		}
		o.logf("download %5d B%s: %.3f MB/s (±%.1f%%)", k.size, onConns(k.clients), p.MBps, p.RateErr*100)
		return p.MBps, p.RateErr, nil
	case "up":
		up := o.up
		if k.clients > 1 {
			up = o.upPair
		}
		p, err := up(ctx, k.size, d)
		return p.MBps, p.RateErr, err
	}
	return 0, 0, fmt.Errorf("no probe %q", k.kind)
}
