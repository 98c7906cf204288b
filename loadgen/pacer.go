package loadgen

// Pacer is an open-loop schedule: message k is due at Start + k*Every
// (nanoseconds on the run's clock). It is the one schedule of the package:
// the WebSocket workers and the HTTP goroutines both take due times from
// it, so what "intended send time" means is written once.
type Pacer struct {
	Start int64   // due time of message 0
	Every float64 // nanoseconds between messages (1e9 / rate)
}

// NewPacer returns the schedule of rate messages per second from start.
func NewPacer(start int64, rate float64) Pacer {
	return Pacer{Start: start, Every: 1e9 / rate}
}

// Due is the intended send time of message k.
func (p Pacer) Due(k int64) int64 { return p.Start + int64(float64(k)*p.Every) }

// owed is what a worker owes the schedule: open-loop messages that were due
// but could not be sent (the connection's in-flight ring was full, or no
// connection was open), oldest first, with their intended send times. They
// go out as soon as a connection can take them, and their latency is
// counted from the intended time, so a stall is in the distribution; the
// ones still owed when the run gives up are recorded at the lateness they
// reached and counted as errors (backlog or unsent). A full queue gives
// its oldest up the same way.
type owed struct {
	at   []int64 // intended times; a power-of-two ring
	kind []errKind
	head int
	n    int
}

// owedCap bounds a worker's owed messages.
const owedCap = 1 << 14

func newOwed() owed {
	return owed{at: make([]int64, owedCap), kind: make([]errKind, owedCap)}
}

func (o *owed) push(intended int64, k errKind) (int64, errKind, bool) {
	var oldAt int64
	var oldK errKind
	full := o.n == len(o.at)
	if full {
		oldAt, oldK = o.pop()
	}
	i := (o.head + o.n) & (len(o.at) - 1)
	o.at[i], o.kind[i] = intended, k
	o.n++
	return oldAt, oldK, full
}

func (o *owed) pop() (int64, errKind) {
	at, k := o.at[o.head], o.kind[o.head]
	o.head = (o.head + 1) & (len(o.at) - 1)
	o.n--
	return at, k
}
