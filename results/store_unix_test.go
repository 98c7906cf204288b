//go:build unix

package results_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wslab/wslab/internal/testenv"
	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

// A FIFO named like a record must be reported, not opened: opening it for
// reading would block the whole folder read.
func TestReadDirDoesNotBlockOnFIFO(t *testing.T) {
	dir := t.TempDir()
	s, _ := results.Open(dir)
	if _, err := s.Save(resultstest.Run(resultstest.Spec{Seed: 1, Samples: 100})); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		testenv.SkipOrFail(t, "mkfifo: %v", err)
	}
	runs, errs, err := results.ReadDir(dir)
	if err != nil || len(runs) != 1 || len(errs) != 1 || !strings.Contains(errs[0].Error(), fifo) {
		t.Fatalf("ReadDir = %d runs, %v, %v; want 1 run and the FIFO reported", len(runs), errs, err)
	}
}
