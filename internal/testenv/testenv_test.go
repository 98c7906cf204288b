package testenv

import (
	"testing"
)

// fakeTB records what SkipOrFail does instead of doing it.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()                  {}
func (f *fakeTB) Skip(args ...any)         { f.skipped = true }
func (f *fakeTB) Fatalf(string, ...any)    { f.failed = true }
func (f *fakeTB) Skipf(string, ...any)     { f.skipped = true }
func (f *fakeTB) Fatal(args ...any)        { f.failed = true }
func (f *fakeTB) Logf(string, ...any)      {}
func (f *fakeTB) Errorf(string, ...any)    { f.failed = true }
func (f *fakeTB) Error(args ...any)        { f.failed = true }
func (f *fakeTB) Log(args ...any)          {}
func (f *fakeTB) Name() string             { return "fake" }
func (f *fakeTB) Setenv(key, value string) {}
func (f *fakeTB) Cleanup(func())           {}
func (f *fakeTB) TempDir() string          { return "" }
func (f *fakeTB) Failed() bool             { return f.failed }
func (f *fakeTB) Skipped() bool            { return f.skipped }
func (f *fakeTB) SkipNow()                 { f.skipped = true }
func (f *fakeTB) FailNow()                 { f.failed = true }
func (f *fakeTB) Fail()                    { f.failed = true }

func TestSkipOrFail(t *testing.T) {
	for _, tc := range []struct {
		ci       string
		wantFail bool
	}{{"", false}, {"0", false}, {"1", true}, {"true", true}} {
		t.Setenv("CI", tc.ci)
		f := &fakeTB{}
		SkipOrFail(f, "no %s", "chromium")
		if f.failed != tc.wantFail || f.skipped == tc.wantFail {
			t.Errorf("CI=%q: failed %v skipped %v, want failed %v", tc.ci, f.failed, f.skipped, tc.wantFail)
		}
	}
}
