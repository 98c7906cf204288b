package host

import "github.com/wslab/wslab/firmware"

// CPU is the board's processor as the emulation charges it: what each unit
// of work the firmware did costs on the real board, in nanoseconds. The
// firmware itself runs at Linux speed; after every call into it the host
// reads the board's counters, charges the difference to a virtual core
// with a busy-until clock, releases the output that work produced only
// when the core has finished it, and reads no more input while the core is
// busy (so a busy board's receive window fills, as on the real one).
// Throughput then saturates at the board's service time and latency
// queues behind it. The zero value is off: the host's own speed.
type CPU struct {
	// Wake is what taking up work costs a core that was idle: the WiFi
	// interrupt, the driver and stack tasks, the context switches into the
	// server task. A busy core takes the next frame without it, which is
	// how a board serves more messages per second under load than one
	// client's rate suggests.
	Wake int64
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
	// MSS is the segment size the per-segment cost counts in; default 1460.
	MSS int
}

// On reports whether the CPU is charged at all.
func (c CPU) On() bool {
	return c.Wake > 0 || c.Accept > 0 || c.Request > 0 || c.Handshake > 0 || c.MsgIn > 0 || c.MsgOut > 0 ||
		c.Close > 0 || c.Segment > 0 || c.ByteIn > 0 || c.ByteOut > 0
}

// MessageCost is the cost of echoing one message of n payload bytes that
// fits a segment, on a busy core: the service time that caps a board's
// echo rate.
func (c CPU) MessageCost(n int) int64 {
	return c.MsgIn + c.MsgOut + 2*c.Segment + int64(float64(n)*(c.ByteIn+c.ByteOut))
}

// wakeSlack is how long a core may have been idle and still take work
// without a wake-up cost: the host's own timer latency, not the board's.
const wakeSlack = 1_000_000

// vcpu is the virtual core: a busy-until clock charged from the board's
// counters.
type vcpu struct {
	cost  CPU
	on    bool
	mss   int
	busy  int64 // the core is busy until then
	total int64 // ns charged since start
	last  counters
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

func newVCPU(c CPU) *vcpu {
	v := &vcpu{cost: c, on: c.On(), mss: c.MSS}
	if v.mss <= 0 {
		v.mss = 1460
	}
	return v
}

// idle reports whether the core can take new input at now.
func (v *vcpu) idle(now int64) bool { return !v.on || v.busy <= now }

// charge adds ns of work that arrived at now.
func (v *vcpu) charge(now, ns int64) {
	if !v.on || ns <= 0 {
		return
	}
	start := v.busy
	if start < now {
		if now-start > wakeSlack {
			ns += v.cost.Wake
		}
		start = now
	}
	v.busy = start + ns
	v.total += ns
}

// account charges the work the board's counters show since the last call,
// plus rxBytes received in this call.
func (v *vcpu) account(now int64, st *firmware.Stats, rxBytes int) {
	if !v.on {
		return
	}
	c := readCounters(st)
	l := v.last
	v.last = c
	k := &v.cost
	ns := int64(c.accepted-l.accepted)*k.Accept + int64(c.requests-l.requests)*k.Request +
		int64(c.upgrades-l.upgrades)*k.Handshake + int64(c.msgsIn-l.msgsIn)*k.MsgIn +
		int64(c.msgsOut-l.msgsOut)*k.MsgOut + int64(c.closes-l.closes)*k.Close
	if rxBytes > 0 {
		ns += v.segments(rxBytes)*k.Segment + int64(float64(rxBytes)*k.ByteIn)
	}
	v.charge(now, ns)
}

// output charges n bytes the firmware appended for sending.
func (v *vcpu) output(now int64, n int) {
	if !v.on || n <= 0 {
		return
	}
	v.charge(now, v.segments(n)*v.cost.Segment+int64(float64(n)*v.cost.ByteOut))
}

func (v *vcpu) segments(n int) int64 { return int64((n + v.mss - 1) / v.mss) }

// done is when work charged so far is finished.
func (v *vcpu) done(now int64) int64 {
	if v.busy > now {
		return v.busy
	}
	return now
}
