package main

import (
	"fmt"
	"os"

	"github.com/wslab/wslab/results"
)

// readLogFiles reads the Run records printed by `wslab load --out -` from
// logs (kubectl logs output; "-" is stdin) for wslab merge --from-logs. A
// log that holds no record is an error: a shard that printed nothing
// produced no measurement, and merge must not pass over it in silence.
func readLogFiles(files []string) (runs []*results.Run, errs []error) {
	for _, f := range files {
		in, name := os.Stdin, "stdin"
		if f != "-" {
			var err error
			if in, err = os.Open(f); err != nil {
				errs = append(errs, err)
				continue
			}
			name = f
		}
		rs, err := results.ReadLogs(name, in)
		if f != "-" {
			in.Close()
		}
		if err == nil && len(rs) == 0 {
			err = &results.FileError{File: name, Err: fmt.Errorf("no run record between %q and %q lines (run wslab load with --out -)", results.LogBegin, results.LogEnd)}
		}
		if err != nil {
			errs = append(errs, err)
		}
		runs = append(runs, rs...)
	}
	return runs, errs
}
