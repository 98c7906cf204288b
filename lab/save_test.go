package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
)

// A run the store cannot take is a failure of its step in every command
// (lab, sweep and compare all store through save), and is kept in the
// fallback folder when that works.
func TestSaveFailureIsAFailure(t *testing.T) {
	tmp := t.TempDir()
	notDir := filepath.Join(tmp, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func() *results.Run {
		return results.New(time.Now(), results.Scenario{Name: "echo", Conns: 1, Size: 8}, results.Board{Model: "esp32-idf"}, "ws://127.0.0.1:1/ws")
	}

	// Stored: no failure.
	var files []string
	var failed []error
	var status strings.Builder
	if !save(&results.Store{Dir: tmp}, run(), "esp32-idf echo", &files, &failed, &status) || len(files) != 1 || len(failed) != 0 {
		t.Fatalf("a good store: files %v, failed %v", files, failed)
	}

	// The store cannot take it; the fallback folder can.
	t.Setenv("TMPDIR", filepath.Join(tmp, "fallback"))
	files, failed, status = nil, nil, strings.Builder{}
	if !save(&results.Store{Dir: notDir}, run(), "esp32-idf echo", &files, &failed, &status) {
		t.Fatal("a run kept in the fallback folder counts as written")
	}
	if len(failed) != 1 || !strings.Contains(failed[0].Error(), "esp32-idf echo: storing") || !strings.Contains(status.String(), "storing failed") {
		t.Errorf("failed %v, status %q: want the storing failure named", failed, status.String())
	}
	if len(files) != 1 || !strings.HasPrefix(files[0], filepath.Join(tmp, "fallback")) {
		t.Errorf("files %v: want the fallback file", files)
	}

	// Neither can.
	t.Setenv("TMPDIR", notDir)
	files, failed = nil, nil
	if save(&results.Store{Dir: notDir}, run(), "x", &files, &failed, &status) || len(files) != 0 || len(failed) != 1 {
		t.Errorf("written nowhere: files %v, failed %v", files, failed)
	}
}
