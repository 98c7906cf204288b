package results

import "io"

// WriteNewForTest exposes writeNew with a writer that can fail midway.
func WriteNewForTest(path string, write func(w interface{ Write([]byte) (int, error) }) error) error {
	return writeNew(path, func(w io.Writer) error { return write(w) })
}

// SetBeforeLinkForTest runs f between writing a record's temporary file
// and linking it to its name (nil: nothing).
func SetBeforeLinkForTest(f func(tmp string)) {
	beforeLink = f
	syncs = 0
}

// SyncsForTest counts file syncs since the last SetBeforeLinkForTest.
func SyncsForTest() int { return syncs }

// Hooks for the black-box tests: what they check that no other package calls.
var (
	Unmarshal       = unmarshal
	HeapSlope       = heapSlope
	WriteComparison = (*Comparison).write
	CheckGoal       = Goal.check
	Holds           = Clause.holds
	Margin          = Clause.margin
	CloneRun        = (*Run).clone
	RunQuantile     = (*Run).quantile
)
