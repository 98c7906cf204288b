package firmware

import "github.com/wslab/wslab/core"

// doHead parses a request head once it is whole and dispatches it. It waits
// for earlier output to drain first, so every response head fits tx.
func (s *Slot) doHead(now int64) {
	if s.te != s.ts {
		return
	}
	buf := s.rxb()[s.rs:s.re]
	if len(buf) == 0 {
		if s.eof {
			s.closeAfterFlush() // every request the client sent was answered
		}
		return
	}
	req, n, err := core.ParseRequestFrom(buf, s.scanned-s.rs)
	if err == core.ErrNeedMore {
		if s.eof {
			s.closeAfterFlush() // a head the client will never finish
			return
		}
		s.scanned = s.re
		if s.rs == 0 && s.re == len(s.rxb()) {
			s.b.st.HTTPRequests++ // answered, so counted
			s.fail(431)           // the head does not fit the board's buffer
		}
		return
	}
	s.b.st.HTTPRequests++
	if err != nil {
		s.fail(core.HTTPStatus(err))
		return
	}
	s.rs += n
	s.scanned = s.rs
	s.headStart = 0
	s.keepAlive = req.Minor >= 1 && !req.ConnClose
	s.route(&req, now)
}

func (s *Slot) route(req *core.Request, now int64) {
	path := req.Path
	method := req.Method
	if (req.ContentLength > 0 || req.Chunked) && !core.Equal(method, "PUT") && !core.Equal(method, "POST") {
		// Only uploads have a body; any other request's "body" would be
		// read as the next request (request smuggling): refuse and close.
		s.fail(400)
		return
	}
	switch {
	case hasPrefix(path, "/ws") && (len(path) == 3 || path[3] == '/'):
		if !req.IsUpgrade() {
			s.fail(426)
			return
		}
		s.upgrade(req, now)
	case core.Equal(path, "/"):
		if !isGetOrHead(method) {
			s.methodNotAllowed("Allow: GET, HEAD\r\n")
			return
		}
		s.respondPage(200, "text/html; charset=utf-8", core.Equal(method, "HEAD"))
	case core.Equal(path, "/stats") || core.Equal(path, "/metrics"):
		if !isGetOrHead(method) {
			s.methodNotAllowed("Allow: GET, HEAD\r\n")
			return
		}
		s.respondStats(core.Equal(path, "/metrics"), core.Equal(method, "HEAD"))
	case core.Equal(path, "/files") || core.Equal(path, "/files/"):
		s.listFiles(core.Equal(method, "HEAD"), method) // files.go
	case hasPrefix(path, "/files/"):
		s.files(req, path[len("/files/"):])
	default:
		s.fail(404)
	}
}

func isGetOrHead(m []byte) bool { return core.Equal(m, "GET") || core.Equal(m, "HEAD") }

// fileMethod is a /files request's method, compared once as bytes.
type fileMethod uint8

const (
	fmOther fileMethod = iota
	fmGet
	fmHead
	fmPut
	fmPost
	fmDelete
)

func fileMethodOf(m []byte) fileMethod {
	switch {
	case core.Equal(m, "GET"):
		return fmGet
	case core.Equal(m, "HEAD"):
		return fmHead
	case core.Equal(m, "PUT"):
		return fmPut
	case core.Equal(m, "POST"):
		return fmPost
	case core.Equal(m, "DELETE"):
		return fmDelete
	}
	return fmOther
}

func (s *Slot) files(req *core.Request, name []byte) {
	m := fileMethodOf(req.Method)
	if m == fmOther {
		s.methodNotAllowed("Allow: GET, HEAD, PUT, POST, DELETE\r\n")
		return
	}
	if !ValidName(name) {
		s.fail(400)
		return
	}
	st := s.b.store
	if st == nil {
		s.fail(501)
		return
	}
	switch m {
	case fmGet, fmHead:
		f, size, err := st.Open(name)
		if err != nil {
			if err == ErrNotExist {
				s.fail(404)
			} else {
				s.fail(500)
			}
			return
		}
		s.head(200, "application/octet-stream", size, "")
		if m == fmHead || size == 0 {
			f.Close()
			s.finishResponse()
			return
		}
		s.src, s.file, s.left = srcFile, f, size
		s.state = stRespond
	case fmDelete:
		if err := st.Remove(name); err != nil {
			if err == ErrNotExist {
				s.fail(404)
			} else {
				s.fail(500)
			}
			return
		}
		s.head(204, "", -1, "")
		s.finishResponse()
	default: // PUT, POST
		if req.Chunked || req.ContentLength < 0 {
			s.fail(411)
			return
		}
		if req.ContentLength > s.b.cfg.MaxUpload {
			s.fail(413)
			return
		}
		up, err := st.Create(name, int64(req.ContentLength))
		if err != nil {
			if err == ErrNoSpace {
				s.fail(507)
			} else {
				s.fail(500)
			}
			return
		}
		s.up, s.left = up, int64(req.ContentLength)
		if req.Expect100 {
			s.te = len(append(s.txb()[:s.te], "HTTP/1.1 100 Continue\r\n\r\n"...))
		}
		s.state = stBody
	}
}

// doBody writes upload bytes to the store; the file becomes visible only
// when the last byte has arrived and Commit succeeds.
func (s *Slot) doBody(now int64) {
	for s.left > 0 && s.rs < s.re {
		chunk := s.rxb()[s.rs:s.re]
		if int64(len(chunk)) > s.left {
			chunk = chunk[:s.left]
		}
		if _, err := s.up.Write(chunk); err != nil {
			s.up.Abort()
			s.up = nil
			s.b.st.UploadsAborted++
			if err == ErrNoSpace {
				s.fail(507)
			} else {
				s.fail(500)
			}
			return
		}
		s.rs += len(chunk)
		s.left -= int64(len(chunk))
	}
	if s.left > 0 {
		return
	}
	if s.te != s.ts {
		return // the 100 Continue has not left yet
	}
	up := s.up
	s.up = nil
	if err := up.Commit(); err != nil {
		s.b.st.UploadsAborted++
		s.fail(500)
		return
	}
	s.b.st.Uploads++
	s.head(201, "text/plain", 8, "")
	s.te = len(append(s.txb()[:s.te], "stored.\n"...))
	s.finishResponse()
}

// doRespond refills tx from the response body source.
func (s *Slot) doRespond() {
	for {
		free := s.txFree()
		if free == 0 {
			return
		}
		switch s.src {
		case srcMem, srcStats:
			if s.src == srcStats && !s.acquireStats() {
				return
			}
			body := s.b.page
			if s.src == srcStats {
				body = s.b.statsDoc
			}
			n := copy(s.txb()[s.te:], body[s.memOff:])
			s.te += n
			s.memOff += int32(n)
			if int(s.memOff) < len(body) {
				return
			}
			if s.src == srcStats {
				s.releaseStats()
			}
		case srcFile:
			want := int64(free)
			if want > s.left {
				want = s.left
			}
			n, err := s.file.Read(s.txb()[s.te : s.te+int(want)])
			s.te += n
			s.left -= int64(n)
			if s.left > 0 {
				if err != nil || n == 0 {
					s.closeAfterFlush() // the file shrank or failed: the length sent is a lie, end here
					return
				}
				continue
			}
			s.file.Close()
			s.file = nil
		}
		s.src = srcNone
		s.finishResponse()
		return
	}
}

// finishResponse ends a response: keep the connection for the next request
// or close it once the bytes are out.
func (s *Slot) finishResponse() {
	if s.src != srcNone {
		return
	}
	if s.keepAlive {
		s.state = stHead
		s.kept = true
		s.headStart = 0
		if s.rs < s.re {
			s.headStart = s.lastIn
		}
		return
	}
	s.closeAfterFlush()
}

func (s *Slot) closeAfterFlush() {
	s.cleanup()
	s.state = stClosing
}

// head writes a response head into tx. length < 0 writes no Content-Length.
func (s *Slot) head(code int, contentType string, length int64, extra string) {
	s.countStatus(code)
	d := core.AppendStatusLine(s.txb()[:s.te], code)
	d = append(d, extra...)
	if contentType != "" {
		d = append(d, "Content-Type: "...)
		d = append(d, contentType...)
		d = append(d, "\r\n"...)
	}
	if length >= 0 {
		d = append(d, "Content-Length: "...)
		d = core.AppendInt(d, length)
		d = append(d, "\r\n"...)
	}
	if !s.keepAlive {
		d = append(d, "Connection: close\r\n"...)
	}
	d = append(d, "Cache-Control: no-store\r\n\r\n"...)
	s.te = len(d)
}

// fail answers with an error status and closes the connection.
func (s *Slot) fail(code int) {
	s.keepAlive = false
	s.ts, s.te = 0, 0
	extra := ""
	if code == 426 {
		extra = "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
	}
	msg := core.StatusText(code)
	s.head(code, "text/plain", int64(len(msg)+1), extra)
	d := append(s.txb()[:s.te], msg...)
	s.te = len(append(d, '\n'))
	s.rs, s.re = 0, 0
	s.closeAfterFlush()
}

// methodNotAllowed answers 405; allowLine is a whole "Allow: ...\r\n" line.
func (s *Slot) methodNotAllowed(allowLine string) {
	s.keepAlive = false
	s.ts, s.te = 0, 0
	msg := "Method Not Allowed\n"
	s.head(405, "text/plain", int64(len(msg)), allowLine)
	s.te = len(append(s.txb()[:s.te], msg...))
	s.rs, s.re = 0, 0
	s.closeAfterFlush()
}

func (s *Slot) countStatus(code int) {
	if c := code / 100; c >= 1 && c <= 5 {
		s.b.st.HTTPStatus[c]++
	}
}

// respondPage answers with the board's page.
func (s *Slot) respondPage(code int, contentType string, headOnly bool) {
	body := s.b.page
	s.head(code, contentType, int64(len(body)), "")
	if headOnly || len(body) == 0 {
		s.finishResponse()
		return
	}
	s.src, s.memOff = srcMem, 0
	s.state = stRespond
}
