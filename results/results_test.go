package results_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

func TestRoundTrip(t *testing.T) {
	r := resultstest.Run(resultstest.Spec{Seed: 1, Errors: map[string]int64{"refused": 3, results.HandshakeStatus(503): 2},
		Shard: results.Shard{Index: 1, Count: 4}})
	r.Scenario.Params = map[string]string{"ramp": "5s"}
	r.Board.Extra = map[string]string{"idf": "5.2"}
	r.Rates.MsgsPerSec = 123.5
	b1, err := results.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := results.Unmarshal("mem.json", b1)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := results.Marshal(r2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatalf("re-encoding differs:\n%s\n---\n%s", b1, b2)
	}
	if !r2.Start.Equal(r.Start) || !r2.End.Equal(r.End) || r2.Scenario.Shard != r.Scenario.Shard ||
		r2.Scenario.Duration != r.Scenario.Duration || r2.Board.LinkRTT != r.Board.LinkRTT ||
		r2.Counts != r.Counts || r2.Errors["handshake 503"] != 2 || r2.Rates != r.Rates ||
		r2.Scenario.Params["ramp"] != "5s" || len(r2.Heap) != len(r.Heap) || r2.Heap[3] != r.Heap[3] {
		t.Errorf("fields lost in round trip:\n%+v\n%+v", r, r2)
	}
	for name, h := range r.Histograms {
		if !h.Equals(r2.Histograms[name].Histogram) {
			t.Errorf("histogram %q differs after round trip", name)
		}
	}
	if len(r2.Intervals) != len(r.Intervals) || !r.Intervals[5].Histograms["latency"].Equals(r2.Intervals[5].Histograms["latency"].Histogram) {
		t.Errorf("interval histograms lost in round trip")
	}
	if !strings.Contains(string(b1), `"shard": "1/4"`) || !strings.Contains(string(b1), `"duration": "1m0s"`) {
		t.Errorf("shard or duration not in their text form:\n%.600s", b1)
	}
}

func TestVersionMismatch(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "old.json")
	r := resultstest.Run(resultstest.Spec{Seed: 2})
	b, _ := results.Marshal(r)
	b = bytes.Replace(b, []byte(`"schema": 1`), []byte(`"schema": 7`), 1)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := results.ReadFile(p)
	var ve *results.VersionError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a VersionError", err)
	}
	if ve.File != p || ve.Found != 7 || ve.Expected != results.SchemaVersion {
		t.Errorf("VersionError = %+v", ve)
	}
	for _, want := range []string{p, "7", "1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestStoreNeverOverwrites(t *testing.T) {
	s, err := results.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := resultstest.Run(resultstest.Spec{Seed: 3})
	p, err := s.Save(r)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	r2 := results.CloneRun(r)
	r2.Notes = []string{"second writer"}
	if _, err := s.Save(r2); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second save: got %v, want fs.ErrExist", err)
	}
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Fatal("second save changed the stored file")
	}
	got, err := s.Load(r.ID)
	if err != nil || got.ID != r.ID || len(got.Notes) != 0 {
		t.Fatalf("Load = %v, %v", got, err)
	}
	assertOnly(t, s.Dir, filepath.Base(p))
}

// Many writers race for one name: exactly one wins, and the file is the
// winner's complete record.
func TestStoreConcurrentWriters(t *testing.T) {
	s, _ := results.Open(t.TempDir())
	base := resultstest.Run(resultstest.Spec{Seed: 4, Samples: 2000})
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := results.CloneRun(base)
			r.Notes = []string{fmt.Sprintf("writer %d", i)}
			_, errs[i] = s.Save(r)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, fs.ErrExist):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer succeeded")
	}
	got, err := s.Load(base.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("writer %d", winner); len(got.Notes) != 1 || got.Notes[0] != want {
		t.Fatalf("stored notes %q, want the winner's %q", got.Notes, want)
	}
	assertOnly(t, s.Dir, base.ID+".json")
}

// A writer that fails midway (as on a full disk) leaves nothing behind.
func TestWriteFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.json")
	err := results.WriteNewForTest(p, func(w interface{ Write([]byte) (int, error) }) error {
		if _, err := w.Write([]byte(`{"schema": 1, "id": "x", "sce`)); err != nil {
			return err
		}
		return errors.New("no space left on device")
	})
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("got %v, want the writer's error", err)
	}
	assertOnly(t, dir)
}

func TestWriteToUnwritablePlace(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := resultstest.Run(resultstest.Spec{Seed: 5})
	if err := results.WriteFile(filepath.Join(notDir, "run.json"), r); err == nil {
		t.Fatal("writing under a regular file succeeded")
	}
	if err := results.WriteFile(filepath.Join(dir, "missing", "run.json"), r); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
	assertOnly(t, dir, "file")
}

func TestReadDirSkipsBadFiles(t *testing.T) {
	dir := t.TempDir()
	s, _ := results.Open(dir)
	good1 := resultstest.Run(resultstest.Spec{Seed: 10})
	good2 := resultstest.Run(resultstest.Spec{Seed: 11, Start: resultstest.Epoch.Add(time.Hour)})
	for _, r := range []*results.Run{good2, good1} {
		if _, err := s.Save(r); err != nil {
			t.Fatal(err)
		}
	}
	full, _ := results.Marshal(resultstest.Run(resultstest.Spec{Seed: 12}))
	v2 := bytes.Replace(full, []byte(`"schema": 1`), []byte(`"schema": 2`), 1)
	badHist := bytes.Replace(full, []byte(`"hdr": "`), []byte(`"hdr": "AAAA`), 1)
	bad := map[string][]byte{
		"truncated.json": full[:len(full)/2],
		"garbage.json":   []byte("\x00\x01 not json"),
		"empty.json":     nil,
		"v2.json":        v2,
		"nohist.json":    badHist,
		"other.json":     []byte(`{"name": "not a run"}`),
	}
	for name, b := range bad {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Ignored: hidden temporary files and files that are not JSON.
	os.WriteFile(filepath.Join(dir, ".tmp-x.json-123"), full[:10], 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hi"), 0o644)
	os.Mkdir(filepath.Join(dir, "dir.json"), 0o755)
	bad["dir.json"] = nil

	runs, errs, err := results.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != good1.ID || runs[1].ID != good2.ID {
		t.Errorf("runs = %v, want %s then %s", ids(runs), good1.ID, good2.ID)
	}
	named := map[string]bool{}
	for _, e := range errs {
		for name := range bad {
			if strings.Contains(e.Error(), filepath.Join(dir, name)) {
				named[name] = true
			}
		}
	}
	if len(errs) != len(bad) || len(named) != len(bad) {
		t.Errorf("got %d errors naming %v, want one per bad file %d:\n%v", len(errs), named, len(bad), errs)
	}
}

func TestShardText(t *testing.T) {
	for _, ok := range []string{"", "0/1", "3/4"} {
		s, err := results.ParseShard(ok)
		if err != nil || s.String() != ok {
			t.Errorf("ParseShard(%q) = %v, %v", ok, s, err)
		}
	}
	for _, bad := range []string{"4/4", "-1/3", "1", "a/b", "0/0"} {
		if _, err := results.ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) succeeded", bad)
		}
	}
}

func ids(runs []*results.Run) []string {
	var s []string
	for _, r := range runs {
		s = append(s, r.ID)
	}
	return s
}

// assertOnly fails unless dir holds exactly the named entries.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if fmt.Sprint(got) != fmt.Sprint(names) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

func TestFormatBytesAndRAM(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {512, "512 B"}, {1023, "1023 B"}, {1024, "1 KiB"}, {44544, "43.5 KiB"}, {250 << 10, "250 KiB"},
		{1520435, "1.45 MiB"}, {64 << 20, "64 MiB"}} {
		if got := results.FormatBytes(c.n); got != c.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := results.FormatRAM(44544, 250<<10); got != "RAM 43.5 KiB of 250 KiB budget (17%)" {
		t.Errorf("FormatRAM: %q", got)
	}
	if got := results.FormatRAM(44544, 0); got != "RAM 43.5 KiB" {
		t.Errorf("FormatRAM without a budget: %q", got)
	}
	r := &results.Run{Board: results.Board{HeapBudget: 1000}, Heap: []results.HeapSample{{HeapInUse: 5 << 20, RAMInUse: 400}, {HeapInUse: 6 << 20, RAMInUse: 700}, {HeapInUse: 6 << 20, RAMInUse: 600}}}
	s := r.Summary()
	if !s.HasRAM || s.RAMMax != 700 || s.RAMEnd != 600 || s.RAMBudget != 1000 {
		t.Errorf("summary RAM: %+v", s)
	}
	if s := (&results.Run{Heap: []results.HeapSample{{HeapInUse: 5 << 20}}}).Summary(); s.HasRAM || s.RAMMax != 0 {
		t.Errorf("a host heap alone is not the board's RAM: %+v", s)
	}
}
