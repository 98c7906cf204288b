// Package peers compares wslab's core with other Go WebSocket libraries,
// github.com/gobwas/ws and github.com/gorilla/websocket, on the same
// operations in the same run. It is a module of its own so that core and
// the main module never depend on them.
//
// The benchmarks are in peers_test.go, named Benchmark<Op>/[size=<n>/]impl=<lib>
// so that benchstat puts the libraries side by side:
//
//	go test -run '^$' -bench . -count 6 | tee /tmp/peers.txt
//	benchstat -col /impl /tmp/peers.txt
//
// (bench.sh does both.) The first column, the base that benchstat compares
// the others with, is gobwas, whose low-level API is closest to core's.
//
// What each operation means per library, and where a comparison is
// limited:
//
//   - HeaderParse: core.ParseHeader on the bytes; ws.ReadHeader on a
//     bytes.Reader reset to the same bytes (it allocates its 12-byte
//     buffer each call) and ws.ReadHeaderBuffer with a reused buffer
//     (impl=gobwas-buf). gorilla has no header API.
//   - HeaderWrite: core.AppendHeader into a reused buffer; ws.WriteHeader and
//     ws.WriteHeaderBuffer into a bytes.Buffer that is Reset each time.
//   - Mask: core.Mask and ws.Cipher on the same buffer, with copy() of the
//     same size as the bandwidth yardstick (impl=copy). gorilla's mask is
//     unexported.
//   - ServerHandshake: from the raw bytes of a Chrome request to the bytes
//     of the 101 response. core: ServerHandshake into a reused buffer.
//     gobwas: ws.Upgrade on a fake connection that replays the request and
//     collects what is written. gorilla needs net/http: http.ReadRequest on
//     a reused bufio.Reader, then Upgrader.Upgrade with a ResponseWriter
//     that hijacks to the fake connection; this is what net/http's server
//     does for it, minus the server's own per-connection work, so it is a
//     lower bound on gorilla's real cost. gorilla's count includes the
//     *websocket.Conn it returns, since the API cannot upgrade without it.
//   - Echo64: a server reads a masked 64-byte binary message from a
//     connection and writes it back unmasked. core: ConnReader.Next and
//     Writer.WriteMessage with fixed buffers. gobwas low level:
//     ws.ReadHeader, io.ReadFull, ws.Cipher, ws.WriteHeader and a Write of
//     the payload (impl=gobwas), or the same with the Buffer twins
//     (impl=gobwas-buf). gorilla: NextReader, io.ReadFull and WriteMessage
//     on a Conn from Upgrade. The connection replays the frame forever
//     and drops what is written, so only the libraries' own work is
//     measured.
//
// peers_test.go also checks that the libraries produce the same bytes for
// each operation, so a benchmark never compares different work.
package peers
