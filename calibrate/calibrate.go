//go:build linux

package calibrate

import (
	"context"
	"encoding/json"
	"fmt"

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
	o.Target = srv.WSURL("/ws")
	t, err := Probe(ctx, o)
	if err != nil {
		return 0, fmt.Errorf("calibrate: the twin's probes: %w", err)
	}
	r.Twin = t
	r.Rows = Compare(r.Meas, t, tol)
	r.Model.Probes = r.raw()
	return Misses(r.Rows), nil
}
