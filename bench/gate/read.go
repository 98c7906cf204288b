package gate

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// A Set is the measurements of one benchmark file, grouped by benchmark and
// unit. Read and ReadFile build it with golang.org/x/perf/benchfmt.
type Set struct {
	// Name names the source in messages, usually the file path.
	Name string

	order   []Key
	samples map[Key]map[string][]float64 // key -> tidied unit -> values
	units   map[Key][]string             // key -> units in first-seen order
}

// A Key identifies one benchmark: its package (the file's "pkg:" line, empty
// if there is none) and its full name as `go test` prints it without the
// "Benchmark" prefix, sub-benchmarks and GOMAXPROCS suffix included
// ("Encode/size=1024-2").
type Key struct {
	Pkg  string
	Name string
}

func (k Key) String() string { return "Benchmark" + k.Name }

// keys returns the benchmarks in the order of their first result.
func (s *Set) keys() []Key { return s.order }

// unitsOf returns the tidied units measured for k ("sec/op", "B/op",
// "allocs/op", "instr/op", "B/s", ...) in the order first seen.
func (s *Set) unitsOf(k Key) []string { return s.units[k] }

// Values returns the samples of unit for k, one per result line, in file
// order. ns/op values are in sec/op, MB/s in B/s (benchfmt tidies them).
func (s *Set) Values(k Key, unit string) []float64 { return s.samples[k][unit] }

// size returns the number of benchmarks in s.
func (s *Set) size() int { return len(s.order) }

func (s *Set) add(k Key, unit string, v float64) {
	if s.samples == nil {
		s.samples = map[Key]map[string][]float64{}
		s.units = map[Key][]string{}
	}
	m, ok := s.samples[k]
	if !ok {
		m = map[string][]float64{}
		s.samples[k] = m
		s.order = append(s.order, k)
	}
	if _, ok := m[unit]; !ok {
		s.units[k] = append(s.units[k], unit)
	}
	m[unit] = append(m[unit], v)
}

// ErrNoResults means a file holds no benchmark result lines at all: it is not
// `go test -bench` output.
var ErrNoResults = errors.New("no benchmark results (expected `go test -bench` output)")

// maxSyntaxErrors is how many malformed lines Read quotes before giving up.
const maxSyntaxErrors = 5

// Read parses Go benchmark format from r; name is used in errors. A line
// that starts like a benchmark result but does not parse is an error (a gate
// must not drop data silently), and so is a file with no results at all
// (ErrNoResults). Every error names the source.
func Read(r io.Reader, name string) (*Set, error) {
	s := &Set{Name: name}
	br := benchfmt.NewReader(r, name)
	var syntax []string
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.Result:
			k := Key{Pkg: rec.GetConfig("pkg"), Name: strings.TrimPrefix(rec.Name.String(), "Benchmark")}
			bad := ""
			if rec.Iters < 1 {
				bad = fmt.Sprintf("%d iterations", rec.Iters)
			}
			for _, v := range rec.Values {
				if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) || v.Value < 0 {
					// NaN compares false with everything: a gate fed
					// one would pass whatever it measured.
					bad = fmt.Sprintf("%v %s", v.Value, v.Unit)
				}
			}
			if bad != "" {
				_, line := rec.Pos()
				syntax = append(syntax, fmt.Sprintf("%s:%d: %s: %s is not a measurement", name, line, k, bad))
				continue
			}
			for _, v := range rec.Values {
				s.add(k, v.Unit, v.Value)
			}
		case *benchfmt.SyntaxError:
			syntax = append(syntax, rec.Error())
		}
	}
	if err := br.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(syntax) > 0 {
		more := ""
		if len(syntax) > maxSyntaxErrors {
			more = fmt.Sprintf("\n\t(and %d more)", len(syntax)-maxSyntaxErrors)
			syntax = syntax[:maxSyntaxErrors]
		}
		return nil, fmt.Errorf("%s: malformed benchmark lines:\n\t%s%s", name, strings.Join(syntax, "\n\t"), more)
	}
	if len(s.order) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoResults)
	}
	return s, nil
}

// ReadFile reads the benchmark file at path; see Read.
func ReadFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError already names the file
	}
	defer f.Close()
	return Read(f, path)
}
