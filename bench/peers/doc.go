// Package peers compares wslab's core with other Go WebSocket libraries,
// github.com/gobwas/ws, github.com/gorilla/websocket and github.com/lxzan/gws,
// on the same operations in the same run. It is a module of its own so that
// core and the main module never depend on them.
//
// The benchmarks are in peers_test.go, named Benchmark<Op>/[form=<f>/]impl=<lib>
// so that benchstat puts the libraries side by side. bench.sh (make
// bench-peers) builds the test binary once, runs it in several passes so
// the libraries alternate through the run, and prints benchstat -col /impl:
// the change against the first column, the base.
//
// The base of every comparison is gobwas's fastest zero-allocation path,
// the API closest to core's; TestZeroAllocBases asserts that those paths,
// and wslab's, allocate nothing, and the allocs/op column shows it too.
//
//   - HeaderParse (7-, 16- and 64-bit lengths, masked or not):
//     core.ParseHeader on the bytes; ws.ReadHeaderBuffer with a reused
//     buffer over a reused bytes.Reader. gorilla and gws have no header API.
//   - HeaderWrite: core.AppendHeader into a reused slice;
//     ws.WriteHeaderBuffer with a reused buffer into a reused bytes.Buffer
//     (gobwas has no append form).
//   - Mask: core.Mask and ws.Cipher on the same buffer, with copy() of the
//     same size as the bandwidth yardstick (impl=copy).
//   - ServerHandshake: a Chrome request read from an in-memory connection
//     and the 101 written to it, on every side. wslab: the board's way, a
//     fixed receive buffer, core.ServerHandshake into a fixed transmit
//     buffer, one Write. gobwas: ws.Upgrade on the connection (one
//     allocation of its own per call). gorilla and gws need net/http:
//     http.ReadRequest on a reused bufio.Reader, then their Upgrader; this is
//     what net/http's server does for them minus its own per-connection
//     work, a lower bound on their real cost, and their counts include the
//     connection object they return. The benchmark's comment lists which
//     checks each library makes: gobwas does not check header bytes against
//     RFC 9110 nor the key's base64, gws checks neither Host, nor the HTTP
//     version, nor the key's form. impl=floor is the work all of them
//     share and nothing else: the read, SHA-1 of the key and the GUID
//     (crypto/sha1), base64 of the digest into a 101 made in advance and
//     the write, with the key at an offset known in advance. Its column is
//     the floor's share of gobwas's time; what an implementation spends
//     above it is its own.
//   - Echo64: a server reads a client's masked 64-byte binary message from
//     a connection and writes it back unmasked. wslab: the board's path,
//     the streaming Reader through ConnReader, each piece appended as a
//     frame to a fixed buffer and written. gobwas: bufio.Reader,
//     ReadHeaderBuffer, io.ReadFull, ws.Cipher, WriteHeaderBuffer and a
//     Write of the payload; it checks no RSV bits, opcodes or UTF-8 (wslab
//     does). gorilla: NextReader, io.ReadFull and WriteMessage. gws:
//     ReadLoop with an OnMessage that writes the message back (gws reads
//     only in a loop, so the connection ends after b.N frames; it allocates
//     in steady state). The connection replays the frame and keeps what is
//     written in a reused buffer, so only the libraries' own work is
//     measured.
//
// nbio (github.com/lesismal/nbio) has no comparable API: its WebSocket
// parser is driven by its own engine (nbhttp.Engine, with executors and a
// body allocator) from net/http-style upgrades, so it is not here.
//
// same_test.go checks that the libraries produce the same bytes for each
// operation, so a benchmark never compares different work.
//
// On a busy machine wall-clock benchmarks mostly measure the other
// processes. cputime_test.go measures the four figures of issue 16 in the
// thread's own CPU time, wslab and gobwas alternating, and prints the
// paired ratios' medians and ranges, and for the handshake the floor and
// each side's overhead above it (bench.sh prints these after the table):
//
//	PEERS_CPUTIME=1 go test -run CPUTime -v
package peers
