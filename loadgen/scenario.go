package loadgen

import "strings"

// rule is what a scenario's connections send and what a message from the
// board means: the behaviour behind a scenario name, written once.
type rule uint8

const (
	// ruleHold: connections open (the ramp), stay open for Hold and
	// close; nothing is sent and a message from the board is unexpected.
	ruleHold rule = iota
	// ruleEcho: stamped messages (a sequence number), each answered by
	// its echo; closed loop with Window in flight, or open loop.
	ruleEcho
	// ruleCycle: connect, one echoed message (or none), close, again.
	ruleCycle
	// ruleSink: the client sends; the board answers nothing.
	ruleSink
	// ruleStream: the board sends (/ws/source) until it closes with 1000.
	ruleStream
	// ruleBroadcast: connection 0 sends stamped messages (sequence and
	// times), and every connection receives each of them.
	ruleBroadcast
	// ruleHTTP: requests of a file with fasthttp, no WebSocket.
	ruleHTTP
	// ruleProbe: a field scenario (probe.go): a few blocking connections
	// doing what browsers and flaky networks do, and a one-line answer.
	ruleProbe
)

// scenario is one scenario as data: its rule, the board endpoint it
// talks to, how it paces, its defaults and what it measures.
type scenario struct {
	name     string
	rule     rule
	endpoint string // the path on a wslab board when the target gives none
	// pace: Rate makes the scenario open loop (paceable), or it needs a
	// Rate (paceRequired), or Rate means something else (rateOther:
	// stream: the board's push rate; http: requests per second); a
	// scenario that takes no rate (paceNever) refuses one.
	pace      paceRule
	reconnect int64 // default ReconnectEvery
	// heapMarks: the board's heap is read before the cycles, after them
	// (and after a settle, churn), and a leak verdict goes in the notes.
	heapMarks bool
	about     string
}

type paceRule uint8

const (
	paceNever paceRule = iota
	paceable
	paceRequired
	rateOther
)

// scenarioTable lists every scenario, in the order of the package doc.
var scenarioTable = [...]scenario{
	{name: Connect, rule: ruleHold, endpoint: "/ws", about: "ramp connections past the board's slots: handshake latency, how the board refused"},
	{name: Echo, rule: ruleEcho, endpoint: "/ws", about: "closed-loop echo: latency and message rate"},
	{name: Rate, rule: ruleEcho, endpoint: "/ws", pace: paceRequired, about: "open-loop echo at a set rate: latency corrected for coordinated omission"},
	{name: Stream, rule: ruleStream, endpoint: "/ws/source", pace: rateOther, about: "board to client (/ws/source): throughput down"},
	{name: Sink, rule: ruleSink, endpoint: "/ws/sink", pace: paceable, about: "client to board (/ws/sink): throughput up"},
	{name: Broadcast, rule: ruleBroadcast, endpoint: "/ws/broadcast", pace: paceable, about: "one sender, every connection receives: fan-out latency"},
	{name: HTTP, rule: ruleHTTP, endpoint: "/files/", pace: rateOther, about: "GET or PUT of files: request latency"},
	{name: Churn, rule: ruleCycle, endpoint: "/ws", heapMarks: true, about: "connect/close cycles: the board's heap before, after and after a settle"},
	{name: Soak, rule: ruleEcho, endpoint: "/ws", pace: paceable, reconnect: DefaultSoakReconn, heapMarks: true, about: "a long echo or rate run with reconnections: the heap's slope per hour"},
	{name: Browser, rule: ruleProbe, endpoint: "/ws", about: "page loads as Chromium and Firefox do them (6 HTTP connections, then the WebSocket): how many users open the page at once"},
	{name: Reload, rule: ruleProbe, endpoint: "/ws", pace: rateOther, about: "reload storm (--rate reloads/s, no close frames): the board's slots and heap, and whether it recovers"},
	{name: BackgroundTab, rule: ruleProbe, endpoint: "/ws/broadcast", pace: rateOther, about: "some clients stop reading: are the others stalled, are the stuck ones dropped or closed"},
	{name: DeadPeers, rule: ruleProbe, endpoint: "/ws", about: "clients vanish without FIN: how long their slots stay held, whether newcomers get in"},
	{name: ReconnectStorm, rule: ruleProbe, endpoint: "/ws", about: "every client loses the board at once and comes back with backoff: time until all are back"},
	{name: Ladder, rule: ruleProbe, endpoint: "/ws", about: "echo across the message sizes where boards break, split across segments: the first failing size and how"},
	{name: NoDrop, rule: ruleProbe, endpoint: "/ws", pace: rateOther, about: "bisection over the open-loop rate: the highest rate with no drop and bounded latency"},
}

// Scenarios lists every scenario name, in the order of the package doc.
var Scenarios = func() []string {
	names := make([]string, len(scenarioTable))
	for i := range scenarioTable {
		names[i] = scenarioTable[i].name
	}
	return names
}()

// scenarioOf returns the scenario named name (lower case), or nil.
func scenarioOf(name string) *scenario {
	for i := range scenarioTable {
		if scenarioTable[i].name == name {
			return &scenarioTable[i]
		}
	}
	return nil
}

// ScenarioHelp is one line per scenario: its name and what it measures.
func ScenarioHelp() string {
	var b strings.Builder
	for i := range scenarioTable {
		sc := &scenarioTable[i]
		b.WriteString("  " + sc.name + strings.Repeat(" ", max(1, 11-len(sc.name))) + sc.about + "\n")
	}
	return b.String()
}

// echoes reports whether each message sent is answered by its echo.
func (r rule) echoes() bool { return r == ruleEcho || r == ruleCycle }

// sends reports whether the rule's connections send messages at all.
func (r rule) sends() bool {
	return r == ruleEcho || r == ruleCycle || r == ruleSink || r == ruleBroadcast
}

// stamped reports whether messages carry a stamp the client reads back.
func (r rule) stamped() bool { return r.echoes() || r == ruleBroadcast }

// rxLen is a connection's receive buffer for frames of frame bytes, with
// own connections in this process.
func (r rule) rxLen(frame, own int) int {
	switch r {
	case ruleStream:
		if own <= 64 {
			return 64 << 10
		}
		return 16 << 10
	case ruleHold, ruleCycle, ruleSink:
		return 2 << 10
	}
	return min(max(frame, 4<<10), 64<<10)
}
