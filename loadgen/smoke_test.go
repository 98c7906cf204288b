//go:build linux

package loadgen

import (
	"testing"
	"time"

	"github.com/wslab/wslab/firmware"
)

func TestSmokeAll(t *testing.T) {
	srv := board(t, firmware.Config{Slots: 40})
	for _, sp := range []Spec{
		{Scenario: Echo, Conns: 16, Size: 64, Duration: time.Second},
		{Scenario: Rate, Conns: 16, Size: 64, Duration: time.Second, Rate: 5000},
		{Scenario: Stream, Conns: 4, Size: 1000, Count: 1000},
		{Scenario: Sink, Conns: 4, Size: 1000, Duration: time.Second},
		{Scenario: Broadcast, Conns: 8, Size: 64, Duration: time.Second},
		{Scenario: Connect, Conns: 50},
		{Scenario: Churn, Conns: 8, Count: 500},
		{Scenario: Soak, Conns: 8, Duration: time.Second},
		{Scenario: HTTP, Conns: 4, Size: 1000, Duration: time.Second},
		{Scenario: HTTP, Method: "PUT", Conns: 4, Size: 1000, Duration: time.Second},
	} {
		sp.Target = srv.WSURL("/ws")
		t0 := time.Now()
		r := run(t, sp)
		logRun(t, r)
		t.Log(time.Since(t0))
	}
}
