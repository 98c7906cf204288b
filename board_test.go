package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 18 defect 8: a board listening beyond loopback says that its file
// store takes unauthenticated writes; on loopback it says nothing.
func TestListenWarning(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		warn bool
	}{{"127.0.0.1", false}, {"::1", false}, {"127.3.2.1", false}, {"0.0.0.0", true}, {"::", true}, {"192.168.1.50", true}} {
		w := listenWarning(&net.TCPAddr{IP: net.ParseIP(tc.ip), Port: 8080})
		if got := w != "" && strings.Contains(w, "unauthenticated") && strings.Contains(w, "PUT and DELETE"); got != tc.warn {
			t.Errorf("%s: warning %q", tc.ip, w)
		}
	}
}

// Issue 18 defect 8: an impossible size is a clean error, not an
// out-of-memory crash.
func TestBoardHugeSlots(t *testing.T) {
	var out, errb bytes.Buffer
	rc := runBoard([]string{"--model", "linux-sbc", "--slots", "4000000000", "--listen", "127.0.0.1:0"}, &out, &errb)
	if rc == 0 || !strings.Contains(errb.String(), "slots must be at most") {
		t.Errorf("exit %d, stderr %q", rc, errb.String())
	}
}

// --config-json holds the whole board: other board flags beside it, and a
// file that is not a resolved board, are refused before anything starts.
func TestBoardConfigJSONBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(`{"config":{"Slots":2,"RxBuf":1024,"TxBuf":1024,"MaxMessage":1024},"link":{},"cpu":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"config":{"Slots":2},"lnk":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"board", "--config-json", good, "--slots", "3"}, "drop -slots"},
		{[]string{"board", "--config-json", bad}, `unknown field "lnk"`},
		{[]string{"board", "--config-json", filepath.Join(dir, "none.json")}, "no such file"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %d and %q", c.args, code, stderr.String(), exitUsage, c.want)
		}
	}
}
