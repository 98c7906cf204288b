package lab

import (
	"context"

	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

// Observer follows a lab, a sweep or a compare as it runs (the live view,
// package live): each run's start, with its spec to hook
// (Spec.OnInterval), and its end with the run (nil when it failed) and
// its one-line result. board names the board the run is on (a model, a
// configuration's label, a target), step what runs on it; index counts
// the runs from 1 of total.
type Observer interface {
	Begin(board, step string, index, total int, spec *loadgen.Spec)
	End(r *results.Run, line string, err error)
}

// observed is one run shown to an Observer (none when obs is nil).
type observed struct {
	obs          Observer
	board, step  string
	index, total int
}

// run shows the run of spec to the observer around loadgen.Run: Begin with
// the spec as it will run (target and connections set), End with its
// record and line.
func (o observed) run(ctx context.Context, spec loadgen.Spec) (*results.Run, error) {
	o.begin(&spec)
	r, err := loadgen.Run(ctx, spec)
	o.end(r, err)
	return r, err
}

func (o observed) begin(spec *loadgen.Spec) {
	if o.obs != nil {
		o.obs.Begin(o.board, o.step, o.index, o.total, spec)
	}
}

func (o observed) end(r *results.Run, err error) {
	if o.obs == nil {
		return
	}
	line := ""
	if err == nil && r != nil {
		line = oneLine(r)
	}
	o.obs.End(r, line, err)
}

// failed shows a run that could not start (its board did not).
func (o observed) failed(spec loadgen.Spec, err error) {
	o.begin(&spec)
	o.end(nil, err)
}
