// Package host runs a firmware.Board on Linux as an emulated board: a
// single event-loop goroutine over epoll drives every slot's state machine
// (so thousands of slots cost their buffers, not a goroutine stack each),
// refuses clients the board's way when it is full, keeps its files in a
// directory, and can emulate the board's link: a bandwidth shared by all of
// its connections plus a round-trip delay, on the host side only, so the
// board-side code is unchanged.
//
// The refusal modes are done with the kernel as the board's stack would:
// a full backlog board stops accepting and lowers its listen backlog to
// Config.Backlog (newcomers complete TCP and hang, later SYNs are dropped);
// a full syn-drop board also attaches a classic BPF filter that drops
// every packet to the listening socket, so SYNs go unanswered and the
// client's kernel retransmits them; a full reset board closes its listening
// socket, so the kernel answers SYNs with RST|ACK, and listens again when a
// slot frees. /stats and /metrics are also served on a stats port of their
// own (Server.StatsURL) that takes no slot.
//
// With Options.TLS the host terminates TLS in front of the board (tls.go):
// the board code stays TLS-free; the handshake and the record bytes are
// charged to the board's CPU (CPU.TLSHandshake, CPU.TLSByte) and each
// session's heap (TLS.SessionRAM) is counted in the board's RAM.
package host
