package lab

import (
	"fmt"
	"io"

	"github.com/wslab/wslab/results"
)

// save stores r in store, or keeps it in the fallback folder when the store
// cannot take it (see results.Store.SaveOrKeep). A run not stored where
// asked is a failure of its step, whatever the command (lab, sweep,
// compare): the error goes into *failed, so the command exits non-zero, and
// onto status. It returns false when r was written nowhere; otherwise its
// file is added to *files.
func save(store *results.Store, r *results.Run, label string, files *[]string, failed *[]error, status io.Writer) bool {
	file, err := store.SaveOrKeep(r)
	if err != nil {
		*failed = append(*failed, fmt.Errorf("%s: storing: %w", label, err))
		statusf(status, "    storing failed: %v", err)
	}
	if file == "" {
		return false
	}
	*files = append(*files, file)
	return true
}
