package loadgen

import (
	"errors"
	"strconv"
	"time"

	"github.com/wslab/wslab/results"
)

// BoardStats is what wslab reads of a board's /stats document (the one
// firmware.Board.AppendStats renders). ParseStats is its only reader: the
// generator's identity and heap series and the lab's idle wait all use it.
type BoardStats struct {
	Model    string // "model"
	FailMode string // "config"."fail_mode"

	HeapInUse, HeapSys, Mallocs, Frees int64 // "heap"

	Slots, Rx, Tx, PerSlot, Fixed, Footprint, Budget int64 // "footprint" (Footprint is "total")

	MaxMessage, MaxUpload, QueueLen, LinkBps, LinkRTTus int64 // "config"

	// "cpu"."busy_permille": the board's processor busy since its start
	// over its uptime and cores, in thousandths (0: not modelled).
	CPUBusyPermille int64

	SlotsTotal, SlotsInUse, SlotsPeak int64 // "slots"

	Accepted, Refused, Upgrades, Timeouts, Abnormal int64 // "conns"

	MsgsIn, MsgsOut, MsgsDropped, PingsSent int64 // "msgs"
	BytesIn, BytesOut                       int64 // "bytes"

	RAMInUse  int64 // "ram"."in_use": the board's RAM in use (wslab boards)
	StatsPort int64 // "config"."stats_port": where /stats is served without a slot (0: none)

	CPUBusyMs, CPUCores int64 // "cpu"."busy_ms", "cpu"."cores": the board's processor, when modelled (cores 0: not reported)
}

// statsFields maps "object"."key" of the document to a BoardStats field:
// the one table of the document's numbers.
var statsFields = [...]struct {
	obj, key string
	f        func(*BoardStats) *int64
}{
	{"heap", "inuse", func(s *BoardStats) *int64 { return &s.HeapInUse }},
	{"heap", "sys", func(s *BoardStats) *int64 { return &s.HeapSys }},
	{"heap", "mallocs", func(s *BoardStats) *int64 { return &s.Mallocs }},
	{"heap", "frees", func(s *BoardStats) *int64 { return &s.Frees }},
	{"footprint", "slots", func(s *BoardStats) *int64 { return &s.Slots }},
	{"footprint", "rx", func(s *BoardStats) *int64 { return &s.Rx }},
	{"footprint", "tx", func(s *BoardStats) *int64 { return &s.Tx }},
	{"footprint", "per_slot", func(s *BoardStats) *int64 { return &s.PerSlot }},
	{"footprint", "fixed", func(s *BoardStats) *int64 { return &s.Fixed }},
	{"footprint", "total", func(s *BoardStats) *int64 { return &s.Footprint }},
	{"footprint", "budget", func(s *BoardStats) *int64 { return &s.Budget }},
	{"config", "max_message", func(s *BoardStats) *int64 { return &s.MaxMessage }},
	{"config", "max_upload", func(s *BoardStats) *int64 { return &s.MaxUpload }},
	{"config", "queue_len", func(s *BoardStats) *int64 { return &s.QueueLen }},
	{"config", "link_bps", func(s *BoardStats) *int64 { return &s.LinkBps }},
	{"config", "link_rtt_us", func(s *BoardStats) *int64 { return &s.LinkRTTus }},
	{"slots", "total", func(s *BoardStats) *int64 { return &s.SlotsTotal }},
	{"slots", "in_use", func(s *BoardStats) *int64 { return &s.SlotsInUse }},
	{"slots", "peak", func(s *BoardStats) *int64 { return &s.SlotsPeak }},
	{"cpu", "busy_permille", func(s *BoardStats) *int64 { return &s.CPUBusyPermille }},
	{"conns", "accepted", func(s *BoardStats) *int64 { return &s.Accepted }},
	{"conns", "refused", func(s *BoardStats) *int64 { return &s.Refused }},
	{"conns", "upgrades", func(s *BoardStats) *int64 { return &s.Upgrades }},
	{"conns", "timeouts", func(s *BoardStats) *int64 { return &s.Timeouts }},
	{"conns", "abnormal", func(s *BoardStats) *int64 { return &s.Abnormal }},
	{"msgs", "in", func(s *BoardStats) *int64 { return &s.MsgsIn }},
	{"msgs", "out", func(s *BoardStats) *int64 { return &s.MsgsOut }},
	{"msgs", "dropped", func(s *BoardStats) *int64 { return &s.MsgsDropped }},
	{"msgs", "pings_sent", func(s *BoardStats) *int64 { return &s.PingsSent }},
	{"bytes", "in", func(s *BoardStats) *int64 { return &s.BytesIn }},
	{"bytes", "out", func(s *BoardStats) *int64 { return &s.BytesOut }},
	{"ram", "in_use", func(s *BoardStats) *int64 { return &s.RAMInUse }},
	{"config", "stats_port", func(s *BoardStats) *int64 { return &s.StatsPort }},
	{"cpu", "busy_ms", func(s *BoardStats) *int64 { return &s.CPUBusyMs }},
	{"cpu", "cores", func(s *BoardStats) *int64 { return &s.CPUCores }},
}

// Errors of ParseStats.
var (
	errNoStats       = errors.New("no /stats")
	errStatsSyntax   = errors.New("stats: malformed JSON")
	errStatsNoFigure = errors.New("stats: a JSON document without the board's heap figure (heap.inuse)")
)

// maxStatsDepth is the deepest nesting ParseStats accepts.
const maxStatsDepth = 16

// ParseStats reads a /stats document into st. Fields the document lacks
// keep their value. It allocates nothing once st holds the document's
// strings (so an in-process board's heap series is not the generator's),
// and it returns an error for a document that is not well nested JSON or
// lacks the heap figure.
//
// The scanner is small on purpose: it tracks objects, keys, strings and
// numbers, and takes the numbers at depth 2 and the two strings it needs.
func ParseStats(doc []byte, st *BoardStats) error {
	var stack [maxStatsDepth][]byte // the key that opened each object
	depth := 0
	var key []byte
	heap := false
	i := 0
	for i < len(doc) {
		c := doc[i]
		switch {
		case c == '{' || c == '[':
			if depth == len(stack) {
				return errStatsSyntax
			}
			stack[depth] = key
			if c == '[' {
				stack[depth] = nil
			}
			depth++
			key = nil
			i++
		case c == '}' || c == ']':
			if depth == 0 {
				return errStatsSyntax // unbalanced: more closed than opened
			}
			depth--
			key = nil
			i++
		case c == '"':
			j := i + 1
			for j < len(doc) && doc[j] != '"' {
				if doc[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(doc) {
				return errStatsSyntax // unterminated string
			}
			str := doc[i+1 : j]
			i = j + 1
			for i < len(doc) && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\t' || doc[i] == '\r') {
				i++
			}
			if i < len(doc) && doc[i] == ':' {
				key = str
				i++
				continue
			}
			// A string value.
			switch {
			case depth == 1 && string(key) == "model":
				if string(str) != st.Model {
					st.Model = string(str)
				}
			case depth == 2 && string(stack[1]) == "config" && string(key) == "fail_mode":
				if string(str) != st.FailMode {
					st.FailMode = string(str)
				}
			}
			key = nil
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			if doc[j] == '-' {
				j++
			}
			var v int64
			for j < len(doc) && doc[j] >= '0' && doc[j] <= '9' {
				v = v*10 + int64(doc[j]-'0')
				j++
			}
			if c == '-' {
				v = -v
			}
			for j < len(doc) && (doc[j] == '.' || doc[j] == 'e' || doc[j] == 'E' || doc[j] == '+' || doc[j] == '-' || (doc[j] >= '0' && doc[j] <= '9')) {
				j++
			}
			if depth == 2 && key != nil {
				for k := range statsFields {
					p := &statsFields[k]
					if string(stack[1]) == p.obj && string(key) == p.key {
						*p.f(st) = v
						heap = heap || k == 0
					}
				}
			}
			key = nil
			i = j
		default:
			i++
		}
	}
	if depth != 0 {
		return errStatsSyntax // unbalanced: an object left open
	}
	if !heap {
		return errStatsNoFigure
	}
	return nil
}

// Board returns the board's identity for a Run record.
func (st *BoardStats) Board() results.Board {
	return results.Board{
		Model:           st.Model,
		Slots:           int(st.Slots),
		RxBuf:           int(st.Rx),
		TxBuf:           int(st.Tx),
		MaxMessage:      int(st.MaxMessage),
		HeapBudget:      st.Budget,
		StaticFootprint: st.Footprint,
		LinkBandwidth:   st.LinkBps,
		LinkRTT:         results.Duration(time.Duration(st.LinkRTTus) * time.Microsecond),
		WhenFull:        st.FailMode,
		Extra: map[string]string{
			"max_upload": strconv.FormatInt(st.MaxUpload, 10),
			"queue_len":  strconv.FormatInt(st.QueueLen, 10),
			"per_slot":   strconv.FormatInt(st.PerSlot, 10),
		},
	}
}
