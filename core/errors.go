package core

// Error is a comparable error constant; errors of this package never
// allocate and compare with ==.
type Error uint8

// Frame and message errors. The comment names the close code sent for it.
const (
	errNone Error = iota
	// ErrNeedMore reports an incomplete header or request: feed more bytes.
	ErrNeedMore
	ErrReservedBits       // 1002: RSV bits set but no extension negotiated
	ErrReservedOpcode     // 1002: opcode 3-7 or 0xB-0xF
	ErrMaskRequired       // 1002: a client frame arrived unmasked
	ErrMaskUnexpected     // 1002: a server frame arrived masked
	ErrControlTooLong     // 1002: control frame payload over 125 bytes
	ErrControlFragmented  // 1002: control frame without FIN
	ErrUnexpectedContinue // 1002: continuation frame with no message started
	ErrExpectedContinue   // 1002: a new data frame inside a fragmented message
	ErrNonMinimalLength   // 1002: a length that the shorter form could hold
	ErrLengthMSB          // 1002: 64-bit length with its most significant bit set
	ErrFrameTooLarge      // 1009: a frame length that does not fit this platform's int
	ErrMessageTooBig      // 1009: a message over the configured limit
	ErrInvalidUTF8        // 1007: text or close reason is not UTF-8
	ErrCloseLength        // 1002: a close payload of exactly one byte
	ErrCloseCode          // 1002: a close code that must not appear on the wire
	ErrClosed             // the peer's close frame was already read
	ErrShortBuffer        // the caller's buffer cannot hold what is asked

	// Handshake errors; the comment names the HTTP status answered.
	ErrBadRequest     // 400: malformed request line or headers
	ErrMethod         // 405: not GET
	ErrHTTPVersion    // 505: not HTTP/1.1 or later
	ErrNotUpgrade     // 400 (426 for an upgrade that lacks headers): no Upgrade: websocket
	ErrBadKey         // 400: Sec-WebSocket-Key does not decode to 16 bytes
	ErrWSVersion      // 426: Sec-WebSocket-Version is not 13
	ErrHeaderTooLarge // 431: the head does not fit the buffer
	ErrBadStatus      // client: the response status is not 101
	ErrBadAccept      // client: Sec-WebSocket-Accept does not match the key
	ErrBadResponse    // client: malformed response or missing upgrade headers
	errCount
)

var errText = [errCount]string{
	errNone:               "ws: no error",
	ErrNeedMore:           "ws: need more bytes",
	ErrReservedBits:       "ws: reserved bits set without an extension",
	ErrReservedOpcode:     "ws: reserved opcode",
	ErrMaskRequired:       "ws: client frame is not masked",
	ErrMaskUnexpected:     "ws: server frame is masked",
	ErrControlTooLong:     "ws: control frame payload over 125 bytes",
	ErrControlFragmented:  "ws: fragmented control frame",
	ErrUnexpectedContinue: "ws: continuation frame without a message",
	ErrExpectedContinue:   "ws: new data frame inside a fragmented message",
	ErrNonMinimalLength:   "ws: payload length not in its minimal form",
	ErrLengthMSB:          "ws: 64-bit payload length has its top bit set",
	ErrFrameTooLarge:      "ws: frame length does not fit this platform",
	ErrMessageTooBig:      "ws: message over the size limit",
	ErrInvalidUTF8:        "ws: invalid UTF-8 in text",
	ErrCloseLength:        "ws: close payload of one byte",
	ErrCloseCode:          "ws: invalid close code",
	ErrClosed:             "ws: connection closed by peer",
	ErrShortBuffer:        "ws: buffer too small",
	ErrBadRequest:         "ws: malformed HTTP request",
	ErrMethod:             "ws: upgrade method is not GET",
	ErrHTTPVersion:        "ws: HTTP version is not 1.1",
	ErrNotUpgrade:         "ws: not a websocket upgrade request",
	ErrBadKey:             "ws: Sec-WebSocket-Key is not 16 base64 bytes",
	ErrWSVersion:          "ws: unsupported Sec-WebSocket-Version",
	ErrHeaderTooLarge:     "ws: request head larger than the buffer",
	ErrBadStatus:          "ws: handshake response status is not 101",
	ErrBadAccept:          "ws: Sec-WebSocket-Accept does not match",
	ErrBadResponse:        "ws: malformed handshake response",
}

func (e Error) Error() string {
	if e < errCount {
		return errText[e]
	}
	return "ws: unknown error"
}

// CloseCodeOf returns the close code RFC 6455 asks an endpoint to send when
// it fails the connection with err: 1002, 1007 or 1009 for the protocol
// errors of this package, 1011 for any other non-nil error, 1000 for nil.
func CloseCodeOf(err error) CloseCode {
	if err == nil {
		return CloseNormal
	}
	e, ok := err.(Error)
	if !ok {
		return CloseInternalError
	}
	switch e {
	case ErrInvalidUTF8:
		return CloseInvalidPayload
	case ErrMessageTooBig, ErrFrameTooLarge:
		return CloseMessageTooBig
	case ErrReservedBits, ErrReservedOpcode, ErrMaskRequired, ErrMaskUnexpected,
		ErrControlTooLong, ErrControlFragmented, ErrUnexpectedContinue,
		ErrExpectedContinue, ErrNonMinimalLength, ErrLengthMSB, ErrCloseLength, ErrCloseCode:
		return CloseProtocolError
	case ErrClosed:
		return CloseNormal
	}
	return CloseInternalError
}

// HTTPStatus returns the status a server answers a failed handshake with:
// 400, 405, 426, 431 or 505; 500 for an error not of this package.
func HTTPStatus(err error) int {
	e, ok := err.(Error)
	if !ok {
		return 500
	}
	switch e {
	case ErrMethod:
		return 405
	case ErrWSVersion:
		return 426
	case ErrHeaderTooLarge:
		return 431
	case ErrHTTPVersion:
		return 505
	case ErrBadRequest, ErrNotUpgrade, ErrBadKey:
		return 400
	}
	return 500
}
