package tinygocheck_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/wslab/wslab/internal/tinygocheck"
)

// Each rule has positive cases (// want) and negative ones (no want) in
// testdata/src/a; reach covers the transitive crypto/rand rule; clean is
// board-style code with no finding at all.
func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), tinygocheck.Analyzer, "a", "reach", "clean")
}
