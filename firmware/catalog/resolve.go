package catalog

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// Custom is the model name of a board built from flags alone: Resolve
// starts it from CustomBoard instead of a preset.
const Custom = "custom"

// CustomBoard is the starting point of the "custom" model.
var CustomBoard = firmware.Config{Model: Custom, Slots: 8, RxBuf: 2048, TxBuf: 2048, MaxMessage: 16384,
	FailMode: firmware.FailReject503}

// Board is a resolved board: everything a host needs to run a model with
// its overrides applied. It is what `wslab board --config-json` reads, so
// a board started in a child process runs exactly what its parent
// resolved.
type Board struct {
	Config firmware.Config `json:"config"`
	Link   host.Link       `json:"link"`
	CPU    host.CPU        `json:"cpu"`
}

// Options returns the host options that run b (listen address, store
// and the rest left to the caller).
func (b Board) Options() host.Options {
	return host.Options{Board: b.Config, Link: b.Link, CPU: b.CPU}
}

// Overrides are the fields of a model changed by the user. A nil pointer
// keeps the model's value; the Off switches drop a part of the model.
type Overrides struct {
	Slots, RxBuf, TxBuf, MaxMessage, MaxUpload *int
	HeapBudget, QueueLen, Backlog              *int
	QueueHeap                                  *int    // the echo queue's heap (bytes); 0: what the budget leaves
	FailMode                                   *string // a name ParseFailMode takes
	LRUPurge                                   *bool
	// Timeouts in nanoseconds.
	HeaderTimeout, IdleTimeout, PingInterval, PongTimeout *int64
	LinkBps                                               *int64 // bit/s
	LinkRTT                                               *int64 // ns
	// Seed seeds the WiFi tails (kept when TailsOff).
	Seed *uint64
	// LinkOff runs at loopback speed: no bandwidth, delay, airtime or
	// tails (LinkBps and LinkRTT still apply on top).
	LinkOff bool
	// TailsOff drops the WiFi tails alone.
	TailsOff bool
	// CPUOff runs at the host's speed instead of the board's processor.
	CPUOff bool
	// ModelFile, when set, is a model file (wslab calibrate writes one)
	// that stands in for the catalog model.
	ModelFile string
}

// Resolve returns the board that model (a catalog name, or Custom) is
// with o applied: the one place a board configuration is worked out, for
// `wslab board` and for the lab's boards alike.
func Resolve(model string, o Overrides) (Board, error) {
	var b Board
	if o.ModelFile != "" {
		p, err := LoadModelFile(o.ModelFile)
		if err != nil {
			return Board{}, err
		}
		b = Board{Config: p.Board, Link: p.Link, CPU: p.CPU}
	} else if model == "" || model == Custom {
		b.Config = CustomBoard
	} else {
		p, err := Get(model)
		if err != nil {
			return Board{}, err
		}
		b = Board{Config: p.Board, Link: p.Link, CPU: p.CPU}
	}
	c := &b.Config
	setInt := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setInt(&c.Slots, o.Slots)
	setInt(&c.RxBuf, o.RxBuf)
	setInt(&c.TxBuf, o.TxBuf)
	setInt(&c.MaxMessage, o.MaxMessage)
	setInt(&c.MaxUpload, o.MaxUpload)
	setInt(&c.HeapBudget, o.HeapBudget)
	setInt(&c.QueueLen, o.QueueLen)
	setInt(&c.QueueHeap, o.QueueHeap)
	setInt(&c.Backlog, o.Backlog)
	if o.FailMode != nil {
		fm, ok := firmware.ParseFailMode(*o.FailMode)
		if !ok {
			return Board{}, fmt.Errorf("unknown fail mode %q: want %s", *o.FailMode, firmware.FailModeNames)
		}
		c.FailMode = fm
	}
	if o.LRUPurge != nil {
		c.LRUPurge = *o.LRUPurge
	}
	set64 := func(dst *int64, v *int64) {
		if v != nil {
			*dst = *v
		}
	}
	set64(&c.HeaderTimeout, o.HeaderTimeout)
	set64(&c.IdleTimeout, o.IdleTimeout)
	set64(&c.PingInterval, o.PingInterval)
	set64(&c.PongTimeout, o.PongTimeout)
	if o.LinkOff {
		b.Link = host.Link{}
	}
	set64(&b.Link.Bps, o.LinkBps)
	set64(&b.Link.RTT, o.LinkRTT)
	if o.TailsOff {
		b.Link.Tails = host.Tails{}
	} else if o.Seed != nil && b.Link.Tails.On() {
		b.Link.Tails.Seed = *o.Seed
	}
	if o.CPUOff {
		b.CPU = host.CPU{}
	}
	return b, nil
}

// ReadBoard reads a resolved board as JSON (what Board marshals to),
// refusing unknown fields and trailing data (the firmware checks the
// figures when the board starts).
func ReadBoard(r io.Reader) (Board, error) {
	var b Board
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	if err := d.Decode(&b); err != nil {
		return Board{}, fmt.Errorf("resolved board: %w", err)
	}
	if d.More() {
		return Board{}, fmt.Errorf("resolved board: data after the JSON object")
	}
	return b, nil
}
