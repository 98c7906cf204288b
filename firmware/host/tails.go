package host

import (
	"math"
	"math/rand/v2"
)

// Tails is the WiFi link's delay beyond its base round trip: a seeded,
// reproducible model (the same seed gives the same sequence of delays).
//
//   - Jitter: every packet the board sends waits an extra delay drawn from
//     an exponential distribution of mean Jitter (contention, backoff,
//     rate adaptation on the air).
//   - Tail: with probability TailP a packet takes a heavy-tailed delay
//     instead: Pareto with minimum TailMin and shape TailAlpha, capped at
//     TailMax (802.11 retries at falling rates, the AP's buffering, a
//     station briefly off channel).
//   - Loss: with probability Loss a segment is lost after the MAC gave up
//     and TCP retransmits it after RTO (lwIP: at least one 500 ms slow
//     timer tick; Linux clients: 200 ms). A loss stalls that connection's
//     stream (in-order delivery).
//   - PowerSave: the station dozes between beacons (modem sleep, the
//     ESP-IDF default); a frame for it that arrives while it dozes waits
//     for the next DTIM beacon (102.4 ms x DTIM). The radio is shared: a
//     doze holds every connection's input until the beacon. The station is
//     awake for PSAwake after any traffic.
//
// Delays apply to what the board sends and hold a connection's output in
// order: a late packet delays those behind it, as TCP does. Jitter is per
// packet; the tail and loss per exchange (not again for a packet that
// joins output still in flight).
type Tails struct {
	Seed      uint64
	Jitter    int64 // mean of the exponential per-packet delay, ns
	TailP     float64
	TailMin   int64 // ns
	TailMax   int64 // ns
	TailAlpha float64
	Loss      float64
	RTO       int64 // ns
	PowerSave bool
	DTIM      int   // beacons per DTIM; default 1
	PSAwake   int64 // ns the station stays awake after traffic; default 50 ms
}

// BeaconInterval is 802.11's default beacon interval, 100 TU.
const BeaconInterval = 102_400_000

// DefaultPSAwake is how long the station stays awake after traffic when
// Tails.PSAwake is 0, ns.
const DefaultPSAwake = 50_000_000

// On reports whether any tail is modelled.
func (t Tails) On() bool {
	return t.Jitter > 0 || t.TailP > 0 || t.Loss > 0 || t.PowerSave
}

// tailGen draws the delays.
type tailGen struct {
	t   Tails
	rng *rand.Rand
	// power save: the station is awake until awakeUntil; while it dozes,
	// input waits for the next DTIM beacon.
	awakeUntil int64
	phase      int64
	draws      uint64
	held       int64 // input waits until then (the next beacon)
}

func newTailGen(t Tails) *tailGen {
	if !t.On() {
		return nil
	}
	if t.DTIM <= 0 {
		t.DTIM = 1
	}
	if t.PSAwake <= 0 {
		t.PSAwake = DefaultPSAwake
	}
	if t.RTO <= 0 {
		t.RTO = 500_000_000
	}
	if t.TailAlpha <= 0 {
		t.TailAlpha = 1.5
	}
	g := &tailGen{t: t, rng: rand.New(rand.NewPCG(t.Seed, t.Seed^0x9e3779b97f4a7c15))}
	g.phase = g.rng.Int64N(BeaconInterval)
	return g
}

// delay draws the extra delay of one packet the board sends. The heavy
// tail and loss are drawn per exchange: a packet that joins output still
// in flight (a stream, a burst) gets jitter only, so a bulk transfer does
// not stall once per segment.
func (g *tailGen) delay() int64 { return g.draw(false) }

func (g *tailGen) draw(inFlight bool) int64 {
	if g == nil {
		return 0
	}
	g.draws++
	t := &g.t
	var d int64
	if t.Jitter > 0 {
		d += int64(g.rng.ExpFloat64() * float64(t.Jitter))
	}
	if inFlight {
		return d
	}
	if t.TailP > 0 && g.rng.Float64() < t.TailP {
		u := 1 - g.rng.Float64() // (0, 1]
		x := float64(t.TailMin) * math.Pow(u, -1/t.TailAlpha)
		if t.TailMax > 0 && x > float64(t.TailMax) {
			x = float64(t.TailMax)
		}
		d += int64(x)
	}
	if t.Loss > 0 && g.rng.Float64() < t.Loss {
		d += t.RTO
	}
	return d
}

// inputAt is when input that reached the radio at now can be taken: now,
// or the next DTIM beacon if the station dozes. Traffic keeps it awake.
func (g *tailGen) inputAt(now int64) int64 {
	if g == nil || !g.t.PowerSave {
		return now
	}
	if now <= g.awakeUntil {
		g.awakeUntil = now + g.t.PSAwake
		return now
	}
	dtim := int64(BeaconInterval) * int64(g.t.DTIM)
	k := (now - g.phase + dtim - 1) / dtim
	at := g.phase + k*dtim
	g.awakeUntil = at + g.t.PSAwake
	return at
}

// traffic notes that the station sent at now (it is awake).
func (g *tailGen) traffic(now int64) {
	if g == nil || !g.t.PowerSave {
		return
	}
	if a := now + g.t.PSAwake; a > g.awakeUntil {
		g.awakeUntil = a
	}
}

// heard notes a frame that reached the radio at now and reports whether
// the station had it: an awake one receives it, whether or not its core
// is free to read it, and stays awake after it; a dozing one does not
// (the AP keeps it for the next DTIM beacon: hold). Under a steady stream
// of input the station never dozes, though its output can come in bursts
// further apart than it stays awake after traffic.
func (g *tailGen) heard(now int64) bool {
	if g == nil || !g.t.PowerSave {
		return true
	}
	if now > g.awakeUntil {
		return false
	}
	if a := now + g.t.PSAwake; a > g.awakeUntil {
		g.awakeUntil = a
	}
	return true
}

// hold is when the radio lets input in at now (power save: the next
// beacon, until which every connection's input waits), or 0 if it does now.
func (g *tailGen) hold(now int64) int64 {
	if g == nil {
		return 0
	}
	if g.held > now {
		return g.held
	}
	if at := g.inputAt(now); at > now {
		g.held = at
		return at
	}
	return 0
}
