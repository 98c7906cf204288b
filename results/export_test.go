package results

import "io"

// WriteNewForTest exposes writeNew with a writer that can fail midway.
func WriteNewForTest(path string, write func(w interface{ Write([]byte) (int, error) }) error) error {
	return writeNew(path, func(w io.Writer) error { return write(w) })
}
