package lab

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wslab/wslab/firmware/catalog"
)

// ReadyPrefix starts the line a board process prints on its standard
// output once it listens (`wslab board`, emulated or --exec): the prefix,
// a space and a Ready as one JSON object. The lab reads that line, never
// the human banner.
const ReadyPrefix = "WSLAB-READY"

// Ready is what a started board tells the process that started it.
type Ready struct {
	Addr  string `json:"addr"`            // host:port of the board's HTTP and WebSocket server
	URL   string `json:"url"`             // http://Addr
	WS    string `json:"ws"`              // the echo endpoint, ws://Addr/ws
	Stats string `json:"stats,omitempty"` // /stats on a port that takes no slot ("" if none)
	// Board is the configuration the board runs, as resolved.
	Board catalog.Board `json:"board"`
}

// ReadyLine formats r as the ready line (without a newline).
func ReadyLine(r Ready) string {
	b, err := json.Marshal(r)
	if err != nil {
		// Ready holds numbers, strings and bools only.
		panic("lab: ready line: " + err.Error())
	}
	return ReadyPrefix + " " + string(b)
}

// ParseReady reads a ready line. A line that does not start with
// ReadyPrefix, or whose JSON is malformed or names no address, is an
// error that quotes it.
func ParseReady(line string) (Ready, error) {
	rest, ok := strings.CutPrefix(line, ReadyPrefix+" ")
	if !ok {
		return Ready{}, fmt.Errorf("not a %s line: %q", ReadyPrefix, line)
	}
	var r Ready
	d := json.NewDecoder(strings.NewReader(rest))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		return Ready{}, fmt.Errorf("malformed %s line %q: %w", ReadyPrefix, line, err)
	}
	if d.More() {
		return Ready{}, fmt.Errorf("malformed %s line %q: data after the JSON object", ReadyPrefix, line)
	}
	if r.Addr == "" {
		return Ready{}, fmt.Errorf("malformed %s line %q: no addr", ReadyPrefix, line)
	}
	return r, nil
}
