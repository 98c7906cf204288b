package lab

import (
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

// Observer follows a lab as it runs (the live view, package live): each
// step's start, with its spec to hook (Spec.OnInterval), and its end with
// the run (nil when it failed) and the step's one-line result.
type Observer interface {
	Begin(board, step string, index, total int, spec *loadgen.Spec)
	End(r *results.Run, line string, err error)
}
