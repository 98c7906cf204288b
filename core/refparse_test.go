package core

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// refParseRequest is parseRequestHead written plainly, a line at a time
// with the bytes package, for the tests to hold parseHead's bitmaps and
// written-out fast paths to: the same Request, n and error for any input.
func refParseRequest(b []byte) (req Request, n int, err error) {
	n, err = refParseHead(&req, b)
	if err == nil {
		req.Head = b[:n]
		return req, n, nil
	}
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return Request{}, 0, ErrNeedMore
	}
	req.Head = b[:end+4]
	return req, 0, err
}

func isCtlByte(c byte) bool { return c < 0x20 || c == 0x7F }

func refParseHead(req *Request, b []byte) (int, error) {
	req.ContentLength = -1
	// The request line ends at its first control character, tab too.
	i := naiveIndex(b, isCtlByte)
	if i < 0 || b[i] != '\r' || i+1 == len(b) || b[i+1] != '\n' {
		return 0, ErrBadRequest
	}
	parts := strings.SplitN(string(b[:i]), " ", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return 0, ErrBadRequest
	}
	for j := 0; j < len(parts[0]); j++ {
		if !isTokenChar(parts[0][j]) {
			return 0, ErrBadRequest
		}
	}
	for j := 0; j < len(parts[1]); j++ {
		if c := parts[1][j]; c <= ' ' || c == 0x7F {
			return 0, ErrBadRequest
		}
	}
	proto := parts[2]
	if len(proto) != 8 || !strings.HasPrefix(proto, "HTTP/1.") {
		if strings.HasPrefix(proto, "HTTP/") {
			return 0, ErrHTTPVersion
		}
		return 0, ErrBadRequest
	}
	if proto[7] < '0' || proto[7] > '9' {
		return 0, ErrBadRequest
	}
	m := len(parts[0])
	req.Method = b[:m:m]
	t := m + 1 + len(parts[1])
	req.Target = b[m+1 : t : i]
	req.Minor = int(proto[7] - '0')
	req.Path = req.Target
	if q := bytes.IndexByte(req.Target, '?'); q >= 0 {
		req.Path, req.Query = req.Target[:q], req.Target[q+1:]
	}
	pos := i + 2
	for {
		// A field line ends at its first control character but tab.
		rest := b[pos:]
		e := naiveIndex(rest, func(c byte) bool { return c != '\t' && isCtlByte(c) })
		if e < 0 || rest[e] != '\r' || e+1 == len(rest) || rest[e+1] != '\n' {
			return 0, ErrBadRequest
		}
		line := rest[:e:e]
		pos += e + 2
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return 0, ErrBadRequest
		}
		for _, c := range line[:colon] {
			if !isTokenChar(c) {
				return 0, ErrBadRequest
			}
		}
		if err := req.header(refHeaderID(line[:colon]), trimOWS(line[colon+1:])); err != nil {
			return 0, err
		}
	}
	if req.Chunked && req.ContentLength >= 0 {
		return 0, ErrBadRequest
	}
	return pos, nil
}

// checkRefParse holds parseRequestHead to refParseRequest on b: the same
// error, and on success the same n and Request.
func checkRefParse(t *testing.T, b []byte) {
	t.Helper()
	req, n, err := parseRequestHead(b)
	rreq, rn, rerr := refParseRequest(b)
	if err != rerr || (err == nil && (n != rn || !reflect.DeepEqual(req, rreq))) {
		t.Fatalf("%q:\nparseHead: %v n=%d %+v\nreference: %v n=%d %+v", b, err, n, req, rerr, rn, rreq)
	}
}

// Every header Request keeps, in odd cases and among others, long and
// short lines, lines across the 64-byte blocks and the 512-byte windows
// of the bitmaps: parseHead agrees with the reference.
func TestParseHeadAgreesWithReference(t *testing.T) {
	names := append([]string{"X-A", "Pragma", "Cache-Control", "User-Agent", "Accept-Encoding", "Sec-WebSocket-Keys", "Hosts", "X_Y", "Ho st", "Origin2", "ORIGIN"}, headerNames[1:]...)
	values := []string{"websocket", "Upgrade", "keep-alive, Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", "127.0.0.1:8080", " \tv\t ", "", "12", "100-continue", "chunked"}
	for pad := 0; pad < 140; pad += 7 {
		for i, name := range names {
			for j, v := range values {
				var sb strings.Builder
				sb.WriteString("GET /ws?" + strings.Repeat("p", pad) + " HTTP/1.1\r\n")
				sb.WriteString("Host: h\r\n")
				for k := 0; k < 1+(i+j+pad)%14; k++ {
					sb.WriteString(names[(i+k*3)%len(names)] + ": " + strings.Repeat("v", (k*37+pad)%90) + "\r\n")
				}
				if i%2 == 0 {
					name = strings.ToUpper(name)
				}
				sb.WriteString(name + ":" + v + "\r\n\r\n")
				checkRefParse(t, []byte(sb.String()))
			}
		}
	}
}
