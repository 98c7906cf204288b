package firmware_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/wslab/wslab/firmware"
)

// listStore is a listing Store in memory, for the board-side tests.
type listStore struct {
	names []string
	sizes []int64
}

func (m *listStore) Open(name []byte) (firmware.File, int64, error) {
	return nil, 0, firmware.ErrNotExist
}
func (m *listStore) Create(name []byte, size int64) (firmware.Upload, error) {
	return nil, firmware.ErrNoSpace
}
func (m *listStore) Remove(name []byte) error { return firmware.ErrNotExist }
func (m *listStore) File(i int, name []byte) (int, int64, bool) {
	if i >= len(m.names) {
		return 0, 0, false
	}
	if len(m.names[i]) <= len(name) {
		copy(name, m.names[i])
	}
	return len(m.names[i]), m.sizes[i], true
}

// plainStore is a Store that cannot list.
type plainStore struct{ listStore }

func (plainStore) File() {}

func boardWith(t *testing.T, st firmware.Store) *firmware.Board {
	t.Helper()
	b, err := firmware.NewBoard(firmware.Config{Slots: 2, RxBuf: 512, TxBuf: 512, MaxMessage: 4096}, st, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func request(t *testing.T, b *firmware.Board, req string) string {
	t.Helper()
	p := &pipe{t: t, s: b.Accept(0), out: make([]byte, 0, 16<<10)}
	p.feed([]byte(req))
	if !p.s.Done() {
		t.Errorf("%q: the slot did not close after answering", req)
	}
	p.s.Release(p.now)
	return string(p.out)
}

// GET /files, byte for byte: valid names only (a store's temporary files and
// anything that would need escaping are left out), sizes, and HEAD.
func TestFilesList(t *testing.T) {
	st := &listStore{names: []string{"a.bin", ".upload-123", "config.json", `bad"name`, "x_y-z.2"}, sizes: []int64{0, 9, 1234, 5, 1 << 40}}
	b := boardWith(t, st)
	body := `{"files":[{"name":"a.bin","size":0},{"name":"config.json","size":1234},{"name":"x_y-z.2","size":1099511627776}],"truncated":false}` + "\n"
	want := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) +
		"\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n" + body
	for _, path := range []string{"/files", "/files/"} {
		if got := request(t, b, "GET "+path+" HTTP/1.0\r\n\r\n"); got != want {
			t.Errorf("GET %s:\n%q\nwant\n%q", path, got, want)
		}
	}
	if got := request(t, b, "HEAD /files HTTP/1.0\r\n\r\n"); got != strings.TrimSuffix(want, body) {
		t.Errorf("HEAD /files: %q", got)
	}
	var doc struct {
		Files []struct {
			Name string
			Size int64
		}
		Truncated bool
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Files) != 3 {
		t.Fatalf("the document is not the JSON it claims: %v %+v", err, doc)
	}

	empty := boardWith(t, &listStore{})
	if got := request(t, empty, "GET /files HTTP/1.0\r\n\r\n"); !strings.HasSuffix(got, "\r\n\r\n"+`{"files":[],"truncated":false}`+"\n") {
		t.Errorf("empty store: %q", got)
	}
	for req, status := range map[string]string{
		"PUT /files HTTP/1.0\r\nContent-Length: 0\r\n\r\n": "HTTP/1.1 405 ",
		"DELETE /files/ HTTP/1.0\r\n\r\n":                  "HTTP/1.1 405 ",
	} {
		if got := request(t, b, req); !strings.HasPrefix(got, status) || !strings.Contains(got, "Allow: GET, HEAD\r\n") {
			t.Errorf("%q: %q", req, got)
		}
	}
	if got := request(t, boardWith(t, &plainStore{}), "GET /files HTTP/1.0\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 501 ") {
		t.Errorf("store without a list: %q", got)
	}
	if got := request(t, boardWith(t, nil), "GET /files HTTP/1.0\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 501 ") {
		t.Errorf("no store: %q", got)
	}
}

// More files than the board's stats buffer holds: the list stops at the
// buffer, says so, and stays valid JSON; nothing grows past the buffer.
func TestFilesListTruncated(t *testing.T) {
	st := &listStore{}
	for i := range 200 {
		st.names = append(st.names, strings.Repeat("f", 50)+strconv.Itoa(1000+i))
		st.sizes = append(st.sizes, int64(i))
	}
	b := boardWith(t, st)
	doc := b.AppendFiles(make([]byte, 0, firmware.StatsBufSize))
	if len(doc) > firmware.StatsBufSize {
		t.Fatalf("%d bytes, more than the %d byte buffer", len(doc), firmware.StatsBufSize)
	}
	var v struct {
		Files     []struct{ Name string }
		Truncated bool
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	if !v.Truncated || len(v.Files) < 30 || len(v.Files) >= 200 || v.Files[len(v.Files)-1].Name != st.names[len(v.Files)-1] {
		t.Errorf("truncated %v after %d files", v.Truncated, len(v.Files))
	}
	// Exactly as many as fit: not truncated.
	st.names, st.sizes = st.names[:len(v.Files)], st.sizes[:len(v.Files)]
	doc = b.AppendFiles(make([]byte, 0, firmware.StatsBufSize))
	if !bytes.HasSuffix(doc, []byte(`],"truncated":false}`+"\n")) {
		t.Errorf("all %d files fit, yet: %s", len(st.names), doc[len(doc)-40:])
	}
}

// Listing allocates nothing, on the board's own buffer and through a slot.
func TestFilesListAllocatesNothing(t *testing.T) {
	st := &listStore{names: []string{"a.bin", "b.txt", ".tmp"}, sizes: []int64{1, 22, 3}}
	b := boardWith(t, st)
	buf := make([]byte, 0, firmware.StatsBufSize)
	if n := testing.AllocsPerRun(100, func() { buf = b.AppendFiles(buf[:0]) }); n != 0 {
		t.Errorf("AppendFiles: %v allocations", n)
	}
	p := &pipe{t: t, s: b.Accept(0), out: make([]byte, 0, 64<<10)}
	req := []byte("GET /files HTTP/1.1\r\nHost: board\r\n\r\n")
	p.feed(req)
	first := string(p.out)
	if !strings.Contains(first, `"b.txt"`) {
		t.Fatalf("%q", first)
	}
	if n := testing.AllocsPerRun(100, func() { p.out = p.out[:0]; p.feed(req) }); n != 0 {
		t.Errorf("GET /files through a slot: %v allocations", n)
	}
	if string(p.out) != first {
		t.Errorf("keep-alive answer differs:\n%q\n%q", p.out, first)
	}
}

// The page lives in the board's flash with the firmware: it stays small.
func TestPageSmall(t *testing.T) {
	const max = 8 << 10
	if len(firmware.Page) > max {
		t.Errorf("the page is %d bytes, over %d: boards keep it in flash", len(firmware.Page), max)
	}
}
