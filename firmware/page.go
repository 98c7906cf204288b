package firmware

import _ "embed"

// Page is the board's own page, served at GET /: a WebSocket console
// (connect, send text or binary, see echoes with their round-trip time) and
// a file upload form, like the pages such boards serve.
//
//go:embed page.html
var Page []byte
