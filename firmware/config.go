package firmware

import "github.com/wslab/wslab/core"

// FailMode is how a board refuses a client when every slot is busy. Each
// is what a real embedded stack does (../shared/published.md section 3);
// the host emulates the TCP side of it.
type FailMode uint8

const (
	// FailReject503 accepts the connection, answers 503 Service
	// Unavailable with Retry-After and closes.
	FailReject503 FailMode = iota
	// FailAcceptClose accepts the TCP connection and closes it at once
	// without a byte (arduinoWebSockets: a full client table accepts the
	// newcomer, then tcp->stop()).
	FailAcceptClose
	// FailReset refuses with a TCP reset (lneto: an empty connection pool
	// answers the SYN with RST|ACK).
	FailReset
	// FailBacklog stops accepting while every slot is busy (ESP-IDF
	// esp_http_server stops watching its listening socket): the kernel
	// backlog holds Config.Backlog newcomers whose TCP connect completed
	// and who then hang until a slot frees or they give up; further SYNs
	// go unanswered. With Config.LRUPurge the least recently used session
	// is closed to admit the newcomer instead (lru_purge_enable).
	FailBacklog
	// FailEvictOldest admits the newcomer and closes the OLDEST WebSocket
	// client with a close frame once more than Slots are open
	// (AsyncWebSocket's cleanupClients() -> client->close()). The board
	// keeps one spare slot for the newcomer; with that one busy too, the
	// next is reset (the TCP stack is out of connections).
	FailEvictOldest
	// FailSynDrop drops the SYN silently while every slot is busy (lwIP
	// with no free PCB): the client's kernel retransmits its SYN after
	// about 1 s, then 3 s.
	FailSynDrop
	failModeCount
)

var failModeNames = [failModeCount]string{"503", "accept-close", "reset", "backlog", "evict-oldest", "syn-drop"}

// FailModeNames lists the names ParseFailMode takes.
const FailModeNames = "503, accept-close, reset, backlog, evict-oldest or syn-drop"

func (m FailMode) String() string {
	if m < failModeCount {
		return failModeNames[m]
	}
	return "unknown"
}

// ParseFailMode returns the FailMode named s (see FailModeNames).
func ParseFailMode(s string) (FailMode, bool) {
	for i, n := range failModeNames {
		if n == s {
			return FailMode(i), true
		}
	}
	return 0, false
}

// Config is a board's fixed configuration. Sizes are bytes, durations
// nanoseconds (the board has no time package dependency on its paths).
type Config struct {
	Model      string // a name for /stats, e.g. "esp32-idf"
	Slots      int    // concurrent connections
	RxBuf      int    // per-slot receive buffer
	TxBuf      int    // per-slot transmit buffer
	MaxMessage int    // largest WebSocket message; larger closes with 1009
	MaxUpload  int    // largest file upload; larger is 413
	HeapBudget int    // bytes the board may use for its buffers (0: no check)

	FailMode FailMode
	// Backlog is how many newcomers a FailBacklog board's listen backlog
	// holds while it is full (ESP-IDF backlog_conn; default 5).
	Backlog int
	// LRUPurge makes a full FailBacklog board close its least recently
	// used session to admit a newcomer (ESP-IDF lru_purge_enable).
	LRUPurge bool
	// ConnCost is the RAM an open connection takes outside the slot's
	// buffers: the stack's PCB and socket, the server's session (default
	// DefaultConnCost).
	ConnCost int
	// QueueLen, when > 0, bounds how many echoed messages a slot may have
	// outstanding (waiting on the queue's heap or in tx, not yet sent);
	// further messages, and messages the queue's heap has no room for, are
	// dropped and counted (the AsyncWebSocket policy: WS_MAX_QUEUED_MESSAGES
	// messages per client, each its own heap buffer apart from the TCP send
	// buffer). 0 applies back-pressure instead: the board stops reading
	// until the client takes its echoes.
	QueueLen int
	// QueueHeap is the heap, in bytes, the echo queues of all slots share
	// (QueueLen > 0). 0: what HeapBudget leaves once the static footprint
	// and every slot's connection are taken, or, with no budget, room for
	// QueueLen messages of MaxMessage per slot.
	QueueHeap int

	HeaderTimeout int64 // a request head must arrive whole within this (slowloris)
	IdleTimeout   int64 // an HTTP connection with no request is closed after this
	PingInterval  int64 // a WebSocket idle this long is pinged
	PongTimeout   int64 // and dropped if no frame arrives within this after the ping
}

// Milliseconds and Seconds express durations in a Config.
const (
	Millisecond int64 = 1e6
	Second      int64 = 1e9
)

// Defaults for fields left zero by a caller.
const (
	DefaultHeaderTimeout = 5 * Second
	DefaultIdleTimeout   = 30 * Second
	DefaultPingInterval  = 20 * Second
	DefaultPongTimeout   = 10 * Second
	// DefaultBacklog is ESP-IDF httpd's backlog_conn.
	DefaultBacklog = 5
	// DefaultConnCost approximates an lwIP tcp_pcb (~200 B) plus a socket
	// and a server session: RAM an open connection takes.
	DefaultConnCost = 512
	// MinTxBuf is the smallest transmit buffer: a close or pong frame with
	// its header must fit, and so must the start of an HTTP response.
	MinTxBuf = 256
	// MinRxBuf is the smallest receive buffer: a short request head, and
	// a whole control frame, which the reader takes only whole.
	MinRxBuf = 256
	// StatsBufSize is the board-wide buffer /stats and /metrics render into.
	StatsBufSize = 4096
	// MaxSlots, MaxBuf, MaxMessageSize and MaxFootprint bound a
	// configuration so that a typo (--slots 4000000000) is a clean error,
	// not an allocation the machine cannot make.
	MaxSlots       = 1 << 20
	MaxBuf         = 1 << 24
	MaxMessageSize = 1 << 30
	MaxFootprint   = 1 << 33
	// QueueMsgOverhead is the heap a queued message takes beyond its bytes
	// [E]: AsyncWebSocket's message object in the queue's list node, the
	// shared buffer's control block and vector, and the allocator's block
	// headers.
	QueueMsgOverhead = 64
	// fixedOverhead approximates the per-board bookkeeping outside the
	// buffers (slot structs, counters), so the footprint is not flattering.
	slotOverhead = 512
)

func (c *Config) withDefaults() Config {
	d := *c
	if d.HeaderTimeout == 0 {
		d.HeaderTimeout = DefaultHeaderTimeout
	}
	if d.IdleTimeout == 0 {
		d.IdleTimeout = DefaultIdleTimeout
	}
	if d.PingInterval == 0 {
		d.PingInterval = DefaultPingInterval
	}
	if d.PongTimeout == 0 {
		d.PongTimeout = DefaultPongTimeout
	}
	if d.MaxMessage == 0 {
		d.MaxMessage = d.RxBuf
	}
	if d.MaxUpload == 0 {
		d.MaxUpload = 1 << 20
	}
	if d.Backlog == 0 {
		d.Backlog = DefaultBacklog
	}
	if d.ConnCost == 0 {
		d.ConnCost = DefaultConnCost
	}
	return d
}

// Footprint is the board's static memory: what it allocates at start.
type Footprint struct {
	Slots int
	// Spare is the slot a FailEvictOldest board keeps for a newcomer
	// (1), allocated like the others; 0 for the other modes.
	Spare     int
	Rx, Tx    int // per slot
	Book      int // per slot: the slot's bookkeeping
	Queue     int // per slot: the echo queue's index (8 B per entry)
	PerSlot   int // rx + tx + bookkeeping + queue
	Fixed     int // board-wide buffers: broadcast message, stats, bookkeeping
	Total     int // (Slots+Spare)*PerSlot + Fixed
	Budget    int
	OverBy    int // Total - Budget when over, else 0
	Broadcast int // the shared broadcast buffer, part of Fixed
	// QueueHeap is the heap the echo queues share (QueueLen > 0), outside
	// Total: on the board it is free heap the queues take as messages wait.
	// QueueFromBudget: it is what the budget leaves, Budget - Total -
	// (Slots+Spare) x ConnCost.
	QueueHeap       int
	QueueFromBudget bool
	ConnCost        int
}

// Footprint computes the static memory of c.
func (c *Config) Footprint() Footprint {
	d := c.withDefaults()
	f := Footprint{Slots: d.Slots, Rx: d.RxBuf, Tx: d.TxBuf, Budget: d.HeapBudget, Book: slotOverhead}
	if d.FailMode == FailEvictOldest {
		f.Spare = 1
	}
	f.Queue = 8 * d.QueueLen
	f.PerSlot = d.RxBuf + d.TxBuf + f.Book + f.Queue
	f.Broadcast = d.MaxMessage
	f.Fixed = StatsBufSize + f.Broadcast
	f.Total = (d.Slots+f.Spare)*f.PerSlot + f.Fixed
	if d.HeapBudget > 0 && f.Total > d.HeapBudget {
		f.OverBy = f.Total - d.HeapBudget
	}
	f.ConnCost = d.ConnCost
	if d.QueueLen > 0 {
		switch {
		case d.QueueHeap > 0:
			f.QueueHeap = d.QueueHeap
		case d.HeapBudget > 0:
			f.QueueHeap = max(d.HeapBudget-f.Total-(d.Slots+f.Spare)*d.ConnCost, 0)
			f.QueueFromBudget = true
		default:
			f.QueueHeap = (d.Slots + f.Spare) * d.QueueLen * queueMsgRoom(&d)
		}
	}
	return f
}

// queueMsgRoom is the queue heap one message of MaxMessage bytes may take:
// its frames (split to fit tx), its overhead and a chunk's rounding.
func queueMsgRoom(d *Config) int {
	most := max(d.TxBuf-ctrlReserve-core.MaxHeaderSize, 1)
	return d.MaxMessage + (d.MaxMessage/most+1)*core.MaxHeaderSize + QueueMsgOverhead + queueChunk
}

// minQueueHeap is the least queue heap a QueueLen board runs with: one
// chunk and one message's overhead.
const minQueueHeap = queueChunk + QueueMsgOverhead

// AppendQueueHeap appends how the echo queues' heap is sized, a sum that
// adds up, e.g. "queue heap 69408 = 204800 budget - 130784 static - 9 x
// 512 conn"; nothing for a board without a queue.
func (f *Footprint) AppendQueueHeap(m []byte) []byte {
	if f.QueueHeap == 0 && !f.QueueFromBudget {
		return m
	}
	m = append(m, "queue heap "...)
	m = appendInt(m, f.QueueHeap)
	if f.QueueFromBudget {
		m = append(m, " = "...)
		m = appendInt(m, f.Budget)
		m = append(m, " budget - "...)
		m = appendInt(m, f.Total)
		m = append(m, " static - "...)
		m = appendInt(m, f.Slots+f.Spare)
		m = append(m, " x "...)
		m = appendInt(m, f.ConnCost)
		m = append(m, " conn"...)
	}
	return m
}

// ConfigError explains why a configuration cannot start, naming the numbers.
type ConfigError struct {
	Msg []byte
}

func (e *ConfigError) Error() string { return string(e.Msg) }

// Check reports a configuration that cannot run: sizes below the minimums,
// or buffers that do not fit the heap budget, e.g.
// "8 slots x (2048 rx + 2048 tx + 512 slot) + 6144 fixed = 42992 B > 32768 B budget of nano33-wifinina".
func (c *Config) Check() error {
	d := c.withDefaults()
	var m []byte
	switch {
	case d.Slots < 1:
		m = append(m, "slots must be at least 1"...)
	case d.RxBuf < MinRxBuf:
		m = appendInt(append(m, "rx buffer must be at least "...), MinRxBuf)
		m = append(m, " B"...)
	case d.TxBuf < MinTxBuf:
		m = appendInt(append(m, "tx buffer must be at least "...), MinTxBuf)
		m = append(m, " B"...)
	case d.MaxMessage < 1:
		m = append(m, "max message must be at least 1 B"...)
	case d.QueueLen < 0 || d.QueueLen > maxQueue:
		m = appendInt(append(m, "queue length must be 0 to "...), maxQueue)
	case d.FailMode >= failModeCount:
		m = append(m, "unknown fail mode"...)
	case d.QueueHeap < 0:
		m = append(m, "queue heap must not be negative"...)
	case d.Backlog < 1 || d.ConnCost < 0:
		m = append(m, "backlog must be at least 1 and connection cost not negative"...)
	case d.Slots > MaxSlots:
		m = appendInt(append(m, "slots must be at most "...), MaxSlots)
	case d.RxBuf > MaxBuf || d.TxBuf > MaxBuf:
		m = appendInt(append(m, "rx and tx buffers must be at most "...), MaxBuf)
		m = append(m, " B"...)
	case d.MaxMessage > MaxMessageSize:
		m = appendInt(append(m, "max message must be at most "...), MaxMessageSize)
		m = append(m, " B"...)
	case d.MaxUpload < 0 || d.HeapBudget < 0:
		m = append(m, "max upload and heap budget must not be negative"...)
	case d.HeaderTimeout < 0 || d.IdleTimeout < 0 || d.PingInterval < 0 || d.PongTimeout < 0:
		m = append(m, "timeouts must not be negative"...)
	}
	if m == nil {
		// The footprint in 64 bits before Footprint works it out in int.
		per := int64(d.RxBuf) + int64(d.TxBuf) + slotOverhead + 8*int64(d.QueueLen)
		total := int64(d.Slots)*per + StatsBufSize + int64(d.MaxMessage)
		if d.QueueLen > 0 {
			if d.QueueHeap > 0 {
				total += int64(d.QueueHeap)
			} else if d.HeapBudget == 0 {
				msg := int64(d.MaxMessage) + (int64(d.MaxMessage)/int64(max(d.TxBuf-ctrlReserve-core.MaxHeaderSize, 1))+1)*core.MaxHeaderSize + QueueMsgOverhead + queueChunk
				total += (int64(d.Slots) + 1) * int64(d.QueueLen) * msg
			}
		}
		if total > MaxFootprint || int64(int(total)) != total {
			m = append(m, "slots x (rx + tx) needs "...)
			m = core.AppendInt(m, total)
			m = append(m, " B, more than the "...)
			m = core.AppendInt(m, MaxFootprint)
			m = append(m, " B an emulated board may take"...)
		}
	}
	if m != nil {
		return &ConfigError{Msg: m}
	}
	f := d.Footprint()
	if f.OverBy > 0 {
		m = f.AppendSum(m)
		m = append(m, " B > "...)
		m = appendInt(m, f.Budget)
		m = append(m, " B budget"...)
		if d.Model != "" {
			m = append(m, " of "...)
			m = append(m, d.Model...)
		}
		return &ConfigError{Msg: m}
	}
	if d.QueueLen > 0 && d.HeapBudget > 0 {
		need := f.Total + (f.Slots+f.Spare)*d.ConnCost + max(f.QueueHeap, minQueueHeap)
		if f.QueueHeap < minQueueHeap || need > d.HeapBudget {
			m = f.AppendSum(m)
			m = append(m, " B static + "...)
			m = appendInt(m, f.Slots+f.Spare)
			m = append(m, " x "...)
			m = appendInt(m, d.ConnCost)
			m = append(m, " B conn + "...)
			m = appendInt(m, max(f.QueueHeap, minQueueHeap))
			m = append(m, " B queue heap = "...)
			m = appendInt(m, need)
			m = append(m, " B > "...)
			m = appendInt(m, d.HeapBudget)
			m = append(m, " B budget"...)
			if d.Model != "" {
				m = append(m, " of "...)
				m = append(m, d.Model...)
			}
			return &ConfigError{Msg: m}
		}
	}
	return nil
}

// AppendSum appends the footprint as a sum that adds up, e.g.
// "8 slots x (2048 rx + 2048 tx + 512 slot + 256 queue) + 6144 fixed = 45056";
// a spare slot shows as "8+1 slots".
func (f *Footprint) AppendSum(m []byte) []byte {
	m = appendInt(m, f.Slots)
	if f.Spare > 0 {
		m = append(m, '+')
		m = appendInt(m, f.Spare)
	}
	m = append(m, " slots x ("...)
	m = appendInt(m, f.Rx)
	m = append(m, " rx + "...)
	m = appendInt(m, f.Tx)
	m = append(m, " tx + "...)
	m = appendInt(m, f.Book)
	m = append(m, " slot"...)
	if f.Queue > 0 {
		m = append(m, " + "...)
		m = appendInt(m, f.Queue)
		m = append(m, " queue"...)
	}
	m = append(m, ") + "...)
	m = appendInt(m, f.Fixed)
	m = append(m, " fixed = "...)
	return appendInt(m, f.Total)
}
