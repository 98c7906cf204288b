// Package firmware is the board's HTTP + WebSocket server, written as the
// code a microcontroller would run: standard library only, TinyGo-friendly,
// with every buffer allocated once when the Board is made.
//
// It is sans-I/O. A Board owns a fixed number of Slots; each Slot is a state
// machine that is handed the bytes that arrived (RxSpace, Received) and hands
// back the bytes to send (TxPending, Sent), with the time passed in by the
// caller. No socket, goroutine or clock lives in this package, so the same
// code runs under the Linux event loop of package firmware/host (an emulated
// board with thousands of slots), under a TinyGo network stack's poll loop
// (package firmware/poll), and byte for byte in tests.
//
// A Board serves, on one listener:
//   - GET / (the board's page, embedded), GET /files (the file list as
//     JSON, when the Store is a Lister), GET /files/NAME, PUT and POST
//     /files/NAME (an upload replaces the old file only once it arrived
//     whole), DELETE /files/NAME, GET /stats (JSON) and GET /metrics
//     (Prometheus text);
//   - WebSocket endpoints /ws (echo), /ws/sink (read and discard),
//     /ws/source (the board pushes messages; see SourceParams) and
//     /ws/broadcast (each message goes to every broadcast client).
//
// Steady state allocates nothing: requests, upgrades and messages run on the
// slot's rx and tx buffers and a few board-wide buffers, all counted in
// Footprint.
package firmware
