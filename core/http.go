package core

import "math/bits"

// Request is an HTTP/1.x request head parsed in place: every []byte field is
// a subslice of the bytes given to ParseRequestFrom and is valid as long as they
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

// findHeadEnd returns the index just past the blank line that ends an HTTP
// head in b, or -1. Searching resumes near from (the length previously
// searched), so feeding a head one byte at a time stays linear.
func findHeadEnd(b []byte, from int) int {
	i := from - 3
	if i < 0 {
		i = 0
	}
	// Each LF at i+3 or later may end the blank line's CRLF.
	for i+3 < len(b) {
		j := indexLF(b[i+3:])
		if j < 0 {
			return -1
		}
		k := i + 3 + j
		if b[k-3] == '\r' && b[k-2] == '\n' && b[k-1] == '\r' {
			return k + 1
		}
		i = k - 2
	}
	return -1
}

const (
	ones  = 0x0101010101010101 // a byte of 1 in each lane of a word
	highs = 0x8080808080808080 // the top bit of each lane
)

// indexLF returns the index of the first LF in b, or -1. Like crOrLF it
// looks at eight bytes at a time: heads are short, so this beats calling
// bytes.IndexByte once per line.
func indexLF(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		lf := le64(b[i:]) ^ ('\n' * ones)
		// The lowest lane with its top bit set is the first zero lane
		// (borrows only spread upwards from a zero lane).
		if m := (lf - ones) &^ lf & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}

// crOrLF returns the index of the first CR or LF in b, or -1.
func crOrLF(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := le64(b[i:])
		cr, lf := x^('\r'*ones), x^('\n'*ones)
		if m := ((cr-ones)&^cr | (lf-ones)&^lf) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if b[i] == '\r' || b[i] == '\n' {
			return i
		}
	}
	return -1
}

// parseRequestHead is ParseRequestFrom of a whole buffer in one call.
func parseRequestHead(b []byte) (req Request, n int, err error) {
	n, err = parseRequest(&req, b)
	return req, n, err
}

// parseRequest is parseRequestHead into *req. It parses first and looks for
// the end of the head only when parsing fails, so that a complete request,
// the usual case, is read in one pass; a failure before the head is
// complete is ErrNeedMore, as if the head had been found first.
func parseRequest(req *Request, b []byte) (int, error) {
	n, err := parseHead(req, b)
	if err == nil {
		req.Head = b[:n]
		return n, nil
	}
	end := findHeadEnd(b, 0)
	if end < 0 {
		*req = Request{}
		return 0, ErrNeedMore
	}
	req.Head = b[:end]
	return 0, err
}

// ParseRequestFrom parses the request head at the start of b, a buffer
// being filled piece by piece: scanned is the length of b at the previous
// call (0 at first), so the search for the blank line does not start over.
// It returns ErrNeedMore until the blank line has arrived; the caller then
// knows the head is larger than its buffer if the buffer is full
// (ErrHeaderTooLarge, 431). On success n is the length of the head; a body,
// if any, follows. Malformed input is ErrBadRequest and an HTTP version
// other than 1.x is ErrHTTPVersion.
//
// The first call for a head (scanned 0) parses first, in one pass over the
// bytes, as ServerHandshake does: a head that arrived whole, the usual
// case, is read once. Only when that fails does it look for the blank
// line; later calls (scanned above 0) look for it first, from where the
// previous call stopped, and parse once it has come, so a head fed in
// pieces costs time linear in its length.
func ParseRequestFrom(b []byte, scanned int) (req Request, n int, err error) {
	if scanned <= 0 {
		n, err = parseRequest(&req, b)
		return req, n, err
	}
	end := findHeadEnd(b, scanned)
	if end < 0 {
		return req, 0, ErrNeedMore
	}
	req.Head = b[:end]
	n, err = parseHead(&req, b[:end])
	return req, n, err
}

// parseHead parses the request line and header lines at the start of b,
// up to and including the blank line, into req (all but req.Head), and
// returns the length of the head. Every line ends at its first CRLF (the
// first blank line is where findHeadEnd stops too).
func parseHead(req *Request, b []byte) (n int, err error) {
	req.ContentLength = -1
	// Every line, the request line too, ends at its first control
	// character but tab, which must be the CR of a CRLF (a tab in the
	// request line fails here).
	sc := headScan{b: b}
	sc.fill(0)
	_, i := sc.line(0)
	if i < 0 || b[i] != '\r' || i+1 == len(b) || b[i+1] != '\n' {
		return 0, ErrBadRequest
	}
	line := b[:i:i]
	// Request line: METHOD SP target SP HTTP/1.x
	sp := indexByte(line, ' ')
	if sp <= 0 {
		return 0, ErrBadRequest
	}
	req.Method = line[:sp]
	for _, c := range req.Method {
		if !isTokenChar(c) {
			return 0, ErrBadRequest
		}
	}
	line = line[sp+1:]
	sp = indexByte(line, ' ')
	if sp <= 0 {
		return 0, ErrBadRequest
	}
	req.Target = line[:sp]
	for _, c := range req.Target {
		if c <= ' ' || c == 0x7F {
			return 0, ErrBadRequest
		}
	}
	proto := line[sp+1:]
	if len(proto) != 8 || !HasPrefix(proto, "HTTP/1.") {
		if HasPrefix(proto, "HTTP/") {
			return 0, ErrHTTPVersion
		}
		return 0, ErrBadRequest
	}
	if proto[7] < '0' || proto[7] > '9' {
		return 0, ErrBadRequest
	}
	req.Minor = int(proto[7] - '0')
	req.Path = req.Target
	if q := indexByte(req.Target, '?'); q >= 0 {
		req.Path, req.Query = req.Target[:q], req.Target[q+1:]
	}
	// Header lines until the empty one. Each ends at its first control
	// character but tab, which must be the CR of a CRLF: a field line
	// holds VCHAR, SP, HTAB and obs-text alone (RFC 9110 5.5), so a bare
	// CR or LF, or any other control character, fails here.
	//
	// The control characters are taken from the bitmap one after the
	// other (m holds those of block k not yet taken), so finding where a
	// line ends does not wait on where the line before ended: the lines'
	// other work overlaps.
	pos := i + 2
	k, m := (pos-sc.base)>>6-1, uint64(0)
	for {
		start, first := pos, -1 // the line's start and first control character
		for {
			for m == 0 {
				if k+1 < sc.nb { // sc.next(k, pos), written out for a block in the window
					k++
					m = sc.ctl[k]
					if d := pos - sc.base - k<<6; d > 0 {
						m &^= uint64(1)<<uint(d) - 1
					}
					continue
				}
				var ok bool
				if k, m, ok = sc.next(k, pos); !ok {
					return 0, ErrBadRequest
				}
			}
			i = sc.base + k<<6 + bits.TrailingZeros64(m)
			m &= m - 1
			if first < 0 {
				first = i
			}
			if b[i] != '\t' {
				break // a tab in the value (one before the colon fails below)
			}
		}
		if b[i] != '\r' || i+1 >= len(b) || b[i+1] != '\n' {
			return 0, ErrBadRequest
		}
		m &= m - 1 // the LF, when in block k (else the block after skips it)
		pos = i + 2
		if i == start {
			break
		}
		// The name is token characters up to the colon (so a line that
		// starts with a space, obsolete folding, fails here too). A name
		// headerID knows is made of letters and '-' alone, so only the
		// others are checked. The calls in this loop are written out for
		// the usual cases: each costs more than its work (every live
		// register is saved around it), about 10% of the handshake.
		//
		// sc.colon(start, first), for a colon in start's block:
		colon := -1
		if off := start - sc.base; off >= 0 {
			if c := sc.col[off>>6] >> uint(off&63); c != 0 {
				colon = start + bits.TrailingZeros64(c)
				if colon >= first {
					colon = -1
				}
			} else {
				colon = sc.colon(start, first)
			}
		} else {
			colon = sc.colon(start, first)
		}
		if colon <= start {
			return 0, ErrBadRequest
		}
		name := b[start:colon]
		// headerID(name), written out up to the candidate's length, which
		// turns most names away without a call.
		id, n := hdrOther, len(name)
		if n >= 4 {
			if c := headerSlot(name); c.n == n {
				// c.match(name), written out for names of up to 24 bytes
				// (the longest it knows).
				const fold = 0x20 * ones
				switch {
				case n < 8:
					if (uint64(le32(name))|uint64(le32(name[n-4:]))<<32)|fold == c.last {
						id = c.id
					}
				case n > 8 && n <= 16:
					if le64(name)|fold == c.w[0] && le64(name[n-8:])|fold == c.last {
						id = c.id
					}
				case n > 16 && n <= 24:
					if le64(name)|fold == c.w[0] && le64(name[8:])|fold == c.w[1] && le64(name[n-8:])|fold == c.last {
						id = c.id
					}
				default:
					id = c.match(name)
				}
			}
		}
		if id == hdrOther {
			// tokenLen(name) == n, written out for names of 4 to 16
			// letters, digits and '-'.
			switch {
			case n >= 8 && n <= 16 && tokenWord(le64(name)) && tokenWord(le64(name[n-8:])):
			case n >= 4 && n < 8 && tokenWord(uint64(le32(name))|uint64(le32(name[n-4:]))<<32):
			case tokenLen(name) != n:
				return 0, ErrBadRequest
			}
			continue // a header Request does not keep
		}
		value := trimOWS(b[colon+1 : i]) // free of control characters but tab
		// req.header(id, value), written out for the headers whose value
		// is only kept.
		switch id {
		case hdrHost:
			if req.Host != nil {
				return 0, ErrBadRequest // RFC 9112 3.2: more than one Host is a 400
			}
			req.Host = value
		case hdrWSKey:
			if req.Key != nil {
				return 0, ErrBadKey
			}
			req.Key = value
		case hdrOrigin:
			setFirst(&req.Origin, value)
		case hdrWSVersion:
			setFirst(&req.WSVersion, value)
		case hdrWSExtensions:
			setFirst(&req.Extensions, value)
		default:
			if err := req.header(id, value); err != nil {
				return 0, err
			}
		}
	}
	if req.Chunked && req.ContentLength >= 0 {
		return 0, ErrBadRequest // RFC 9112 6.1: a request with both is invalid for us
	}
	return pos, nil
}

// The headers Request.header looks at.
const (
	hdrOther = iota
	hdrHost
	hdrConnection
	hdrUpgrade
	hdrContentLength
	hdrTransferEncoding
	hdrExpect
	hdrOrigin
	hdrWSKey
	hdrWSVersion
	hdrWSProtocol
	hdrWSExtensions
)

// headerID names the header called name (free of control characters, any
// case), or hdrOther: a hash of its length and two letters picks the one
// candidate to compare. A name it knows is made of letters and '-' alone,
// whatever else name holds.
func headerID(name []byte) int {
	if len(name) >= 4 {
		if c := headerSlot(name); c.n == len(name) {
			return c.match(name)
		}
	}
	return hdrOther
}

// headerSlot is the one candidate headerID compares a name of four bytes
// or more with (small enough to inline).
func headerSlot(name []byte) *headerCand {
	return &headerTable[headerHash(len(name), name[2], name[len(name)-1])]
}

// match returns c.id if name, as long as c's name, is c's name in any
// case, else hdrOther. OR-ing 0x20 folds upper-case letters to lower case
// and leaves the other token characters that could meet a candidate's
// letters and '-' alone (no token character becomes a letter or '-' but a
// letter or '-'), so words compare at once.
func (c *headerCand) match(name []byte) int {
	const fold = 0x20 * ones
	n := len(name)
	if n < 8 {
		v := uint64(le32(name)) | uint64(le32(name[n-4:]))<<32
		if v|fold != c.last {
			return hdrOther
		}
		return c.id
	}
	for i := 0; i+8 < n; i += 8 {
		if le64(name[i:])|fold != c.w[i>>3] {
			return hdrOther
		}
	}
	if le64(name[n-8:])|fold != c.last {
		return hdrOther
	}
	return c.id
}

func headerHash(n int, c2, clast byte) int {
	return (n<<1 ^ int(c2|0x20) ^ int(clast|0x20)) & 31
}

// headerCand is a header name as words to compare with: w holds its whole
// words but the last, last its last eight bytes (for names shorter than
// eight, the first four and the last four).
type headerCand struct {
	n    int
	id   int
	w    [2]uint64
	last uint64
}

// headerNames are the names of the headers Request.header looks at, by id.
var headerNames = [...]string{
	hdrHost: "host", hdrConnection: "connection", hdrUpgrade: "upgrade",
	hdrContentLength: "content-length", hdrTransferEncoding: "transfer-encoding",
	hdrExpect: "expect", hdrOrigin: "origin", hdrWSKey: "sec-websocket-key",
	hdrWSVersion: "sec-websocket-version", hdrWSProtocol: "sec-websocket-protocol",
	hdrWSExtensions: "sec-websocket-extensions",
}

var headerTable = func() (t [32]headerCand) {
	for id, s := range headerNames {
		if s == "" {
			continue
		}
		b, n := []byte(s), len(s)
		c := &t[headerHash(n, s[2], s[n-1])]
		if c.n != 0 {
			panic("core: header hash collision") // caught by any test run
		}
		*c = headerCand{n: n, id: id}
		if n < 8 {
			c.last = uint64(le32(b)) | uint64(le32(b[n-4:]))<<32
			continue
		}
		for i := 0; i+8 < n; i += 8 {
			c.w[i>>3] = le64(b[i:])
		}
		c.last = le64(b[n-8:])
	}
	return t
}()

// tokenLen returns the length of the run of token characters at the start
// of line, which holds no control character (cutFieldLine saw to that).
// Words of letters, digits and '-' alone, most header names, pass eight
// bytes at a time.
func tokenLen(line []byte) int {
	i := 0
	for ; i+8 <= len(line); i += 8 {
		if !tokenWord(le64(line[i:])) {
			break
		}
	}
	for i < len(line) && isTokenChar(line[i]) {
		i++
	}
	return i
}

// tokenWord reports whether the eight bytes of x, none of them a control
// character, are all letters, digits or '-'. With no control character
// about, OR-ing 0x20 maps only letters onto letters and only '-' onto '-'
// and digits onto digits. Each range test sets a lane's top bit when lo <=
// lane <= hi (lanes are below 0x80, so no carry crosses them).
func tokenWord(x uint64) bool {
	if x&highs != 0 {
		return false
	}
	y := x | 0x20*ones
	lower := (y + (0x80-'a')*ones) &^ (y + (0x7F-'z')*ones)
	digit := (y + (0x80-'0')*ones) &^ (y + (0x7F-'9')*ones)
	dash := (y + (0x80-'-')*ones) &^ (y + (0x7F-'-')*ones)
	return (lower|digit|dash)&highs == highs
}

// header takes the value of the header headerID calls id.
func (req *Request) header(id int, value []byte) error {
	switch id {
	case hdrHost:
		if req.Host != nil {
			return ErrBadRequest // RFC 9112 3.2: more than one Host is a 400
		}
		req.Host = value
	case hdrConnection:
		// A value that is the one token, the usual case, needs no split.
		if tokUpgrade.eq(value) {
			req.ConnUpgrade = true
			break
		}
		for tok, rest := nextToken(value); tok != nil; tok, rest = nextToken(rest) {
			if tokUpgrade.eq(tok) {
				req.ConnUpgrade = true
			} else if tokClose.eq(tok) {
				req.ConnClose = true
			}
		}
	case hdrUpgrade:
		req.HasUpgrade = true
		if tokWebsocket.eq(value) {
			req.UpgradeWS = true
			break
		}
		for tok, rest := nextToken(value); tok != nil; tok, rest = nextToken(rest) {
			if tokWebsocket.eq(tok) {
				req.UpgradeWS = true
			}
		}
	case hdrContentLength:
		l, ok := parseDecimal(value)
		if !ok || (req.ContentLength >= 0 && req.ContentLength != l) {
			return ErrBadRequest
		}
		req.ContentLength = l
	case hdrTransferEncoding:
		req.Chunked = true
	case hdrExpect:
		req.Expect100 = equalFold(value, "100-continue")
	case hdrOrigin:
		setFirst(&req.Origin, value)
	case hdrWSKey:
		if req.Key != nil {
			return ErrBadKey
		}
		req.Key = value
	case hdrWSVersion:
		setFirst(&req.WSVersion, value)
	case hdrWSProtocol:
		setFirst(&req.Protocols, value)
	case hdrWSExtensions:
		setFirst(&req.Extensions, value)
	}
	return nil
}

// lookup returns the value of the first header named name (any case) and
// whether it is present. It scans the head, so use it for rare headers.
func (req *Request) lookup(name string) ([]byte, bool) {
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

// foldWords is a lower-case word of 4 to 16 letters as the two words
// (overlapping, for short ones) eq compares at once: its first and last
// eight bytes, or four below eight letters.
type foldWords struct {
	n    int
	a, z uint64
}

var (
	tokUpgrade   = newFoldWords("upgrade")
	tokClose     = newFoldWords("close")
	tokWebsocket = newFoldWords("websocket")
)

func newFoldWords(s string) foldWords {
	n := len(s)
	if n < 8 {
		return foldWords{n, strWord(s[:4]), strWord(s[n-4:])}
	}
	return foldWords{n, strWord(s[:8]), strWord(s[n-8:])}
}

// strWord reads up to eight bytes of s as a little-endian word.
func strWord(s string) (w uint64) {
	for i := len(s) - 1; i >= 0; i-- {
		w = w<<8 | uint64(s[i])
	}
	return w
}

// eq reports whether b is the word in any case. OR-ing 0x20 to a byte
// gives a lower-case letter only from that letter in either case, so the
// words compare at once, whatever else b holds.
func (w *foldWords) eq(b []byte) bool {
	n := len(b)
	if n != w.n {
		return false
	}
	if n >= 8 {
		return le64(b)|0x20*ones == w.a && le64(b[n-8:])|0x20*ones == w.z
	}
	return uint64(le32(b)|0x20202020) == w.a && uint64(le32(b[n-4:])|0x20202020) == w.z
}

func setFirst(dst *[]byte, v []byte) {
	if *dst == nil {
		*dst = v
	}
}

// nextToken splits the first element off a comma-separated header list,
// trimming spaces and tabs and skipping empty elements. It returns a nil
// token when the list is exhausted.
func nextToken(list []byte) (tok, rest []byte) {
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
// CRLF, or when a bare CR or LF comes before it (malformed).
func cutLine(b []byte) (line, rest []byte) {
	i := crOrLF(b)
	if i < 0 || b[i] != '\r' || i+1 == len(b) || b[i+1] != '\n' {
		return nil, nil
	}
	return b[:i:i], b[i+2:]
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// headScan maps the bytes of b that matter to the header lines into
// bitmaps, up to scanBlocks 64-byte blocks at a time: ctl marks the
// control characters (where a field line must end, or a tab in its
// value), colon the colons (where its name ends). A line is then found with a few bit
// operations rather than searches that start over, and mispredict their
// end, on every line.
type headScan struct {
	b    []byte
	base int // ctl[k] and colon[k] map b[base+64k:base+64k+64]
	nb   int // how many blocks of the window are mapped
	ctl  [scanBlocks]uint64
	col  [scanBlocks]uint64
}

// scanBlocks is how many 64-byte blocks a headScan maps at once: a
// typical head in one or two fills.
const scanBlocks = 8

// fill maps the blocks of b from base on. A last block shorter than 64
// bytes is mapped from a copy padded with zeros, whose control bits are
// cleared (a colon past the end is past any line's end).
func (s *headScan) fill(base int) {
	s.base = base
	b := s.b[base:]
	n := min(len(b)>>6, scanBlocks)
	s.nb = n
	if n > 0 {
		mapBlocks(b[:n<<6], s.ctl[:n], s.col[:n])
	}
	if r := len(b) - n<<6; n < scanBlocks && r > 0 {
		var last [64]byte
		copy(last[:], b[n<<6:])
		mapBlocks(last[:], s.ctl[n:n+1], s.col[n:n+1])
		s.ctl[n] &= uint64(1)<<r - 1
		s.nb = n + 1
	}
}

// line returns, for a line that starts at p, the index of the first
// control character at p or after it (its end, or a tab) and of the first
// colon before that; -1 for either when there is none. p must not be
// before the base of the last fill.
func (s *headScan) line(p int) (colon, end int) {
	colon = -1
	for p < len(s.b) {
		off := p - s.base
		if off >= scanBlocks<<6 {
			s.fill(p)
			off = 0
		}
		k, sh := off>>6, uint(off&63)
		if m := s.col[k] >> sh; colon < 0 && m != 0 {
			colon = p + bits.TrailingZeros64(m)
		}
		if m := s.ctl[k] >> sh; m != 0 {
			end = p + bits.TrailingZeros64(m)
			if colon > end {
				colon = -1
			}
			return colon, end
		}
		p = s.base + (k+1)<<6
	}
	return -1, -1
}

// next moves on from block k of the window to the block after it, mapping
// the next window when k was its last, and returns that block's index and
// its control characters at pos or after; ok is false past the end of b.
func (s *headScan) next(k, pos int) (int, uint64, bool) {
	k++
	if k >= s.nb {
		start := s.base + s.nb<<6
		if s.nb < scanBlocks || start >= len(s.b) {
			return k, 0, false
		}
		s.fill(start)
		k = 0
	}
	m := s.ctl[k]
	if d := pos - s.base - k<<6; d > 0 {
		m &^= uint64(1)<<uint(d) - 1 // all of it when d >= 64
	}
	return k, m, true
}

// colon returns the index of the first colon in b[start:end], or -1. Its
// block must be mapped in the window unless the window moved on since
// start (a line longer than what is left of a window), when the bytes are
// searched instead.
func (s *headScan) colon(start, end int) int {
	off := start - s.base
	if off < 0 {
		if c := indexByte(s.b[start:end], ':'); c >= 0 {
			return start + c
		}
		return -1
	}
	k := off >> 6
	c := s.col[k] >> uint(off&63)
	for c == 0 {
		k++
		if k >= s.nb || s.base+k<<6 >= end {
			return -1
		}
		c = s.col[k]
		start = s.base + k<<6
	}
	if c := start + bits.TrailingZeros64(c); c < end {
		return c
	}
	return -1
}

// mapBlocksGo is mapBlocks a machine word at a time: for each 64-byte
// block of b, ctl gets a bit for each control character (below 0x20, or
// 0x7F) and colon one for each ':', bit i for byte i.
func mapBlocksGo(b []byte, ctl, colon []uint64) {
	for k := range ctl {
		w := (*[64]byte)(b[k<<6:])
		var c, d uint64
		for j := 0; j < 64; j += 8 {
			x := le64(w[j:])
			c |= laneBits(ctlLanes(x)) << j
			d |= laneBits(eqLanes(x, ':')) << j
		}
		ctl[k], colon[k] = c, d
	}
}

// eqLanes sets the top bit of exactly the lanes of x equal to c: after
// the XOR those are the zero lanes, the only ones where neither the top
// bit nor the sum of the low seven bits and 0x7F reaches it (no lane
// carries into the next).
func eqLanes(x uint64, c byte) uint64 {
	y := x ^ uint64(c)*ones
	return ^((y&(0x7F*ones) + 0x7F*ones) | y) & highs
}

// ctlLanes sets the top bit of exactly the lanes of x that hold a control
// character: a lane of 0x80 or above never does; below, t+0x60 reaches
// the top bit when t >= 0x20 and t+1 when t == 0x7F, and no lane carries
// into the next.
func ctlLanes(x uint64) uint64 {
	t := x & (0x7F * ones)
	return (^(t + 0x60*ones) | (t + ones)) &^ x & highs
}

// laneBits packs the top bits of the eight lanes of m into bits 0-7
// (lane k to bit k): the multiplication moves each to its own bit of the
// top byte, and no two partial products meet.
func laneBits(m uint64) uint64 {
	return (m >> 7) * 0x0102040810204080 >> 56
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
func isTokenChar(c byte) bool { return tokenChars[c] }

// tokenChars is the set of token characters, one entry per byte value.
var tokenChars = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		switch c {
		case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
			t[c] = true
		}
	}
	return t
}()

// AppendInt appends the decimal form of n to dst.
func AppendInt(dst []byte, n int64) []byte {
	if n < 0 {
		return AppendUint(append(dst, '-'), uint64(-(n+1))+1) // math.MinInt64 too
	}
	return AppendUint(dst, uint64(n))
}

// AppendUint appends the decimal form of n to dst.
func AppendUint(dst []byte, n uint64) []byte {
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
