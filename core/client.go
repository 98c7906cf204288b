package core

import "encoding/base64"

// ClientKeyLen is the length of a Sec-WebSocket-Key value.
const ClientKeyLen = 24

// NewClientKey returns a fresh Sec-WebSocket-Key: 16 bytes from g, base64.
func NewClientKey(g *MaskGen) (key [ClientKeyLen]byte) {
	var raw [16]byte
	a, b := g.Uint64(), g.Uint64()
	for i := 0; i < 8; i++ {
		raw[i] = byte(a >> (8 * i))
		raw[8+i] = byte(b >> (8 * i))
	}
	base64.StdEncoding.Encode(key[:], raw[:])
	return key
}

// AppendClientRequest appends the opening handshake request: GET path on
// host with key, offering protocols (a comma list, or nil for none).
func AppendClientRequest(dst []byte, host, path, key, protocols []byte) []byte {
	dst = append(dst, "GET "...)
	if len(path) == 0 {
		dst = append(dst, '/')
	}
	dst = append(dst, path...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
	dst = append(dst, key...)
	dst = append(dst, "\r\nSec-WebSocket-Version: 13\r\n"...)
	if len(protocols) > 0 {
		dst = append(dst, "Sec-WebSocket-Protocol: "...)
		dst = append(dst, protocols...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// Response is a parsed HTTP response head (subslices of the input).
type Response struct {
	Status   int
	Accept   []byte
	Protocol []byte
	Head     []byte
}

// ParseResponse parses and checks the server's answer to the opening
// handshake sent with key. It returns ErrNeedMore until the head is
// complete; ErrBadStatus (with Status set) when the server answered with
// anything but 101; ErrBadResponse for a malformed head or missing
// Upgrade/Connection; ErrBadAccept when Sec-WebSocket-Accept does not
// match. On success n is the length of the head; what follows are frames.
func ParseResponse(b []byte, key []byte) (resp Response, n int, err error) {
	end := findHeadEnd(b, 0)
	if end < 0 {
		return resp, 0, ErrNeedMore
	}
	head := b[:end]
	resp.Head = head
	line, rest := cutLine(head)
	if len(line) < 12 || !HasPrefix(line, "HTTP/1.") || line[8] != ' ' {
		return resp, end, ErrBadResponse
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return resp, end, ErrBadResponse
		}
		resp.Status = resp.Status*10 + int(c-'0')
	}
	var upgrade, conn bool
	for {
		line, rest = cutLine(rest)
		if line == nil {
			return resp, end, ErrBadResponse
		}
		if len(line) == 0 {
			break
		}
		colon := indexByte(line, ':')
		if colon <= 0 {
			return resp, end, ErrBadResponse
		}
		name, value := line[:colon], trimOWS(line[colon+1:])
		switch {
		case equalFold(name, "upgrade"):
			upgrade = upgrade || equalFold(value, "websocket")
		case equalFold(name, "connection"):
			for tok, r := nextToken(value); tok != nil; tok, r = nextToken(r) {
				conn = conn || equalFold(tok, "upgrade")
			}
		case equalFold(name, "sec-websocket-accept"):
			resp.Accept = value
		case equalFold(name, "sec-websocket-protocol"):
			resp.Protocol = value
		}
	}
	if resp.Status != 101 {
		return resp, end, ErrBadStatus
	}
	if !upgrade || !conn {
		return resp, end, ErrBadResponse
	}
	want := AcceptKey(key)
	if !Equal(resp.Accept, view(want[:])) {
		return resp, end, ErrBadAccept
	}
	return resp, end, nil
}
