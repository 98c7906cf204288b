package host

import (
	"math"
	"math/rand/v2"

	"github.com/wslab/wslab/firmware"
)

// CPU is the board's processor as the emulation charges it: what each unit
// of work the firmware did costs on the real board, in nanoseconds. The
// firmware itself runs at Linux speed; after every call into it the host
// reads the board's counters, charges the difference to a virtual core
// with a busy-until clock, releases the output that work produced only
// when the core has finished it, and reads no more input while the core is
// busy (so a busy board's receive window fills, as on the real one).
// Throughput then saturates at the board's service time and latency
// queues behind it. The zero value is off: the host's own speed.
//
// With Cores 2 the work is split as on an ESP32 running Arduino or
// ESP-IDF: the WiFi driver and the TCP/IP stack (per-segment work) on one
// core, the server library (requests, handshakes, messages, bytes) on the
// other, so the two pipeline: a message's latency is the sum of both, the
// board's rate is set by the busier one.
type CPU struct {
	// Cores is 1 (default) or 2 (stack and library on separate cores).
	Cores int
	// Wake is what taking up work costs a core that was idle for more
	// than a millisecond (a cold start: interrupt, task switches, cache
	// refills from flash); a busy core takes the next frame without it.
	Wake int64
	// Handoff is a pure delay on a message's way through the board that
	// takes no CPU: hand-offs between the driver, stack and server tasks
	// (mailboxes, select() wake-ups, scheduler ticks).
	Handoff int64
	// Accept is a new TCP connection taken by the server.
	Accept int64
	// Request is one HTTP request parsed and answered (the upgrade request
	// included).
	Request int64
	// Handshake is the WebSocket upgrade's SHA-1 and base64 of the key
	// (cheaper with a hardware SHA accelerator).
	Handshake int64
	// MsgIn is a WebSocket message received: frame parsing and the
	// library's dispatch to the application (allocation, callbacks).
	MsgIn int64
	// MsgOut is a WebSocket message sent: framing and the library's queue.
	MsgOut int64
	// Close is a connection's end (close frame or teardown).
	Close int64
	// Segment is one TCP segment through the WiFi driver and the TCP/IP
	// stack, either way.
	Segment int64
	// ByteIn and ByteOut are nanoseconds per payload byte (copy, unmask,
	// UTF-8 check; copy into the send buffer).
	ByteIn, ByteOut float64
	// MSS is the segment size the per-segment cost counts in; default
	// DefaultMSS.
	MSS int
	// Spread is the coefficient of variation of each unit of work's cost
	// (0: every message costs the same). A real core's cost per message
	// varies with cache misses, interrupts, the heap and the driver's
	// other work; 1 draws each cost from an exponential distribution of
	// the same mean (seeded with the link's tails seed). Each unit is
	// drawn: a message, a segment; work the board takes in one call (a
	// batch of messages that arrived together) costs their sum.
	Spread float64
	// Backlog is how many received segments the stack queues for a busy
	// library core before it stops taking input (two cores only; lwIP's
	// per-socket receive mailbox); default 6.
	Backlog int
	// TLSHandshake is one TLS handshake of a board that terminates TLS
	// (wslab board --tls): the key exchange and the certificate's
	// signature (mbedTLS; hardware-accelerated on an ESP32), charged once
	// per handshake when the board sends its first flight (tls.go).
	TLSHandshake int64
	// TLSByte is nanoseconds per byte decrypted or encrypted by the TLS
	// record layer (AES-GCM or -CBC and the MAC), either way.
	TLSByte float64
}

// On reports whether the CPU is charged at all.
func (c CPU) On() bool {
	return c.Wake > 0 || c.Accept > 0 || c.Request > 0 || c.Handshake > 0 || c.MsgIn > 0 || c.MsgOut > 0 ||
		c.Close > 0 || c.Segment > 0 || c.ByteIn > 0 || c.ByteOut > 0
}

// MessageCost is the cost of echoing one message of n payload bytes that
// fits a segment, on a busy board: the service time that caps a board's
// echo rate (with two cores, the busier core's share).
func (c CPU) MessageCost(n int) int64 {
	app := c.MsgIn + c.MsgOut + int64(float64(n)*(c.ByteIn+c.ByteOut))
	stack := 2 * c.Segment
	if c.Cores >= 2 {
		return max(app, stack)
	}
	return app + stack
}

// wakeSlack is how long a core may have been idle and still
// take work as if it had been waiting: the host's own timer latency, not
// the board's.
const wakeSlack = 1_000_000

// vcpu is the virtual processor: a busy-until clock per core, charged from
// the board's counters.
type vcpu struct {
	cost    CPU
	on      bool
	mss     int
	cores   int
	stack   int64  // the stack core is busy until then
	appC    int64  // the library core (two cores)
	app     *int64 // the library's clock: &appC, or &stack with one core
	ready   int64  // when the latest library work is finished
	backlog int64  // how far ahead the library core may be booked before input stops
	total   int64  // ns charged since start, over all cores
	last    counters
	// The shared channel: every frame either way crosses it (see
	// channel); air is one access, which input may still be on its way
	// for while a core finishes.
	air int64
	ch  *channel
	rng *rand.Rand // Spread's draws
	// lastAt is when the latest accounted work arrived: output it produced
	// starts after it.
	lastAt int64
}

// counters are the board counters the CPU charges for.
type counters struct {
	accepted, requests, upgrades, msgsIn, msgsOut, closes uint64
}

func readCounters(st *firmware.Stats) counters {
	c := counters{accepted: st.Accepted, requests: st.HTTPRequests, upgrades: st.Upgrades,
		msgsIn: st.MsgsIn, msgsOut: st.MsgsOut, closes: st.Abnormal}
	for _, n := range st.ClosesSent {
		c.closes += n
	}
	return c
}

func newVCPU(c CPU, airtime, bps int64, seed uint64) *vcpu {
	v := &vcpu{cost: c, on: c.On() || airtime > 0, mss: c.MSS, cores: 1, air: airtime}
	if c.Spread > 0 {
		v.rng = rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	}
	if v.mss <= 0 {
		v.mss = DefaultMSS
	}
	v.ch = newChannel(airtime, bps, v.mss)
	v.app = &v.stack
	if c.Cores >= 2 {
		v.cores = 2
		v.app = &v.appC
		n := c.Backlog
		if n <= 0 {
			n = 6
		}
		v.backlog = int64(n) * (c.MsgIn + c.MsgOut)
	}
	return v
}

// idle reports whether the board takes new input at now: the stack core
// is free (and, with two cores, the library's queue is not full).
func (v *vcpu) idle(now int64) bool {
	if !v.on {
		return true
	}
	// A frame takes the channel's airtime to arrive, while the core still
	// works: the next one may be on its way when the core has that much
	// left to do.
	if v.stack > now+v.air {
		return false
	}
	return v.cores == 1 || v.appC <= now+v.backlog
}

// nextIdle is when idle may turn true.
func (v *vcpu) nextIdle(now int64) int64 {
	at := v.stack - v.air
	if v.cores == 2 && v.appC-v.backlog > at {
		at = v.appC - v.backlog
	}
	if at <= now {
		at = now + 1
	}
	return at
}

// run books ns of work, units pieces of it (messages, segments), on core
// from at and returns when it ends.
func (v *vcpu) run(core *int64, at, ns, units int64) int64 {
	if ns <= 0 {
		return at
	}
	ns = v.spread(ns, units)
	start := *core
	if at-start > wakeSlack {
		ns += v.cost.Wake
		start = at
	}
	// Work that finds the core idle for less than wakeSlack starts when the
	// core became free: the gap is the host's timer latency (the waiter
	// was woken late), not idle time of the board.
	*core = start + ns
	v.total += ns
	return *core
}

// account charges the work the board's counters show since the last call,
// plus rxBytes received in this call: the segments on the stack core,
// then the library's work on its core.
//
// arrived is when the input reached the board (the host saw the socket
// readable then; a host that serves it later, its timer or loop being
// late, does not make the board slower): the work starts then, or when
// the radio and the core are free.
func (v *vcpu) account(now, arrived int64, st *firmware.Stats, rxBytes int) {
	if !v.on {
		return
	}
	if arrived <= 0 || arrived > now {
		arrived = now
	}
	c := readCounters(st)
	l := v.last
	v.last = c
	k := &v.cost
	ns := int64(c.accepted-l.accepted)*k.Accept + int64(c.requests-l.requests)*k.Request +
		int64(c.upgrades-l.upgrades)*k.Handshake + int64(c.msgsIn-l.msgsIn)*k.MsgIn +
		int64(c.msgsOut-l.msgsOut)*k.MsgOut + int64(c.closes-l.closes)*k.Close
	units := int64(c.accepted - l.accepted + c.requests - l.requests + c.upgrades - l.upgrades +
		c.msgsIn - l.msgsIn + c.msgsOut - l.msgsOut + c.closes - l.closes)
	t := now
	if rxBytes > 0 {
		t = v.ch.book(arrived, rxBytes, toBoard, false) // the frame crosses the channel
		segs := v.segments(rxBytes)
		t = v.run(&v.stack, t, segs*k.Segment, segs)
		ns += int64(float64(rxBytes) * k.ByteIn)
	}
	if ns > 0 {
		t = v.run(v.app, t, ns, units)
	}
	if ns > 0 || rxBytes > 0 {
		// What the board answers leaves after the input has crossed
		// the channel and been worked on.
		v.ready = max(v.ready, t)
		v.lastAt = min(arrived, t)
	}
}

// output charges n bytes the firmware appended for sending and returns
// when they have left the board: after the library work that produced
// them, when the stack core has sent them and the channel has carried them.
// room is when the send buffer had room for them (0: always); last is when
// the connection's previous output reaches the client: bytes produced
// before that follow output still in flight (more: a stream, which the
// channel carries as bulk and the tails do not stall again).
func (v *vcpu) output(now int64, n int, room, last int64) (out int64, more bool) {
	if !v.on || n <= 0 {
		return now, last > now
	}
	k := &v.cost
	t := now
	if v.ready >= v.lastAt && v.lastAt > 0 && v.ready < now {
		t = v.ready // produced by the latest work, finished (as of arrival) before now
	} else if v.ready > now {
		t = v.ready
	}
	t = max(t, min(room, now)) // not before the send buffer had room
	more = last > t
	if k.ByteOut > 0 {
		t = v.run(v.app, t, int64(float64(n)*k.ByteOut), 1)
		v.ready = max(v.ready, t)
	}
	segs := v.segments(n)
	sent := v.run(&v.stack, t, segs*k.Segment, segs) + k.Handoff
	return v.ch.book(sent, n, fromBoard, more), more // and cross the channel
}

// spread draws the cost of work whose mean is ns, made of units pieces
// whose costs vary independently: each piece's cost is drawn (Spread), so
// a batch of several messages taken in one call varies as their sum does,
// by 1/sqrt(units) of one message's spread, not as one message's cost
// scaled up (which made a saturated board's rate, where frames bunch into
// batches, vary by a tenth between two runs of a few seconds).
func (v *vcpu) spread(ns, units int64) int64 {
	if v.rng == nil {
		return ns
	}
	sp := min(v.cost.Spread, 1)
	// A mix: a fixed part and an exponential part with the same mean.
	return int64(float64(ns) * ((1 - sp) + sp*v.meanExp(units)))
}

// spreadExact is how many pieces' exponential draws are summed one by
// one; above it their mean is drawn from its normal approximation.
const spreadExact = 16

// meanExp draws the mean of units independent exponential draws of mean
// 1 (a gamma of shape units, scaled by 1/units).
func (v *vcpu) meanExp(units int64) float64 {
	if units <= 1 {
		return v.rng.ExpFloat64()
	}
	if units <= spreadExact {
		sum := 0.0
		for range units {
			sum += v.rng.ExpFloat64()
		}
		return sum / float64(units)
	}
	return max(0, 1+v.rng.NormFloat64()/math.Sqrt(float64(units)))
}

func (v *vcpu) segments(n int) int64 { return int64((n + v.mss - 1) / v.mss) }

// done is when the library's work charged so far is finished.
func (v *vcpu) done(now int64) int64 {
	if v.ready > now {
		return v.ready
	}
	return now
}

// DefaultMSS is the segment size where CPU.MSS is 0: Ethernet's 1500 B
// MTU less the IPv4 and TCP headers.
const DefaultMSS = 1460
