package firmware

import _ "embed"

// Page is the board's own page, served at GET /: the board's /stats live
// (slots, RAM, connections, messages, bytes, HTTP, refetched every second),
// a WebSocket console (connect, send text or binary, see echoes with their
// round-trip time), and its files (the GET /files list and an upload form),
// like the pages such boards serve. It stays under 8 KiB (flash).
//
//go:embed page.html
var Page []byte
