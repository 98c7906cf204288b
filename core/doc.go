// Package core is an allocation-free codec for RFC 6455 WebSocket frames and
// the HTTP/1.1 upgrade handshake, for both the server (board) and the client
// (load generator) side.
//
// It is shared by the firmware, which must run on microcontrollers under
// TinyGo, and by host tools, so it imports only small parts of the standard
// library (no fmt, maps, reflect or net/http) and never allocates on a hot
// path: every parser works on bytes the caller owns and every writer appends
// to a buffer the caller owns. The tests assert zero allocations with
// testing.AllocsPerRun for each hot path.
//
// The package is sans-I/O at its centre: Reader is fed the bytes that arrived
// and hands back events (a message, a piece of a streamed message, a ping, a
// pong, a close), and AppendFrame writes a frame into the caller's buffer.
// ConnReader and Writer are thin conveniences over an io.Reader and
// io.Writer for code that has a blocking connection.
//
// Errors are comparable constants of type Error; CloseCodeOf maps each
// protocol error to the close code RFC 6455 asks for, and HTTPStatus maps
// each handshake error to its status code.
package core
