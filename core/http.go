package core

// Request is an HTTP/1.x request head parsed in place: every []byte field is
// a subslice of the bytes given to ParseRequest and is valid as long as they
// are. Headers that appear more than once keep their first value, except
// Connection and Upgrade whose tokens are checked on every line.
type Request struct {
	Method []byte
	Target []byte // the request target as sent: path and query
	Path   []byte // Target up to '?'
	Query  []byte // after '?', without it
	Minor  int    // HTTP/1.Minor

	Host       []byte
	Origin     []byte
	Key        []byte // Sec-WebSocket-Key
	WSVersion  []byte // Sec-WebSocket-Version
	Protocols  []byte // Sec-WebSocket-Protocol: the offered subprotocols, a comma list
	Extensions []byte // Sec-WebSocket-Extensions: offered, never accepted

	ContentLength int  // -1 when absent
	Chunked       bool // a Transfer-Encoding header is present
	ConnUpgrade   bool // Connection has the token "upgrade"
	ConnClose     bool // Connection has the token "close"
	UpgradeWS     bool // Upgrade has the token "websocket"
	HasUpgrade    bool // an Upgrade header is present at all
	Expect100     bool // Expect: 100-continue

	Head []byte // the whole head, request line to the blank line
}

// FindHeadEnd returns the index just past the blank line that ends an HTTP
// head in b, or -1. Searching resumes near from (the length previously
// searched), so feeding a head one byte at a time stays linear.
func FindHeadEnd(b []byte, from int) int {
	i := from - 3
	if i < 0 {
		i = 0
	}
	for ; i+3 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' && b[i+2] == '\r' && b[i+3] == '\n' {
			return i + 4
		}
	}
	return -1
}

// ParseRequest parses the request head at the start of b. It returns
// ErrNeedMore until the blank line has arrived; the caller then knows the
// head is larger than its buffer if the buffer is full (ErrHeaderTooLarge,
// 431). On success n is the length of the head; a body, if any, follows.
// Malformed input is ErrBadRequest and an HTTP version other than 1.x is
// ErrHTTPVersion.
func ParseRequest(b []byte) (req Request, n int, err error) {
	end := FindHeadEnd(b, 0)
	if end < 0 {
		return req, 0, ErrNeedMore
	}
	return parseHead(b[:end])
}

// ParseRequestFrom is ParseRequest for a buffer being filled piece by
// piece: scanned is the length of b at the previous call, so the search for
// the blank line does not start over.
func ParseRequestFrom(b []byte, scanned int) (req Request, n int, err error) {
	end := FindHeadEnd(b, scanned)
	if end < 0 {
		return req, 0, ErrNeedMore
	}
	return parseHead(b[:end])
}

func parseHead(head []byte) (req Request, n int, err error) {
	req.Head = head
	req.ContentLength = -1
	line, rest := cutLine(head)
	// Request line: METHOD SP target SP HTTP/1.x
	sp := indexByte(line, ' ')
	if sp <= 0 {
		return req, 0, ErrBadRequest
	}
	req.Method = line[:sp]
	for _, c := range req.Method {
		if !isTokenChar(c) {
			return req, 0, ErrBadRequest
		}
	}
	line = line[sp+1:]
	sp = indexByte(line, ' ')
	if sp <= 0 {
		return req, 0, ErrBadRequest
	}
	req.Target = line[:sp]
	for _, c := range req.Target {
		if c <= ' ' || c == 0x7F {
			return req, 0, ErrBadRequest
		}
	}
	proto := line[sp+1:]
	if len(proto) != 8 || string(proto[:7]) != "HTTP/1." {
		if len(proto) >= 5 && string(proto[:5]) == "HTTP/" {
			return req, 0, ErrHTTPVersion
		}
		return req, 0, ErrBadRequest
	}
	if proto[7] < '0' || proto[7] > '9' {
		return req, 0, ErrBadRequest
	}
	req.Minor = int(proto[7] - '0')
	req.Path = req.Target
	if q := indexByte(req.Target, '?'); q >= 0 {
		req.Path, req.Query = req.Target[:q], req.Target[q+1:]
	}
	// Header lines until the empty one.
	for {
		line, rest = cutLine(rest)
		if line == nil {
			return req, 0, ErrBadRequest // head ended without its blank line
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return req, 0, ErrBadRequest // obsolete line folding
		}
		colon := indexByte(line, ':')
		if colon <= 0 {
			return req, 0, ErrBadRequest
		}
		name := line[:colon]
		for _, c := range name {
			if !isTokenChar(c) {
				return req, 0, ErrBadRequest
			}
		}
		value := trimOWS(line[colon+1:])
		for _, c := range value {
			if (c < ' ' && c != '\t') || c == 0x7F {
				return req, 0, ErrBadRequest
			}
		}
		if err := req.header(name, value); err != nil {
			return req, 0, err
		}
	}
	if req.Chunked && req.ContentLength >= 0 {
		return req, 0, ErrBadRequest // RFC 9112 6.1: a request with both is invalid for us
	}
	return req, len(head), nil
}

func (req *Request) header(name, value []byte) error {
	switch {
	case equalFold(name, "host"):
		if req.Host != nil {
			return ErrBadRequest // RFC 9112 3.2: more than one Host is a 400
		}
		req.Host = value
	case equalFold(name, "connection"):
		for tok, rest := NextToken(value); tok != nil; tok, rest = NextToken(rest) {
			if equalFold(tok, "upgrade") {
				req.ConnUpgrade = true
			} else if equalFold(tok, "close") {
				req.ConnClose = true
			}
		}
	case equalFold(name, "upgrade"):
		req.HasUpgrade = true
		for tok, rest := NextToken(value); tok != nil; tok, rest = NextToken(rest) {
			if equalFold(tok, "websocket") {
				req.UpgradeWS = true
			}
		}
	case equalFold(name, "content-length"):
		l, ok := parseDecimal(value)
		if !ok || (req.ContentLength >= 0 && req.ContentLength != l) {
			return ErrBadRequest
		}
		req.ContentLength = l
	case equalFold(name, "transfer-encoding"):
		req.Chunked = true
	case equalFold(name, "expect"):
		req.Expect100 = equalFold(value, "100-continue")
	case equalFold(name, "origin"):
		setFirst(&req.Origin, value)
	case equalFold(name, "sec-websocket-key"):
		if req.Key != nil {
			return ErrBadKey
		}
		req.Key = value
	case equalFold(name, "sec-websocket-version"):
		setFirst(&req.WSVersion, value)
	case equalFold(name, "sec-websocket-protocol"):
		setFirst(&req.Protocols, value)
	case equalFold(name, "sec-websocket-extensions"):
		setFirst(&req.Extensions, value)
	}
	return nil
}

// Header returns the value of the first header named name (any case) and
// whether it is present. It scans the head, so use it for rare headers.
func (req *Request) Header(name string) ([]byte, bool) {
	_, rest := cutLine(req.Head)
	for {
		var line []byte
		line, rest = cutLine(rest)
		if len(line) == 0 {
			return nil, false
		}
		colon := indexByte(line, ':')
		if colon > 0 && equalFold(line[:colon], name) {
			return trimOWS(line[colon+1:]), true
		}
	}
}

func setFirst(dst *[]byte, v []byte) {
	if *dst == nil {
		*dst = v
	}
}

// NextToken splits the first element off a comma-separated header list,
// trimming spaces and tabs and skipping empty elements. It returns a nil
// token when the list is exhausted.
func NextToken(list []byte) (tok, rest []byte) {
	for len(list) > 0 {
		i := indexByte(list, ',')
		if i < 0 {
			tok, list = list, nil
		} else {
			tok, list = list[:i], list[i+1:]
		}
		tok = trimOWS(tok)
		if len(tok) > 0 {
			return tok, list
		}
	}
	return nil, nil
}

// cutLine splits b at the first CRLF. It returns a nil line when b holds no
// CRLF.
func cutLine(b []byte) (line, rest []byte) {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' {
			if b[i+1] != '\n' {
				return nil, nil
			}
			return b[:i:i], b[i+2:]
		}
		if b[i] == '\n' {
			return nil, nil // a bare LF is malformed
		}
	}
	return nil, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFold compares b with the lower-case ASCII string s, ignoring the case of b.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func parseDecimal(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n uint64 // 18 digits always fit; the platform's int may not
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > uint64(maxInt) {
		return 0, false
	}
	return int(n), true
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110 5.6.2).
func isTokenChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// AppendInt appends the decimal form of n to dst.
func AppendInt(dst []byte, n int64) []byte {
	if n < 0 {
		dst = append(dst, '-')
		if n == -n { // math.MinInt64
			return append(dst, "9223372036854775808"...)
		}
		n = -n
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}
