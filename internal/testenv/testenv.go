// Package testenv holds helpers for tests that need something from the
// machine (a raised file limit, a browser, the go command).
package testenv

import (
	"fmt"
	"os"
	"testing"
)

// InCI reports whether the tests run in CI: the CI environment variable is
// set to anything but "" or "0" (.ci/run sets CI=1).
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// SkipOrFail skips the test for a missing prerequisite on a developer's
// machine, and fails it in CI, which sets up every prerequisite: there a
// skip would hide a check that no longer runs.
func SkipOrFail(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		tb.Fatalf("prerequisite missing in CI (CI=%s), so this check would not run: %s", os.Getenv("CI"), msg)
		return
	}
	tb.Skip(msg)
}
