package core

// CloseCode is a close frame's status code (RFC 6455 section 7.4).
type CloseCode uint16

// Close codes registered by RFC 6455 and IANA.
const (
	CloseNormal          CloseCode = 1000
	CloseGoingAway       CloseCode = 1001
	CloseProtocolError   CloseCode = 1002
	closeUnsupported     CloseCode = 1003
	CloseNoStatus        CloseCode = 1005 // never on the wire: "no code was sent"
	closeAbnormal        CloseCode = 1006 // never on the wire: "closed without a close frame"
	CloseInvalidPayload  CloseCode = 1007
	ClosePolicyViolation CloseCode = 1008
	CloseMessageTooBig   CloseCode = 1009
	closeMandatoryExt    CloseCode = 1010
	CloseInternalError   CloseCode = 1011
	closeServiceRestart  CloseCode = 1012
	closeTryAgainLater   CloseCode = 1013
	closeBadGateway      CloseCode = 1014
	closeTLSHandshake    CloseCode = 1015 // never on the wire
)

// validOnWire reports whether c may appear in a close frame: 1000-1003,
// 1007-1014 and the application range 3000-4999.
func (c CloseCode) validOnWire() bool {
	switch {
	case c >= 1000 && c <= 1003:
		return true
	case c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// parseClose decodes a close frame's (unmasked) payload. An empty payload
// gives CloseNoStatus. A one-byte payload is ErrCloseLength, a code that may
// not be on the wire is ErrCloseCode, and a reason that is not UTF-8 is
// ErrInvalidUTF8. The reason is a subslice of payload.
func parseClose(payload []byte) (code CloseCode, reason []byte, err error) {
	switch len(payload) {
	case 0:
		return CloseNoStatus, nil, nil
	case 1:
		return 0, nil, ErrCloseLength
	}
	code = CloseCode(be16(payload))
	if !code.validOnWire() {
		return code, nil, ErrCloseCode
	}
	reason = payload[2:]
	if !validUTF8(reason) {
		return code, nil, ErrInvalidUTF8
	}
	return code, reason, nil
}

// appendClosePayload appends a close payload (code and reason) to dst. The
// reason is cut to fit a control frame (123 bytes), at a UTF-8 boundary.
// CloseNoStatus appends nothing: an empty close frame.
func appendClosePayload(dst []byte, code CloseCode, reason []byte) []byte {
	if code == CloseNoStatus {
		return dst
	}
	if len(reason) > MaxControlPayload-2 {
		reason = reason[:MaxControlPayload-2]
		for len(reason) > 0 && reason[len(reason)-1]&0xC0 == 0x80 {
			reason = reason[:len(reason)-1]
		}
		if len(reason) > 0 && reason[len(reason)-1] >= 0xC0 {
			reason = reason[:len(reason)-1]
		}
	}
	dst = append(dst, byte(code>>8), byte(code))
	return append(dst, reason...)
}
