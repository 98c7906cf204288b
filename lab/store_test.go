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

// The report folder is checked before the suite runs too.
func TestLabRefusesUnwritableReport(t *testing.T) {
	var status strings.Builder
	_, err := Lab(context.Background(), Options{Models: []string{"esp32-idf"}, Results: t.TempDir(),
		Out: "/proc/self", Status: &status})
	if err == nil || !strings.Contains(err.Error(), "report folder /proc/self is not writable") || status.Len() > 0 {
		t.Fatalf("lab with its report in /proc/self: %v (status %q)", err, status.String())
	}
}
