// Package loadgen is wslab's load generator: many WebSocket connections
// from one process, driven through core's client handshake and frame code,
// with latency recorded in HDR histograms and the board's heap sampled on
// the same clock. Run executes one scenario (a Spec) and returns one
// results.Run.
//
// The engine is a few worker goroutines (GOMAXPROCS, less one when the
// target is on this machine), each running a level-triggered epoll event
// loop over its share of the connections, so thousands of connections cost
// their buffers, not a goroutine each, and a message costs one read and one
// write. The per-message send and receive paths allocate nothing (asserted
// with testing.AllocsPerRun), every buffer is made when the worker is, and
// each worker records into its own histograms, handed to a collector at
// interval boundaries, so the hot path takes no lock. Client sockets bind
// to further 127.0.0.x source addresses (or the caller's list) when the
// ephemeral ports of one run out, and cap their segments at a board
// network's MSS (1460) by default.
//
// Pacing: closed loop (send, wait for the echo, send again) or open loop at
// a constant rate per connection or in total. An open-loop message has an
// intended send time from the schedule; latency is recorded both from that
// time (HistLatency: coordinated omission corrected) and from the time it
// was actually written (HistService), and the lateness of each send is
// recorded too (HistLateness). A send the schedule wants but no connection
// can take (its in-flight ring is full, or none is open) is owed, not
// dropped: it leaves as soon as a connection can take it, late, and its
// latency counts from its intended time; a message still owed or
// unanswered when the run gives up is recorded at the lateness it reached
// and counted as an error ("backlog", "unsent", "lost"), and the record's
// notes say how many of the latency figures are such messages. The
// schedule is one Pacer (message k due at start + k/rate), for WebSocket
// and HTTP alike. The pacer sleeps on a timerfd (nanosecond
// resolution, unlike Go timers, which round sub-millisecond waits up to a
// millisecond when idle) until SpinAhead before the due time, then spins.
//
// Shape: a connection (conn.go) is a state machine with no socket inside:
// bytes in, bytes out, time passed in. The worker's epoll loop
// (sockets.go) is its transport and the only place that makes system
// calls on connections; tests drive the same connections over an
// in-process firmware.Board on a virtual clock. The scenarios are data
// (scenario.go: one row each, with the rule that says what is sent and
// what an answer means).
//
// Broadcast latency compares the sender's stamp with the receiver's
// clock, so it needs one clock: stamps carry a tag of the sender's machine
// (its boot id), and a receiver on another machine counts those messages
// without timing them, with a note saying so.
//
// Scenarios: connect (ramp connections; handshake latency; how the board
// refused), echo (closed loop), rate (open loop), stream (board to client
// via /ws/source), sink (client to board via /ws/sink), broadcast (fan-out
// latency from one sender to every receiver, from a timestamp in the
// payload), http (GET or PUT of files with fasthttp), churn (connect/close
// cycles, with the board's heap read before, after and after a settle
// delay) and soak (a long echo or rate run with reconnections; the heap's
// slope per hour). Churn and soak give a leak verdict (CheckLeak).
//
// The field scenarios (probe.go and a file each) ask what breaks boards in
// the field, on a few blocking connections over core's codec, and give a
// one-line answer (a note prefixed AnswerNote; Answer reads it): browser
// (page loads as Chromium and Firefox do them: how many users open the
// page at once), reload (a reload storm without close frames: recovered or
// not), background-tab (clients that stop reading: are the others
// stalled, the stuck ones dropped or closed), dead-peers (clients that
// vanish, their packets dropped by a socket filter so they send no ACK and
// no RST, or only silent: how long their slots stay held), reconnect-storm
// (every client's connection vanishes, all come back with a backoff),
// ladder (echo at the sizes where boards break, split across segments: the
// first failing size and how) and nodrop (bisection over the open-loop
// rate for the highest rate without drops and with bounded latency). The
// data of their figures (plots.FieldFigure) goes in the Run's parameters.
//
// The board's /stats (when the target has one) gives the Run's board
// identity and the heap and RAM series; each reading is a short GET on a
// connection of its own. A wslab board names a stats port in /stats that
// takes no slot, and the readings go there; a real board serves /stats
// from a client slot, so a full board can refuse a reading: the record's
// notes say which (and a board leaking per connection leaks per reading
// too). When the board runs in the same process as
// the generator (tests, wslab lab), its heap figure is the process's, so
// the generator keeps its own heap flat during a run: histograms for every
// interval are allocated before the run starts, connections reuse their
// buffers, and the stats sampler parses /stats without allocating.
package loadgen
