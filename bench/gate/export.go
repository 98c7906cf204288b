package gate

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
)

// gabEntry is one benchmark in github-action-benchmark's custom JSON format
// ("customSmallerIsBetter": a list of name, unit, value, with range and
// extra as free text).
type gabEntry struct {
	Name  string  `json:"name"`
	Unit  string  `json:"unit"`
	Value float64 `json:"value"`
	Range string  `json:"range,omitempty"`
	Extra string  `json:"extra,omitempty"`
}

// WriteGitHubActionBenchmark writes the HEAD medians of every gated unit
// (sec/op as ns/op, B/op, allocs/op, instr/op: all smaller-is-better) in
// github-action-benchmark's customSmallerIsBetter JSON format.
func (r *Report) WriteGitHubActionBenchmark(w io.Writer) error {
	out := []gabEntry{}
	for _, row := range r.Rows {
		if !row.HasHead || row.Unit == "" || row.Kind == Other {
			continue
		}
		v, lo, hi, unit := exportValue(row)
		e := gabEntry{Name: exportName(r, row), Unit: unit, Value: v,
			Extra: "n=" + itoa(row.Head.N) + "; verdict " + verdictCell(row)}
		if !math.IsInf(lo, 0) && !math.IsInf(hi, 0) && row.Head.N > 1 {
			e.Range = "± " + trimFloat((hi-lo)/2)
		}
		out = append(out, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// bmfMetric is one measure in Bencher's Metric Format.
type bmfMetric struct {
	Value      float64  `json:"value"`
	LowerValue *float64 `json:"lower_value,omitempty"`
	UpperValue *float64 `json:"upper_value,omitempty"`
}

// WriteBencher writes the HEAD medians in Bencher Metric Format (BMF):
// {"benchmark": {"latency": {...}, "allocations": {...}, "bytes": {...},
// "instructions": {...}}}, latency in nanoseconds with the median's
// confidence interval as lower and upper values.
func (r *Report) WriteBencher(w io.Writer) error {
	out := map[string]map[string]bmfMetric{}
	for _, row := range r.Rows {
		if !row.HasHead || row.Unit == "" || row.Kind == Other {
			continue
		}
		v, lo, hi, _ := exportValue(row)
		m := bmfMetric{Value: v}
		if row.Head.N > 1 && !math.IsInf(lo, 0) && !math.IsInf(hi, 0) {
			m.LowerValue, m.UpperValue = &lo, &hi
		}
		name := exportName(r, row)
		if out[name] == nil {
			out[name] = map[string]bmfMetric{}
		}
		out[name][bencherMeasure(row.Kind)] = m
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func bencherMeasure(k Kind) string {
	switch k {
	case Time:
		return "latency"
	case Allocs:
		return "allocations"
	case Bytes:
		return "bytes"
	case Instr:
		return "instructions"
	}
	return k.String()
}

// exportValue returns the head median and interval, in ns for sec/op.
func exportValue(row Row) (v, lo, hi float64, unit string) {
	v, lo, hi, unit = row.Head.Median, row.Head.Lo, row.Head.Hi, row.Unit
	if row.Kind == Time {
		v, lo, hi, unit = v*1e9, lo*1e9, hi*1e9, "ns/op"
	}
	return v, lo, hi, unit
}

func exportName(r *Report, row Row) string {
	name := row.Key.String()
	if row.Key.Pkg != "" && r.multiPkg() {
		name = row.Key.Pkg + "." + name
	}
	return name
}

func itoa(n int) string { return formatCount(float64(n)) }

func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(formatFloat(v), "0"), ".")
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
