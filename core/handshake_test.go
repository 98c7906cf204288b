package core

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

const chromeRequest = "GET /ws?x=1 HTTP/1.1\r\n" +
	"Host: 127.0.0.1:8080\r\n" +
	"Connection: Upgrade\r\n" +
	"Pragma: no-cache\r\n" +
	"Upgrade: websocket\r\n" +
	"Origin: http://127.0.0.1:8080\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
	"Sec-WebSocket-Protocol: chat, superchat\r\n\r\n"

func TestAcceptKey(t *testing.T) {
	cases := map[string]string{
		"sN9cRrP/n9NdMgdcy2VJFQ==": "fFBooB7FAkLlXgRSz0BT3v4hq5s=", // the project seed's example
		"dGhlIHNhbXBsZSBub25jZQ==": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", // RFC 6455 section 1.3
	}
	for key, want := range cases {
		if got := AcceptKey([]byte(key)); string(got[:]) != want {
			t.Errorf("AcceptKey(%s) = %s, want %s", key, got, want)
		}
	}
}

func TestServerHandshake(t *testing.T) {
	out, req, n, err := ServerHandshake(nil, []byte(chromeRequest+"\x81\x85"))
	if err != nil {
		t.Fatal(err)
	}
	if n != len(chromeRequest) || string(req.Path) != "/ws" || string(req.Query) != "x=1" ||
		string(req.Origin) != "http://127.0.0.1:8080" || string(req.Protocols) != "chat, superchat" ||
		!strings.HasPrefix(string(req.Extensions), "permessage-deflate") {
		t.Fatalf("request = %+v n=%d", req, n)
	}
	want := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	if string(out) != want {
		t.Fatalf("response:\n%q\nwant\n%q", out, want)
	}
	if strings.Contains(string(out), "Extensions") {
		t.Fatal("extensions must be declined, never echoed")
	}
	// Offered subprotocols iterate without copies.
	var protos []string
	for tok, rest := nextToken(req.Protocols); tok != nil; tok, rest = nextToken(rest) {
		protos = append(protos, string(tok))
	}
	if strings.Join(protos, "|") != "chat|superchat" {
		t.Fatalf("protocols %q", protos)
	}
}

func TestServerHandshakeVariants(t *testing.T) {
	base := func(lines ...string) string {
		return "GET /ws HTTP/1.1\r\nHost: h\r\n" + strings.Join(lines, "\r\n") + "\r\n\r\n"
	}
	ok := []string{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"}
	with := func(replace map[int]string, extra ...string) string {
		l := append([]string(nil), ok...)
		for i, s := range replace {
			l[i] = s
		}
		return base(append(l, extra...)...)
	}
	cases := []struct {
		name   string
		req    string
		err    error
		status int
	}{
		{"plain", with(nil), nil, 101},
		{"firefox keep-alive, Upgrade", with(map[int]string{1: "Connection: keep-alive, Upgrade"}), nil, 101},
		{"lower-case headers", "GET /ws HTTP/1.1\r\nhost: h\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n", nil, 101},
		{"lower-case method", strings.Replace(with(nil), "GET", "get", 1), ErrMethod, 405},
		{"header names in odd case", with(map[int]string{0: "UPGRADE: WebSocket", 1: "connection: upgrade"}), nil, 101},
		{"extra spaces", with(map[int]string{0: "Upgrade:    websocket  ", 1: "Connection:\tupgrade"}), nil, 101},
		{"POST", strings.Replace(with(nil), "GET", "POST", 1), ErrMethod, 405},
		{"HTTP/1.0", strings.Replace(with(nil), "HTTP/1.1", "HTTP/1.0", 1), ErrHTTPVersion, 505},
		{"HTTP/2.0", strings.Replace(with(nil), "HTTP/1.1", "HTTP/2.0", 1), ErrHTTPVersion, 505},
		{"version 8", with(map[int]string{3: "Sec-WebSocket-Version: 8"}), ErrWSVersion, 426},
		{"no version", with(map[int]string{3: "X-No: 1"}), ErrWSVersion, 426},
		{"short key", with(map[int]string{2: "Sec-WebSocket-Key: dGhlIHNhbXBsZQ=="}), ErrBadKey, 400},
		{"key not base64", with(map[int]string{2: "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!=="}), ErrBadKey, 400},
		{"no key", with(map[int]string{2: "X-No: 1"}), ErrBadKey, 400},
		{"two keys", with(nil, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="), ErrBadKey, 400},
		{"no connection upgrade", with(map[int]string{1: "Connection: keep-alive"}), ErrBadRequest, 400},
		{"no host", strings.Replace(with(nil), "Host: h\r\n", "", 1), ErrBadRequest, 400},
		{"upgrade to h2c", with(map[int]string{0: "Upgrade: h2c"}), ErrNotUpgrade, 400},
		{"space before colon", with(nil, "Bad : x"), ErrBadRequest, 400},
		{"folded header", with(nil, "X-A: 1", " folded"), ErrBadRequest, 400},
		{"bare LF", "GET / HTTP/1.1\nHost: h\r\n\r\n", ErrBadRequest, 400},
		{"no target", "GET HTTP/1.1\r\nHost: h\r\n\r\n", ErrBadRequest, 400},
		{"NUL in value", with(nil, "X-A: a\x00b"), ErrBadRequest, 400},
		{"bad content length", with(nil, "Content-Length: 1x"), ErrBadRequest, 400},
	}
	for _, c := range cases {
		out, _, _, err := ServerHandshake(nil, []byte(c.req))
		if err != c.err {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.err)
			continue
		}
		status := 101
		if err != nil {
			status = HTTPStatus(err)
		}
		if status != c.status || !bytes.HasPrefix(out, []byte("HTTP/1.1 "+itoa(c.status)+" ")) {
			t.Errorf("%s: response %q, want status %d", c.name, out, c.status)
		}
		if c.status == 426 && !bytes.Contains(out, []byte("Sec-WebSocket-Version: 13\r\n")) {
			t.Errorf("%s: 426 must name the supported version", c.name)
		}
	}
}

// The request may arrive one byte at a time; it completes exactly when the
// blank line arrives, and scanning resumes where it stopped.
func TestServerHandshakeInPieces(t *testing.T) {
	buf := make([]byte, 0, 1024)
	scanned := 0
	for i := 0; i < len(chromeRequest); i++ {
		buf = append(buf, chromeRequest[i])
		_, n, err := ParseRequestFrom(buf, scanned)
		scanned = len(buf)
		if i < len(chromeRequest)-1 {
			if err != ErrNeedMore {
				t.Fatalf("byte %d: err %v before the head is complete", i, err)
			}
			continue
		}
		if err != nil || n != len(chromeRequest) {
			t.Fatalf("complete: n=%d err=%v", n, err)
		}
	}
	// A head that never ends within the buffer: the caller answers 431.
	big := "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 600)
	if _, _, err := parseRequestHead([]byte(big)); err != ErrNeedMore {
		t.Fatal(err)
	}
	if out := AppendHandshakeError(nil, ErrHeaderTooLarge); !bytes.HasPrefix(out, []byte("HTTP/1.1 431 ")) {
		t.Fatalf("431 response: %q", out)
	}
}

func TestRequestFields(t *testing.T) {
	req, _, err := parseRequestHead([]byte("PUT /files/a.txt HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nX-Custom: yes\r\nExpect: 100-continue\r\n\r\nbody"))
	if err != nil {
		t.Fatal(err)
	}
	if string(req.Method) != "PUT" || req.ContentLength != 12 || !req.Expect100 {
		t.Fatalf("%+v", req)
	}
	if v, ok := req.lookup("x-custom"); !ok || string(v) != "yes" {
		t.Fatalf("Header: %q %v", v, ok)
	}
	if _, ok := req.lookup("missing"); ok {
		t.Fatal("missing header found")
	}
	if _, _, err := parseRequestHead([]byte("PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")); err != ErrBadRequest {
		t.Fatal("conflicting Content-Length must be 400")
	}
	if _, _, err := parseRequestHead([]byte("PUT / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")); err != ErrBadRequest {
		t.Fatal("Content-Length with Transfer-Encoding must be 400")
	}
}

// validKey agrees with encoding/base64 on every byte value at every
// position of a valid key, on keys of other lengths, and on the same byte
// everywhere.
func TestValidKeyAgainstBase64(t *testing.T) {
	ref := func(key []byte) bool {
		if len(key) != 24 {
			return false
		}
		var raw [18]byte
		n, err := base64.StdEncoding.Decode(raw[:], key)
		return err == nil && n == 16
	}
	good := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	for i := range good {
		for c := 0; c < 256; c++ {
			key := append([]byte(nil), good...)
			key[i] = byte(c)
			if got, want := validKey(key), ref(key); got != want {
				t.Fatalf("%q: validKey %v, base64 %v", key, got, want)
			}
		}
	}
	for c := 0; c < 256; c++ {
		key := bytes.Repeat([]byte{byte(c)}, 24)
		if got, want := validKey(key), ref(key); got != want {
			t.Fatalf("%q: validKey %v, base64 %v", key, got, want)
		}
	}
	for _, key := range []string{"", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===", "dGhlIHNhbXBsZSBub25jZQ==="[:23] + "A", "dGhlIHNhbXBsZSBub25jZ===", "dGhlIHNhbXBsZSBub25jZQAA"} {
		if got, want := validKey([]byte(key)), ref([]byte(key)); got != want {
			t.Fatalf("%q: validKey %v, base64 %v", key, got, want)
		}
	}
}

func TestClientHandshake(t *testing.T) {
	g := NewMaskGen(99)
	key := NewClientKey(g)
	if !validKey(key[:]) {
		t.Fatalf("client key %s is not 16 bytes of base64", key)
	}
	k2 := NewClientKey(g)
	if key == k2 {
		t.Fatal("keys must be fresh")
	}
	reqBytes := AppendClientRequest(nil, []byte("127.0.0.1:8080"), []byte("/ws"), key[:], []byte("chat"))
	// Our server accepts our client's request.
	resp, req, _, err := ServerHandshake(nil, reqBytes)
	if err != nil || string(req.Protocols) != "chat" {
		t.Fatalf("server rejects client request: %v", err)
	}
	r, n, err := ParseResponse(append(resp, 0x81, 0x00), key[:])
	if err != nil || n != len(resp) || r.Status != 101 {
		t.Fatalf("client rejects server response: %v", err)
	}
	// A response for another key fails, and so do non-101 answers.
	if _, _, err := ParseResponse(resp, k2[:]); err != ErrBadAccept {
		t.Fatalf("wrong accept: %v", err)
	}
	r, _, err = ParseResponse([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"), key[:])
	if err != ErrBadStatus || r.Status != 503 {
		t.Fatalf("503: %v %d", err, r.Status)
	}
	if _, _, err := ParseResponse([]byte("HTTP/1.1 101 OK\r\n"), key[:]); err != ErrNeedMore {
		t.Fatal("incomplete response must need more")
	}
	if _, _, err := ParseResponse([]byte("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n\r\n"), key[:]); err != ErrBadResponse {
		t.Fatal("missing Connection must be a bad response")
	}
}

func TestHandshakeAllocs(t *testing.T) {
	raw := []byte(chromeRequest)
	out := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(1000, func() {
		var err error
		out, _, _, err = ServerHandshake(out[:0], raw)
		if err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("server handshake allocates %v", n)
	}
	// The board's parse: a head arrived whole (one pass), one in two
	// pieces, and one longer than a bitmap window (512 bytes).
	long := []byte(strings.Replace(chromeRequest, "\r\n\r\n", "\r\nX-Pad: "+strings.Repeat("p", 600)+"\r\n\r\n", 1))
	if n := testing.AllocsPerRun(1000, func() {
		if _, _, err := ParseRequestFrom(raw, 0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ParseRequestFrom(raw[:100], 0); err != ErrNeedMore {
			t.Fatal(err)
		}
		if _, _, err := ParseRequestFrom(raw, 100); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ParseRequestFrom(long, 0); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("ParseRequestFrom allocates %v", n)
	}
	g := NewMaskGen(3)
	reqBuf := make([]byte, 0, 512)
	key := NewClientKey(g)
	resp, _, _, _ := ServerHandshake(nil, AppendClientRequest(nil, []byte("h"), []byte("/"), key[:], nil))
	if n := testing.AllocsPerRun(1000, func() {
		k := NewClientKey(g)
		reqBuf = AppendClientRequest(reqBuf[:0], []byte("127.0.0.1:8080"), []byte("/ws"), k[:], nil)
		if _, _, err := ParseResponse(resp, key[:]); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("client handshake allocates %v", n)
	}
	errOut := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() { errOut = AppendHandshakeError(errOut[:0], ErrWSVersion) }); n != 0 {
		t.Fatalf("error response allocates %v", n)
	}
}

func TestAppendInt(t *testing.T) {
	for _, n := range []int64{0, 1, -1, 9, 10, -10, 123456789, 1<<63 - 1, -1 << 63} {
		if got, want := string(AppendInt(nil, n)), strconv.FormatInt(n, 10); got != want {
			t.Errorf("AppendInt(%d) = %s", n, got)
		}
	}
}

// Every byte of every header line is checked (RFC 9110 5.5): a control
// character other than tab anywhere fails the request, and tab or obs-text
// in a value passes, wherever the byte falls in the scanner's blocks.
func TestFieldLineBytes(t *testing.T) {
	raw := []byte(strings.Replace(chromeRequest, "Pragma:", "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36\r\nPragma:", 1))
	first := bytes.Index(raw, []byte("\r\n")) + 2
	end := findHeadEnd(raw, 0)
	for i := first; i < end-2; i++ {
		if raw[i] == '\r' || raw[i] == '\n' {
			continue
		}
		for _, c := range []byte{0, 1, '\r', '\n', 0x1F, 0x7F} {
			b := bytes.Clone(raw)
			b[i] = c
			if _, _, err := parseRequestHead(b); err != ErrBadRequest {
				t.Fatalf("%#x at %d (%q): %v, want ErrBadRequest", c, i, raw[i-5:i+5], err)
			}
		}
	}
	ua := bytes.Index(raw, []byte("User-Agent: ")) + len("User-Agent: ")
	for i := ua; raw[i] != '\r'; i++ {
		for _, c := range []byte{'\t', 0x80, 0xFF} {
			b := bytes.Clone(raw)
			b[i] = c
			if _, _, err := parseRequestHead(b); err != nil {
				t.Fatalf("%#x at %d of a value: %v", c, i, err)
			}
		}
	}
}

// Every prefix of a head longer than several fills of the parser's
// scanner, with lines across its words and fills, is ErrNeedMore, and
// the whole head parses with every header in place.
func TestLongHeadEveryPrefix(t *testing.T) {
	head := "GET /ws HTTP/1.1\r\nHost: h\r\n"
	for i := 0; len(head) < 1500; i++ {
		head += "X-Pad-" + strconv.Itoa(i) + ": " + strings.Repeat("v:", i%50) + "\r\n"
	}
	head += "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	b := []byte(head)
	for n := 0; n < len(b); n++ {
		if _, _, err := parseRequestHead(b[:n:n]); err != ErrNeedMore {
			t.Fatalf("prefix of %d bytes: %v, want ErrNeedMore", n, err)
		}
	}
	req, n, err := parseRequestHead(b)
	if err != nil || n != len(b) {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if err := req.CheckUpgrade(); err != nil || string(req.Host) != "h" {
		t.Fatalf("%v, host %q", err, req.Host)
	}
}

// The 101 is the same whether the accept value is encoded in place in
// dst's spare capacity or appended, for every capacity, and it carries
// the RFC 6455 example's accept value.
func TestUpgradeResponseEveryCapacity(t *testing.T) {
	key := []byte("dGhlIHNhbXBsZSBub25jZQ==")
	want := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	for c := 0; c <= len(want)+8; c++ {
		dst := append(make([]byte, 0, c), "x"[:min(c, 1)]...)
		got := AppendUpgradeResponse(dst, key, nil)
		if string(got) != "x"[:min(c, 1)]+want {
			t.Fatalf("cap %d: %q", c, got)
		}
	}
}

// A tab may stand in a value, and around it, but not in a name or before
// the colon, nor in the request line.
func TestTabsInHead(t *testing.T) {
	req, _, err := parseRequestHead([]byte("GET / HTTP/1.1\r\nHost: a\tb\r\nX-T:\t\tv\t\r\nOrigin: \to\t\t\r\n\r\n"))
	if err != nil || string(req.Host) != "a\tb" || string(req.Origin) != "o" {
		t.Fatalf("%v, host %q, origin %q", err, req.Host, req.Origin)
	}
	for _, bad := range []string{
		"GET / HTTP/1.1\r\nHo\tst: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
		"GET / HTTP/1.1\r\n\tHost: a\r\n\r\n",
		"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\t\r\nHost: a\r\n\r\n",
	} {
		if _, _, err := parseRequestHead([]byte(bad)); err != ErrBadRequest {
			t.Fatalf("%q: %v, want ErrBadRequest", bad, err)
		}
	}
}

// A name with a character that is not a token character, first, inside or
// last, is refused wherever it stands in the head (across the scanner's
// words and fills), and a name of token characters of every kind is
// accepted.
func TestNameTokensEverywhere(t *testing.T) {
	for pad := 0; pad < 140; pad++ {
		pre := "GET / HTTP/1.1\r\nX-Pad: " + strings.Repeat("p", pad) + "\r\n"
		ok := pre + "A!#$%&'*+-.^_`|~09az: v\r\n\r\n"
		if _, _, err := parseRequestHead([]byte(ok)); err != nil {
			t.Fatalf("pad %d: %v", pad, err)
		}
		for _, c := range []byte("\"(),/;<=>?@[\\]{}\x80\xff") {
			for _, name := range []string{string(c) + "Name", "Na" + string(c) + "me", "Name" + string(c)} {
				bad := pre + name + ": v\r\n\r\n"
				if _, _, err := parseRequestHead([]byte(bad)); err != ErrBadRequest {
					t.Fatalf("pad %d, name %q: %v", pad, name, err)
				}
			}
		}
	}
}
