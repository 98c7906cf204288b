package lab

import (
	"context"
	"strings"
	"testing"
)

// Issue 18 defect 7: a lab into a folder that cannot take a record stops
// before it runs anything (it used to run the whole suite and lose every
// run).
func TestLabRefusesUnwritableResults(t *testing.T) {
	var status strings.Builder
	out, err := Lab(context.Background(), Options{Models: []string{"esp32-idf"}, Results: "/proc/self",
		Out: t.TempDir(), Status: &status})
	if err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("lab into /proc/self: %v", err)
	}
	if out != nil && len(out.Runs) > 0 || status.Len() > 0 {
		t.Errorf("the lab ran before finding the folder unwritable: %q", status.String())
	}
}
