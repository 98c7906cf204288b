package firmware

import (
	"runtime"

	"github.com/wslab/wslab/core"
)

// respondStats answers /stats (JSON) or /metrics (Prometheus text). Both
// render into the board's one stats buffer; a slot that finds it in use by
// another slot still sending waits for it.
func (s *Slot) respondStats(metrics, headOnly bool) {
	s.statsMetrics, s.statsHead, s.statsFiles = metrics, headOnly, false
	s.src = srcStats
	s.memOff = 0
	s.state = stRespond
	s.acquireStats()
}

// acquireStats renders into the stats buffer if it is free, writing the
// response head; it reports false if the slot must wait.
func (s *Slot) acquireStats() bool {
	b := s.b
	if b.statsOwner == int(s.idx) {
		return true
	}
	if b.statsOwner >= 0 {
		if !s.waiting {
			s.waiting = true
			b.statsWait = append(b.statsWait, s.idx)
		}
		return false
	}
	b.statsOwner = int(s.idx)
	var doc []byte
	ct := "application/json"
	if s.statsMetrics {
		doc = b.AppendMetrics(b.statsBuf[:0])
		ct = "text/plain; version=0.0.4"
	} else if s.statsFiles {
		doc = b.AppendFiles(b.statsBuf[:0]) // files.go
	} else {
		doc = b.AppendStats(b.statsBuf[:0])
	}
	s.head(200, ct, int64(len(doc)), "")
	b.statsDoc = doc
	if s.statsHead {
		s.memOff = int32(len(doc))
	}
	return true
}

func (s *Slot) releaseStats() {
	b := s.b
	if b.statsOwner != int(s.idx) {
		return
	}
	b.statsOwner = -1
	for _, i := range b.statsWait {
		b.slots[i].waiting = false
		b.wakeSlot(i)
	}
	b.statsWait = b.statsWait[:0]
}

// memStats is read by AppendStats; a package variable so reading it does not
// put a 5 KiB struct on every caller's stack or heap.
var memStats runtime.MemStats

// Heap is the board's heap as runtime.ReadMemStats reports it; the fields
// are those TinyGo also fills.
type Heap struct {
	InUse, Sys     uint64
	Mallocs, Frees uint64
}

// ReadHeap reads the heap figures.
func ReadHeap() Heap {
	runtime.ReadMemStats(&memStats)
	return Heap{InUse: memStats.HeapInuse, Sys: memStats.Sys, Mallocs: memStats.Mallocs, Frees: memStats.Frees}
}

// AppendStats appends the board's /stats document (JSON) to dst, written
// field by field without encoding/json.
func (b *Board) AppendStats(dst []byte) []byte {
	h := ReadHeap()
	c := &b.cfg
	f := &b.fp
	st := &b.st
	now := b.nowHint
	d := append(dst, `{"model":"`...)
	d = appendJSONString(d, c.Model)
	d = append(d, `","uptime_ms":`...)
	d = core.AppendInt(d, (now-b.started)/Millisecond)
	d = append(d, `,"heap":{"inuse":`...)
	d = core.AppendUint(d, h.InUse)
	d = append(d, `,"sys":`...)
	d = core.AppendUint(d, h.Sys)
	d = append(d, `,"mallocs":`...)
	d = core.AppendUint(d, h.Mallocs)
	d = append(d, `,"frees":`...)
	d = core.AppendUint(d, h.Frees)
	d = append(d, `},"footprint":{"slots":`...)
	d = appendInt(d, f.Slots)
	d = append(d, `,"rx":`...)
	d = appendInt(d, f.Rx)
	d = append(d, `,"tx":`...)
	d = appendInt(d, f.Tx)
	d = append(d, `,"per_slot":`...)
	d = appendInt(d, f.PerSlot)
	d = append(d, `,"fixed":`...)
	d = appendInt(d, f.Fixed)
	d = append(d, `,"total":`...)
	d = appendInt(d, f.Total)
	d = append(d, `,"budget":`...)
	d = appendInt(d, f.Budget)
	d = append(d, `,"spare_slots":`...)
	d = appendInt(d, f.Spare)
	d = append(d, `,"queue_heap":`...)
	d = appendInt(d, f.QueueHeap)
	ram := b.RAM()
	d = append(d, `},"ram":{"in_use":`...)
	d = appendInt(d, ram.InUse)
	d = append(d, `,"static":`...)
	d = appendInt(d, ram.Static)
	d = append(d, `,"conns":`...)
	d = appendInt(d, ram.Conns)
	d = append(d, `,"queued":`...)
	d = appendInt(d, ram.Queued)
	d = append(d, `,"stack":`...)
	d = appendInt(d, ram.Stack)
	d = append(d, `,"budget":`...)
	d = appendInt(d, ram.Budget)
	d = append(d, `},"config":{"max_message":`...)
	d = appendInt(d, c.MaxMessage)
	d = append(d, `,"max_upload":`...)
	d = appendInt(d, c.MaxUpload)
	d = append(d, `,"queue_len":`...)
	d = appendInt(d, c.QueueLen)
	d = append(d, `,"fail_mode":"`...)
	d = append(d, c.FailMode.String()...)
	d = append(d, `","backlog":`...)
	d = appendInt(d, c.Backlog)
	d = append(d, `,"lru_purge":`...)
	if c.LRUPurge {
		d = append(d, "true"...)
	} else {
		d = append(d, "false"...)
	}
	d = append(d, `,"conn_cost":`...)
	d = appendInt(d, c.ConnCost)
	d = append(d, `,"stats_port":`...)
	d = appendInt(d, b.StatsPort)
	d = append(d, `,"link_bps":`...)
	d = core.AppendInt(d, b.LinkBps)
	d = append(d, `,"link_rtt_us":`...)
	d = core.AppendInt(d, b.LinkRTT/1000)
	d = append(d, `},"cpu":{"busy_ms":`...)
	d = core.AppendInt(d, b.CPUBusy/Millisecond)
	d = append(d, `,"busy_permille":`...)
	d = core.AppendInt(d, b.CPUPermille(now))
	d = append(d, `,"cores":`...)
	d = appendInt(d, max(b.CPUCores, 1))
	d = append(d, `},"slots":{"total":`...)
	d = appendInt(d, c.Slots)
	d = append(d, `,"in_use":`...)
	d = appendInt(d, st.SlotsInUse)
	d = append(d, `,"peak":`...)
	d = appendInt(d, st.PeakSlots)
	d = append(d, `},"conns":{"accepted":`...)
	d = core.AppendUint(d, st.Accepted)
	d = append(d, `,"refused":`...)
	d = core.AppendUint(d, st.Refused)
	d = append(d, `,"evicted":`...)
	d = core.AppendUint(d, st.Evicted)
	d = append(d, `,"purged":`...)
	d = core.AppendUint(d, st.Purged)
	d = append(d, `,"upgrades":`...)
	d = core.AppendUint(d, st.Upgrades)
	d = append(d, `,"timeouts":`...)
	d = core.AppendUint(d, st.Timeouts)
	d = append(d, `,"abnormal":`...)
	d = core.AppendUint(d, st.Abnormal)
	d = append(d, `},"http":{"requests":`...)
	d = core.AppendUint(d, st.HTTPRequests)
	for cls := 1; cls <= 5; cls++ {
		d = append(d, `,"`...)
		d = append(d, byte('0'+cls))
		d = append(d, `xx":`...)
		d = core.AppendUint(d, st.HTTPStatus[cls])
	}
	d = append(d, `,"uploads":`...)
	d = core.AppendUint(d, st.Uploads)
	d = append(d, `,"uploads_aborted":`...)
	d = core.AppendUint(d, st.UploadsAborted)
	d = append(d, `},"msgs":{"in":`...)
	d = core.AppendUint(d, st.MsgsIn)
	d = append(d, `,"out":`...)
	d = core.AppendUint(d, st.MsgsOut)
	d = append(d, `,"dropped":`...)
	d = core.AppendUint(d, st.MsgsDropped)
	d = append(d, `,"pings_sent":`...)
	d = core.AppendUint(d, st.PingsSent)
	d = append(d, `},"bytes":{"in":`...)
	d = core.AppendUint(d, st.BytesIn)
	d = append(d, `,"out":`...)
	d = core.AppendUint(d, st.BytesOut)
	d = append(d, `},"close_sent":{`...)
	d = appendCloses(d, &st.ClosesSent)
	d = append(d, `},"close_recv":{`...)
	d = appendCloses(d, &st.ClosesRecv)
	return append(d, "}}\n"...)
}

// CPUPermille is the board processor's busy time since start over the
// uptime at now, in thousandths (0 when the host does not model it).
func (b *Board) CPUPermille(now int64) int64 {
	up := now - b.started
	if up <= 0 || b.CPUBusy <= 0 {
		return 0
	}
	return b.CPUBusy * 1000 / up / int64(max(b.CPUCores, 1))
}

func appendCloses(d []byte, c *[17]uint64) []byte {
	first := true
	for i, n := range c {
		if n == 0 {
			continue
		}
		if !first {
			d = append(d, ',')
		}
		first = false
		d = append(d, '"')
		if i == 16 {
			d = append(d, "other"...)
		} else {
			d = appendInt(d, 1000+i)
		}
		d = append(d, `":`...)
		d = core.AppendUint(d, n)
	}
	return d
}

func appendJSONString(d []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			d = append(d, '\\', c)
		case c < 0x20:
			d = append(d, ' ')
		default:
			d = append(d, c)
		}
	}
	return d
}

// AppendMetrics appends the board's counters in the Prometheus text format.
func (b *Board) AppendMetrics(dst []byte) []byte {
	h := ReadHeap()
	st := &b.st
	d := dst
	gauge := func(d []byte, name, help string, v uint64) []byte {
		d = append(d, "# HELP wslab_board_"...)
		d = append(d, name...)
		d = append(d, ' ')
		d = append(d, help...)
		d = append(d, "\n# TYPE wslab_board_"...)
		d = append(d, name...)
		if len(name) > 6 && name[len(name)-6:] == "_total" {
			d = append(d, " counter\nwslab_board_"...)
		} else {
			d = append(d, " gauge\nwslab_board_"...)
		}
		d = append(d, name...)
		d = append(d, ' ')
		d = core.AppendUint(d, v)
		return append(d, '\n')
	}
	d = gauge(d, "heap_inuse_bytes", "Heap in use by the process running the firmware (on an emulated board: the host process, not the board).", h.InUse)
	d = gauge(d, "mallocs_total", "Heap allocations since start.", h.Mallocs)
	d = gauge(d, "frees_total", "Heap frees since start.", h.Frees)
	d = gauge(d, "static_footprint_bytes", "Buffers allocated at start: slots x (rx + tx) + fixed.", uint64(b.fp.Total))
	ram := b.RAM()
	d = gauge(d, "ram_in_use_bytes", "The board's RAM in use: static footprint + open connections + the echo queues' heap + stack buffers.", uint64(ram.InUse))
	d = gauge(d, "ram_budget_bytes", "The board's RAM budget.", uint64(ram.Budget))
	d = gauge(d, "slots", "Connection slots.", uint64(b.cfg.Slots))
	d = gauge(d, "slots_in_use", "Connection slots in use.", uint64(st.SlotsInUse))
	d = gauge(d, "connections_accepted_total", "Connections given a slot.", st.Accepted)
	d = gauge(d, "connections_refused_total", "Connections refused because every slot was busy.", st.Refused)
	d = gauge(d, "connections_evicted_total", "Oldest clients closed to admit newer ones (evict-oldest).", st.Evicted)
	d = gauge(d, "connections_purged_total", "Least recently used sessions closed to admit newcomers (LRU purge).", st.Purged)
	d = gauge(d, "http_requests_total", "HTTP requests parsed.", st.HTTPRequests)
	d = gauge(d, "messages_in_total", "WebSocket messages received.", st.MsgsIn)
	d = gauge(d, "messages_out_total", "WebSocket messages sent.", st.MsgsOut)
	d = gauge(d, "messages_dropped_total", "WebSocket messages dropped by a full queue.", st.MsgsDropped)
	d = gauge(d, "bytes_in_total", "Bytes received on the wire.", st.BytesIn)
	d = gauge(d, "bytes_out_total", "Bytes sent on the wire.", st.BytesOut)
	d = gauge(d, "timeouts_total", "Connections dropped by a timeout.", st.Timeouts)
	d = gauge(d, "cpu_busy_milliseconds_total", "Time the board's processor was busy (host CPU model; 0: not modelled).", uint64(b.CPUBusy/Millisecond))
	d = gauge(d, "uptime_seconds", "Seconds since the board started.", uint64((b.nowHint-b.started)/Second))
	d = append(d, "# HELP wslab_board_close_codes_total Close frames sent, by code.\n# TYPE wslab_board_close_codes_total counter\n"...)
	for i, n := range st.ClosesSent {
		if n == 0 {
			continue
		}
		d = append(d, `wslab_board_close_codes_total{code="`...)
		if i == 16 {
			d = append(d, "other"...)
		} else {
			d = appendInt(d, 1000+i)
		}
		d = append(d, `"} `...)
		d = core.AppendUint(d, n)
		d = append(d, '\n')
	}
	return d
}

var _ = core.MaxHeaderSize
