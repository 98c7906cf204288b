package host_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// GET /files on the Linux board lists the store's directory: uploads appear
// with their sizes, deleted files go, and an upload in progress (a hidden
// temporary file), a subdirectory and a name the board would refuse are
// not listed.
func TestFilesListOnHost(t *testing.T) {
	dir := t.TempDir()
	srv := startBoardOpts(t, host.Options{Board: firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxUpload: 1 << 20}, StoreDir: dir})
	addr := srv.Addr().String()
	if r := get(t, addr, "/files"); r.Status != 200 || string(r.Body) != `{"files":[],"truncated":false}`+"\n" ||
		r.Header["content-type"] != "application/json" {
		t.Fatalf("empty: %d %q %q", r.Status, r.Header["content-type"], r.Body)
	}
	for _, f := range []struct {
		name string
		size int
	}{{"b.bin", 3000}, {"a.txt", 5}} {
		if r := put(t, addr, "/files/"+f.name, payload(f.size, false)); r.Status != 201 {
			t.Fatalf("PUT %s: %d", f.name, r.Status)
		}
	}
	os.WriteFile(filepath.Join(dir, ".upload-123"), []byte("partial"), 0o644)
	os.WriteFile(filepath.Join(dir, "bad name"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	want := `{"files":[{"name":"a.txt","size":5},{"name":"b.bin","size":3000}],"truncated":false}` + "\n"
	if r := get(t, addr, "/files"); r.Status != 200 || string(r.Body) != want {
		t.Fatalf("GET /files: %d %q, want %q", r.Status, r.Body, want)
	}
	if r := rawHTTP(t, addr, "DELETE /files/a.txt HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n"); r.Status != 204 {
		t.Fatalf("DELETE: %d", r.Status)
	}
	if r := get(t, addr, "/files/"); string(r.Body) != `{"files":[{"name":"b.bin","size":3000}],"truncated":false}`+"\n" {
		t.Fatalf("after DELETE: %q", r.Body)
	}
}
