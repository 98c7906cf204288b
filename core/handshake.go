package core

import (
	"crypto/sha1"
	"encoding/base64"
)

// keyGUID is the GUID RFC 6455 appends to the key before hashing.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// keyGUIDBytes is keyGUID for hash.Write, made once.
var keyGUIDBytes = []byte(keyGUID)

// AcceptKeyLen is the length of a Sec-WebSocket-Accept value.
const AcceptKeyLen = 28

// AcceptKey computes Sec-WebSocket-Accept for a Sec-WebSocket-Key:
// base64(SHA-1(key + GUID)). Keys longer than 24 bytes (invalid anyway) are
// hashed in full by the slower path of sha1.New; valid keys never allocate.
func AcceptKey(key []byte) (out [AcceptKeyLen]byte) {
	acceptKey(&out, key)
	return out
}

// acceptKey is AcceptKey into *out, which may be a caller's buffer (the
// 101 being appended): the value is not copied.
func acceptKey(out *[AcceptKeyLen]byte, key []byte) {
	var sum [sha1.Size]byte
	if len(key) <= 24 {
		var buf [24 + len(keyGUID)]byte
		n := copy(buf[:], key)
		n += copy(buf[n:], keyGUID)
		sum = sha1.Sum(buf[:n])
	} else {
		h := sha1.New()
		h.Write(key)
		h.Write(keyGUIDBytes)
		h.Sum(sum[:0])
	}
	base64.StdEncoding.Encode(out[:], sum[:])
}

// validKey reports whether key is base64 that decodes to 16 bytes: 22
// characters of the standard alphabet and "==" (what encoding/base64's
// StdEncoding.Decode accepts, which does not require the unused low bits
// of the last character to be zero). Three overlapping words cover the 22
// characters, each checked in one pass of lane operations.
func validKey(key []byte) bool {
	if len(key) != 24 || key[22] != '=' || key[23] != '=' {
		return false
	}
	return base64Lanes(le64(key[0:]))&base64Lanes(le64(key[8:]))&base64Lanes(le64(key[14:])) == highs
}

// base64Lanes sets the top bit of exactly the lanes of x that hold a
// character of the standard base64 alphabet. Each range test sets a lane's
// top bit when lo <= lane <= hi, for lanes below 0x80 (the others are
// cleared at the end, and no carry crosses a lane); OR-ing 0x20 maps
// exactly the letters of either case onto the lower-case ones.
func base64Lanes(x uint64) uint64 {
	t := x & (0x7F * ones)
	y := t | 0x20*ones
	letter := (y + (0x80-'a')*ones) &^ (y + (0x7F-'z')*ones)
	digit := (t + (0x80-'0')*ones) &^ (t + (0x7F-'9')*ones)
	plus := (t + (0x80-'+')*ones) &^ (t + (0x7F-'+')*ones)
	slash := (t + (0x80-'/')*ones) &^ (t + (0x7F-'/')*ones)
	return (letter | digit | plus | slash) &^ x & highs
}

// CheckUpgrade reports whether req is a valid WebSocket opening handshake
// (RFC 6455 section 4.2.1): ErrNotUpgrade if it has no Upgrade: websocket
// (a plain HTTP request), ErrMethod if not GET, ErrHTTPVersion if not
// HTTP/1.1 or later, ErrBadRequest without Host or without the Connection
// token "upgrade", ErrWSVersion if Sec-WebSocket-Version is not 13 (answer
// 426 with AppendHandshakeError), ErrBadKey if the key is not 16 bytes of
// base64.
func (req *Request) CheckUpgrade() error {
	if !req.UpgradeWS {
		return ErrNotUpgrade
	}
	if !Equal(req.Method, "GET") {
		return ErrMethod
	}
	if req.Minor < 1 {
		return ErrHTTPVersion
	}
	if !req.ConnUpgrade || req.Host == nil {
		return ErrBadRequest
	}
	if !Equal(req.WSVersion, "13") {
		return ErrWSVersion
	}
	if !validKey(req.Key) {
		return ErrBadKey
	}
	return nil
}

// IsUpgrade reports whether req asks for a WebSocket upgrade at all (it may
// still fail CheckUpgrade).
func (req *Request) IsUpgrade() bool { return req.HasUpgrade }

// AppendUpgradeResponse appends the 101 Switching Protocols response for
// the key. protocol is the chosen subprotocol, or nil for none; extensions
// are always declined (none is echoed).
func AppendUpgradeResponse(dst []byte, key []byte, protocol []byte) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	if n := len(dst); cap(dst)-n >= AcceptKeyLen {
		dst = dst[:n+AcceptKeyLen]
		acceptKey((*[AcceptKeyLen]byte)(dst[n:]), key)
	} else {
		acc := AcceptKey(key)
		dst = append(dst, acc[:]...)
	}
	if len(protocol) > 0 {
		dst = append(dst, "\r\nSec-WebSocket-Protocol: "...)
		dst = append(dst, protocol...)
	}
	return append(dst, "\r\n\r\n"...)
}

// ServerHandshake is the whole server side in one call: it parses the head
// in b, checks it, and appends to dst either the 101 response (err nil) or
// the error response a client should get (err non-nil, with status
// HTTPStatus(err)). ErrNeedMore appends nothing: read more bytes first, and
// if b already fills the buffer, answer ErrHeaderTooLarge instead. On
// success n is the length of the head; bytes after it are the first frames.
func ServerHandshake(dst, b []byte) (out []byte, req Request, n int, err error) {
	n, err = parseRequest(&req, b)
	if err == ErrNeedMore {
		return dst, req, 0, err
	}
	if err == nil {
		err = req.CheckUpgrade()
	}
	if err != nil {
		return AppendHandshakeError(dst, err), req, n, err
	}
	return AppendUpgradeResponse(dst, req.Key, nil), req, n, nil
}

// AppendHandshakeError appends the HTTP response for a failed handshake:
// the status from HTTPStatus, a short text body, "Connection: close", and
// for ErrWSVersion the "Sec-WebSocket-Version: 13" a client needs to retry.
func AppendHandshakeError(dst []byte, err error) []byte {
	status := HTTPStatus(err)
	var extra string
	if err == ErrWSVersion {
		extra = "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n"
	}
	msg := "error"
	if e, ok := err.(Error); ok {
		msg = e.Error()
	}
	return AppendResponse(dst, status, extra, "text/plain", msg)
}

// StatusText returns the reason phrase for the statuses this project sends.
func StatusText(code int) string {
	switch code {
	case 101:
		return "Switching Protocols"
	case 200:
		return "OK"
	case 201:
		return "Created"
	case 204:
		return "No Content"
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 408:
		return "Request Timeout"
	case 411:
		return "Length Required"
	case 413:
		return "Content Too Large"
	case 426:
		return "Upgrade Required"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 503:
		return "Service Unavailable"
	case 505:
		return "HTTP Version Not Supported"
	case 507:
		return "Insufficient Storage"
	}
	return "Status"
}

// AppendStatusLine appends "HTTP/1.1 <code> <text>\r\n".
func AppendStatusLine(dst []byte, code int) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = AppendInt(dst, int64(code))
	dst = append(dst, ' ')
	dst = append(dst, StatusText(code)...)
	return append(dst, "\r\n"...)
}

// AppendResponse appends a complete response with a small body and
// "Connection: close". extraHeaders, if not empty, must be whole
// "Name: value\r\n" lines.
func AppendResponse(dst []byte, code int, extraHeaders, contentType, body string) []byte {
	dst = AppendStatusLine(dst, code)
	dst = append(dst, extraHeaders...)
	dst = append(dst, "Content-Type: "...)
	dst = append(dst, contentType...)
	dst = append(dst, "\r\nContent-Length: "...)
	dst = AppendInt(dst, int64(len(body)+1))
	dst = append(dst, "\r\nConnection: close\r\n\r\n"...)
	dst = append(dst, body...)
	return append(dst, '\n')
}
