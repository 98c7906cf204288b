package catalog

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/wslab/wslab/results"
)

// WriteList prints presets as `wslab board --list` shows them: a table of
// every model's figures (slots, rx/tx buffers, message cap, echo queue,
// static footprint against the heap budget, link bandwidth and round
// trip, CPU cost of a small echo, what happens when it is full), then
// each figure's source, model by model.
func WriteList(w io.Writer, presets []Preset) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tSLOTS\tRX/TX B\tMSG CAP\tQUEUE\tFOOTPRINT/BUDGET\tLINK\tRTT\tCPU/ECHO\tWHEN FULL")
	for _, p := range presets {
		b := p.Board
		fp := b.Footprint()
		queue := "-"
		if b.QueueLen > 0 {
			queue = fmt.Sprintf("%d drop", b.QueueLen)
		}
		linkS := "off"
		if p.Link.Bps > 0 {
			linkS = fmt.Sprintf("%g Mbit/s", float64(p.Link.Bps)/1e6)
		}
		cpuS := "-"
		if p.CPU.On() {
			cpuS = time.Duration(p.CPU.MessageCost(50)).String()
		}
		fmt.Fprintf(tw, "%s\t%d\t%d/%d\t%s\t%s\t%s/%s\t%s\t%s\t%s\t%s\n", p.Name, b.Slots, b.RxBuf, b.TxBuf,
			sizeOf(b.MaxMessage), queue, sizeOf(fp.Total), sizeOf(b.HeapBudget), linkS,
			time.Duration(p.Link.RTT), cpuS, b.FailMode)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nSources ([V] read in the source, [D] datasheet, [E] estimate to calibrate):")
	for _, p := range presets {
		fmt.Fprintf(w, "\n%s: %s\n", p.Name, p.Description)
		for _, k := range slices.Sorted(maps.Keys(p.Sources)) {
			if _, err := fmt.Fprintf(w, "  %-12s %s\n", k, p.Sources[k]); err != nil {
				return err
			}
		}
		if line := tlsListLine(p.Name); line != "" {
			if _, err := fmt.Fprintf(w, "  %-12s %s\n", "tls", line); err != nil {
				return err
			}
		}
	}
	return nil
}

// tlsListLine is a model's TLS preset for the list ("" for a model
// without one).
func tlsListLine(model string) string {
	p, ok := TLSFor(model)
	if !ok {
		return ""
	}
	if p.Unsupported != "" {
		return "none: " + p.Unsupported + " (" + p.Source + ")"
	}
	return fmt.Sprintf("%s certificate; handshake %s (ecdsa-p256 %s, rsa-2048 %s), %g ns/B, %s a session: %s",
		p.Key, time.Duration(p.Handshake[p.Key]), time.Duration(p.Handshake["ecdsa-p256"]), time.Duration(p.Handshake["rsa-2048"]),
		p.Byte, results.FormatBytes(int64(p.SessionRAM)), p.Source)
}

func sizeOf(n int) string { return results.FormatBytes(int64(n)) }
