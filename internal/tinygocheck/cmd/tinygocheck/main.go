// Command tinygocheck runs the TinyGo-subset analyzer on packages and
// prints its findings (exit status 3 when there are any), e.g.
//
//	go run ./internal/tinygocheck/cmd/tinygocheck -test=false ./core ./firmware ./firmware/poll
//	go run ./internal/tinygocheck/cmd/tinygocheck -test=false -tags tinygo ./core
//
// (-test=false: test files run on the host, not on the board). `go test
// ./internal/tinygocheck` runs the same check on the board-side packages,
// for the host build and for TinyGo's file selection on GOARCH=arm, and
// fails on any finding.
package main

import (
	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/wslab/wslab/internal/tinygocheck"
)

func main() { singlechecker.Main(tinygocheck.Analyzer) }
