package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/results"
)

func TestLoadThresholdAndSummary(t *testing.T) {
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "cli-board", Slots: 8, RxBuf: 2048, TxBuf: 2048}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	args := []string{"load", "--target", srv.WSURL("/ws"), "--scenario", "echo", "--conns", "2", "--size", "64", "--count", "200", "--quiet"}

	var stdout, stderr bytes.Buffer
	code := run(append(args, "--threshold", "p99<=1min,errors==0", "--summary", "json"), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("met threshold: exit %d\n%s", code, stderr.String())
	}
	var recs []results.Record
	if err := json.Unmarshal(stdout.Bytes(), &recs); err != nil {
		t.Fatalf("--summary json does not parse: %v\n%s", err, stdout.String())
	}
	if len(recs) != 1 || recs[0].MsgsReceived != 400 || recs[0].P99us == nil || recs[0].LatencyN != 400 ||
		recs[0].UpMBPerSec <= 0 || recs[0].DownMBPerSec <= 0 || len(recs[0].Checks) != 2 || !recs[0].Checks[0].OK {
		t.Errorf("record %+v", recs)
	}
	if !strings.Contains(stderr.String(), "scenario") {
		t.Errorf("the human summary did not go to stderr:\n%s", stderr.String())
	}

	stdout.Reset()
	stderr.Reset()
	code = run(append(args, "--threshold", "msgs>1000000000", "--summary", "csv"), &stdout, &stderr)
	if code != exitThreshold || !strings.Contains(stderr.String(), "threshold msgs>1000000000 crossed") {
		t.Errorf("crossed threshold: exit %d\n%s", code, stderr.String())
	}
	rows, err := csv.NewReader(&stdout).ReadAll()
	if err != nil || len(rows) != 2 || len(rows[0]) != len(results.CSVHeader) || rows[1][len(rows[1])-1] != "msgs>1000000000" {
		t.Errorf("csv %v (%v)", rows, err)
	}

	for _, bad := range [][]string{{"--threshold", "p99<20m"}, {"--summary", "xml"}, {"--threshold", "p99<NaNms"}} {
		stderr.Reset()
		if code := run(append(args, bad...), &stdout, &stderr); code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", bad, code, exitUsage, stderr.String())
		}
	}
}

// Runs that measured nothing exit non-zero.
func TestLoadMeasuredNothing(t *testing.T) {
	srv, err := host.Start(host.Options{Board: firmware.Config{Model: "small", Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxMessage: 4096}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := run([]string{"load", "--target", srv.WSURL("/ws"), "--scenario", "echo", "--conns", "1", "--size", "100000",
		"--count", "3", "--drain-timeout", "500ms", "--quiet"}, &stdout, &stderr)
	if code != exitFailed || !strings.Contains(stderr.String(), "0 messages received") {
		t.Errorf("oversize echo: exit %d\n%s", code, stderr.String())
	}

	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }))
	defer plain.Close()
	stderr.Reset()
	code = run([]string{"load", "--target", "ws" + strings.TrimPrefix(plain.URL, "http") + "/ws", "--scenario", "connect",
		"--conns", "2", "--stats", "-", "--quiet"}, &stdout, &stderr)
	if code != exitFailed || !strings.Contains(stderr.String(), "no WebSocket connection opened") {
		t.Errorf("connect to a plain HTTP server: exit %d\n%s", code, stderr.String())
	}
}
