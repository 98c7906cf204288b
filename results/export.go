package results

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Record is a run's figures for scripts (`--summary json` or csv): every
// throughput names its direction and unit, every latency its population.
type Record struct {
	ID       string  `json:"id"`
	Board    string  `json:"board"`
	Step     string  `json:"step"`
	Scenario string  `json:"scenario"`
	Conns    int     `json:"conns"`
	Opened   int64   `json:"conns_opened"`
	Size     int     `json:"size_bytes"`
	Seconds  float64 `json:"seconds"`

	MsgsSent     int64   `json:"msgs_sent"`
	MsgsReceived int64   `json:"msgs_received"`
	MsgsPerSec   float64 `json:"msgs_per_sec"`
	// Payload rates in 10^6 bytes per second.
	UpMBPerSec     float64 `json:"payload_up_mb_per_sec"`
	DownMBPerSec   float64 `json:"payload_down_mb_per_sec"`
	OneWayMBPerSec float64 `json:"throughput_one_way_mb_per_sec"`
	// Latency from the intended send time (coordinated-omission corrected)
	// in microseconds, of LatencyN samples; absent without latency.
	LatencyN int64    `json:"latency_n"`
	P50us    *float64 `json:"latency_p50_us,omitempty"`
	P99us    *float64 `json:"latency_p99_us,omitempty"`
	P999us   *float64 `json:"latency_p999_us,omitempty"`

	Errors   int64            `json:"errors"`
	Refused  int64            `json:"refused"`
	Refusals map[string]int64 `json:"refusals,omitempty"`
	// Board RAM in use (its own, not the host's) and budget, bytes.
	RAM       int64 `json:"ram_bytes,omitempty"`
	RAMBudget int64 `json:"ram_budget_bytes,omitempty"`

	Checks []CheckResult `json:"thresholds,omitempty"`
}

// CheckResult is one clause of a threshold checked on a run.
type CheckResult struct {
	Clause string  `json:"clause"`
	Value  float64 `json:"value"`
	OK     bool    `json:"ok"`
}

// recordOf returns r's figures, with each clause of g that applies to r
// (g may be nil).
func recordOf(r *Run, g Goal) Record {
	s := r.Summary()
	rec := Record{
		ID: r.ID, Board: r.Board.Model, Step: stepName(r), Scenario: r.Scenario.Name,
		Conns: r.Scenario.Conns, Opened: r.Counts.ConnsOpened, Size: r.Scenario.Size, Seconds: r.Duration().Seconds(),
		MsgsSent: r.Counts.MsgsSent, MsgsReceived: r.Counts.MsgsReceived, MsgsPerSec: s.MsgsPerSec,
		UpMBPerSec: s.UpMBPerSec, DownMBPerSec: s.DownMBPerSec, OneWayMBPerSec: s.OneWayMBPerSec,
		LatencyN: latencyCount(r), Errors: s.Errors - s.Refused, Refused: s.Refused, RAM: s.RAM, RAMBudget: s.RAMBudget,
	}
	if k := r.RefusalKinds(); len(k) > 0 {
		rec.Refusals = k
	}
	if s.HasLatency {
		rec.P50us, rec.P99us, rec.P999us = &s.P50, &s.P99, &s.P999
	}
	rec.Checks = Crossings(r, g, false)
	return rec
}

// Crossings checks every clause of g that applies to r (a run without a
// clause's figure, such as a latency clause on a connect run, is skipped)
// and returns the results, or only the failed ones when failedOnly.
func Crossings(r *Run, g Goal, failedOnly bool) []CheckResult {
	var out []CheckResult
	for _, c := range g {
		v, ok := c.value(r)
		if !ok {
			continue
		}
		held := c.holds(v)
		if failedOnly && held {
			continue
		}
		out = append(out, CheckResult{Clause: c.Text, Value: v, OK: held})
	}
	return out
}

// WriteJSON writes the runs' records as a JSON array.
func WriteJSON(w io.Writer, runs []*Run, g Goal) error {
	recs := make([]Record, 0, len(runs))
	for _, r := range runs {
		recs = append(recs, recordOf(r, g))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(recs)
}

// CSVHeader is the first line WriteCSV writes.
var CSVHeader = []string{"id", "board", "step", "scenario", "conns", "conns_opened", "size_bytes", "seconds",
	"msgs_sent", "msgs_received", "msgs_per_sec", "payload_up_mb_per_sec", "payload_down_mb_per_sec",
	"throughput_one_way_mb_per_sec", "latency_n", "latency_p50_us", "latency_p99_us", "latency_p999_us",
	"errors", "refused", "ram_bytes", "ram_budget_bytes", "thresholds_failed"}

// WriteCSV writes the runs' records as CSV with CSVHeader; a figure a run
// lacks is an empty field.
func WriteCSV(w io.Writer, runs []*Run, g Goal) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }
	opt := func(p *float64) string {
		if p == nil {
			return ""
		}
		return f(*p)
	}
	for _, r := range runs {
		rec := recordOf(r, g)
		failed := ""
		for _, c := range rec.Checks {
			if !c.OK {
				if failed != "" {
					failed += ";"
				}
				failed += c.Clause
			}
		}
		ram, budget := "", ""
		if rec.RAM > 0 {
			ram = fmt.Sprint(rec.RAM)
		}
		if rec.RAMBudget > 0 {
			budget = fmt.Sprint(rec.RAMBudget)
		}
		if err := cw.Write([]string{rec.ID, rec.Board, rec.Step, rec.Scenario, fmt.Sprint(rec.Conns), fmt.Sprint(rec.Opened),
			fmt.Sprint(rec.Size), f(rec.Seconds), fmt.Sprint(rec.MsgsSent), fmt.Sprint(rec.MsgsReceived), f(rec.MsgsPerSec),
			f(rec.UpMBPerSec), f(rec.DownMBPerSec), f(rec.OneWayMBPerSec), fmt.Sprint(rec.LatencyN),
			opt(rec.P50us), opt(rec.P99us), opt(rec.P999us), fmt.Sprint(rec.Errors), fmt.Sprint(rec.Refused), ram, budget, failed}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// MeasuredNothing returns why r measured nothing ("" when it measured
// something): a message scenario with no message received (sink: none
// sent), a connect run that opened no connection, HTTP without a response.
func MeasuredNothing(r *Run) string {
	c := r.Counts
	switch r.Scenario.Name {
	case "connect", "churn":
		if c.ConnsOpened == 0 {
			return fmt.Sprintf("no WebSocket connection opened (%d attempted): is the target a WebSocket endpoint?", c.ConnsAttempted)
		}
	case "sink":
		if c.MsgsSent == 0 {
			return "no message sent"
		}
	case "http", "http-get", "http-put", "http GET", "http PUT":
		if c.HTTPResponses == 0 && c.MsgsReceived == 0 {
			return "no HTTP response received"
		}
	default:
		if c.MsgsReceived == 0 {
			return fmt.Sprintf("0 messages received (%d sent)", c.MsgsSent)
		}
	}
	return ""
}
