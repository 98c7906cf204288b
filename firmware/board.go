package firmware

import "github.com/wslab/wslab/core"

// Board is one board: its configuration, its slots with their buffers, the
// board-wide buffers, the file store and the counters behind /stats. Every
// buffer is allocated by NewBoard; nothing after that allocates on a
// request, upgrade or message path.
//
// A Board is not safe for concurrent use: like the single server task of an
// embedded HTTP server, one goroutine (the host's event loop) drives it.
type Board struct {
	cfg   Config
	fp    Footprint
	store Store
	page  []byte

	slots []Slot
	// qEnds holds every slot's ring of the tx offsets where its
	// outstanding echoed messages end (QueueLen each; Slot.qRing).
	qEnds []uint64
	free  []int32 // indices of free slots (a stack)

	mem []byte // every slot's rx and tx buffers, one after the other

	// The echo queues' heap (queue.go): chunks of queueChunk bytes, each
	// chunk's successor in its slot's chain, the free chunks (a stack),
	// and the messages outstanding on the whole board.
	qPool []byte
	qLink []int32
	qFree []int32
	qMsgs int

	// The shared broadcast buffer and which slot is filling it (-1: none).
	bcast      []byte
	bcastOwner int
	bcastWait  []int32 // broadcast slots waiting for the buffer

	// The stats buffer and the slot that is sending from it (-1: none).
	statsBuf   []byte
	statsOwner int
	statsDoc   []byte // the document in statsBuf being sent
	statsWait  []int32

	// Slots that another slot gave work (broadcast output, a freed shared
	// buffer): the host drains them with NextWake.
	wake    []int32
	inWake  []bool
	started int64

	// LinkBps and LinkRTT describe the link the host emulates (0: none),
	// reported in /stats; the board itself does not use them.
	LinkBps, LinkRTT int64
	// CPUBusy is the time, in nanoseconds, the board's processor has been
	// busy since start, as the host's CPU model charges it (0: not
	// modelled); reported in /stats with the busy fraction.
	CPUBusy  int64
	CPUCores int   // cores CPUBusy is spread over (busy fraction = CPUBusy / uptime / CPUCores)
	nowHint  int64 // the latest time a host call passed in

	// StackHeld, when set by the host, returns the bytes the network
	// stack holds for the board's connections outside the slot buffers
	// (received but not yet read, sent but not yet acknowledged: lwIP's
	// pbufs). It is counted in the board's RAM in use.
	StackHeld func() int
	// StatsPort, when the host serves /stats on a port of its own that
	// takes no slot, is that port; /stats names it so a reader moves there.
	StatsPort int

	st Stats
}

// Stats are the board's counters.
type Stats struct {
	Accepted, Refused     uint64
	SlotsInUse, PeakSlots int
	HTTPRequests          uint64
	HTTPStatus            [6]uint64 // by class: [2] is 2xx ... [5] is 5xx
	Upgrades              uint64
	MsgsIn, MsgsOut       uint64
	MsgsDropped           uint64
	BytesIn, BytesOut     uint64 // on the wire
	Uploads               uint64
	UploadsAborted        uint64
	Timeouts              uint64
	PingsSent             uint64
	// Closes counts close codes the board received or sent: index
	// code-1000 for 1000-1015; Closes[16] counts application codes and
	// anything else.
	ClosesSent [17]uint64
	ClosesRecv [17]uint64
	Abnormal   uint64 // WebSocket connections that ended without a close frame
	// Evicted counts WebSocket clients a FailEvictOldest board closed to
	// admit newer ones; Purged counts sessions a FailBacklog board with
	// LRUPurge closed (the host calls Purged).
	Evicted, Purged uint64
}

// NewBoard checks cfg and allocates everything the board will use: slots
// with their rx and tx buffers, the broadcast and stats buffers. page is
// what GET / serves (nil: the embedded page); store holds uploaded files
// (nil: uploads answer 501). now is the start time, for uptime.
func NewBoard(cfg Config, store Store, page []byte, now int64) (*Board, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	if page == nil {
		page = Page
	}
	fp := c.Footprint()
	n := c.Slots + fp.Spare
	b := &Board{
		cfg: c, fp: fp, store: store, page: page,
		slots:      make([]Slot, n),
		free:       make([]int32, n),
		bcast:      make([]byte, c.MaxMessage),
		bcastOwner: -1,
		bcastWait:  make([]int32, 0, n),
		statsBuf:   make([]byte, 0, StatsBufSize),
		statsOwner: -1,
		statsWait:  make([]int32, 0, n),
		wake:       make([]int32, 0, n),
		inWake:     make([]bool, n),
		started:    now,
	}
	// One allocation for all slot buffers, as firmware would lay them out.
	per := c.RxBuf + c.TxBuf
	b.mem = make([]byte, per*n)
	for i := range b.slots {
		s := &b.slots[i]
		s.b = b
		s.idx = int32(i)
		b.free[n-1-i] = int32(i)
	}
	if c.QueueLen > 0 {
		b.qEnds = make([]uint64, n*c.QueueLen)
		k := fp.QueueHeap / queueChunk
		b.qPool = make([]byte, k*queueChunk)
		b.qLink = make([]int32, k)
		b.qFree = make([]int32, k)
		for i := range b.qFree {
			b.qFree[i] = int32(k - 1 - i)
		}
	}
	return b, nil
}

// Config returns the board's configuration with defaults filled in.
func (b *Board) Config() Config { return b.cfg }

// Footprint returns the board's static memory.
func (b *Board) Footprint() Footprint { return b.fp }

// Stats returns a copy of the counters.
func (b *Board) Stats() Stats { return b.st }

// Slot returns slot i (for hosts that index their connections by slot).
func (b *Board) Slot(i int) *Slot { return &b.slots[i] }

// Accept takes a free slot for a new connection at time now. It returns nil
// when every slot is busy: the host then refuses the connection the board's
// FailMode way (RefuseResponse for FailReject503) and calls Refused.
func (b *Board) Accept(now int64) *Slot {
	if len(b.free) == 0 {
		return nil
	}
	i := b.free[len(b.free)-1]
	b.free = b.free[:len(b.free)-1]
	s := &b.slots[i]
	s.open(now)
	b.nowHint = now
	b.st.Accepted++
	b.st.SlotsInUse++
	if b.st.SlotsInUse > b.st.PeakSlots {
		b.st.PeakSlots = b.st.SlotsInUse
	}
	return s
}

// Refused counts a connection the host refused because the board was full.
func (b *Board) Refused() { b.st.Refused++ }

// Purged counts a session the host closed to admit a newcomer (LRUPurge).
func (b *Board) Purged() { b.st.Purged++ }

// Full reports whether every slot is busy: Accept would return nil.
func (b *Board) Full() bool { return len(b.free) == 0 }

// Free is the number of free slots (a FailEvictOldest board's spare
// included).
func (b *Board) Free() int { return len(b.free) }

// LeastRecentlyUsed returns the busy slot whose last inbound activity is
// the oldest, or nil: the session an LRU purge closes (esp_http_server
// bumps a session's LRU counter per inbound request).
func (b *Board) LeastRecentlyUsed() *Slot {
	var lru *Slot
	var at int64
	for i := range b.slots {
		s := &b.slots[i]
		if s.state == stFree {
			continue
		}
		t := s.lastIn
		if lru == nil || t < at {
			lru, at = s, t
		}
	}
	return lru
}

// evictOldest closes the oldest open WebSocket client, other than
// newcomer, with an empty close frame once more than Slots are open
// (AsyncWebSocket: cleanupClients() calls client->close() on the
// oldest, which queues a close frame without a status code).
func (b *Board) evictOldest(newcomer *Slot, now int64) {
	open := 0
	var oldest *Slot
	for i := range b.slots {
		s := &b.slots[i]
		if s.state != stWS || s.closeSent {
			continue
		}
		open++
		if s != newcomer && (oldest == nil || s.opened < oldest.opened) {
			oldest = s
		}
	}
	if open <= b.cfg.Slots || oldest == nil {
		return
	}
	b.st.Evicted++
	if oldest.txFree() >= ctrlReserve {
		oldest.te = len(core.AppendClose(oldest.txb()[:oldest.te], core.CloseNoStatus, nil, false, [4]byte{}))
		oldest.closeSent = true
		oldest.lastOut = now
	} else {
		oldest.closeNow()
	}
	b.wakeSlot(oldest.idx)
}

// RAM is the board's memory in use, in bytes: the static footprint plus
// what changes under load.
type RAM struct {
	Static int // the footprint, allocated at start
	Conns  int // open connections x ConnCost (PCB, socket, session)
	Queued int // the echo queues' heap in use: waiting messages' chunks and every outstanding message's overhead (QueueLen boards)
	Stack  int // bytes the network stack holds outside the slot buffers (StackHeld)
	InUse  int // the sum
	Budget int
}

// RAM returns the board's memory in use now.
func (b *Board) RAM() RAM {
	r := RAM{Static: b.fp.Total, Budget: b.fp.Budget}
	r.Conns = b.st.SlotsInUse * b.cfg.ConnCost
	if b.cfg.QueueLen > 0 {
		r.Queued = b.queueUsed()
	}
	if b.StackHeld != nil {
		r.Stack = b.StackHeld()
	}
	r.InUse = r.Static + r.Conns + r.Queued + r.Stack
	return r
}

// FailMode is how the host must refuse a connection when Accept returns nil.
func (b *Board) FailMode() FailMode { return b.cfg.FailMode }

// RefuseResponse appends the bytes a FailReject503 board sends before it
// closes a connection it has no slot for.
func RefuseResponse(dst []byte) []byte {
	return core.AppendResponse(dst, 503, "Retry-After: 1\r\n", "text/plain", "board full: no free connection slot")
}

// NextWake returns a slot that has new work from another slot (output to
// send, or a shared buffer it waited for), or nil. Hosts call it after
// every event until it returns nil.
func (b *Board) NextWake() *Slot {
	for len(b.wake) > 0 {
		i := b.wake[len(b.wake)-1]
		b.wake = b.wake[:len(b.wake)-1]
		b.inWake[i] = false
		s := &b.slots[i]
		if s.state != stFree {
			// What it waited for is free: let it go on with the input it
			// already holds, which no new read would process.
			s.process(b.nowHint)
			return s
		}
	}
	return nil
}

func (b *Board) wakeSlot(i int32) {
	if !b.inWake[i] {
		b.inWake[i] = true
		b.wake = append(b.wake, i)
	}
}

func (b *Board) release(s *Slot) {
	b.st.SlotsInUse--
	b.free = append(b.free, s.idx)
}

func closeIndex(c core.CloseCode) int {
	if c >= 1000 && c <= 1015 {
		return int(c - 1000)
	}
	return 16
}
