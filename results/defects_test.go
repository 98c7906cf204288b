package results_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wslab/wslab/results"
	"github.com/wslab/wslab/results/resultstest"
)

// Issue 18 table: a shard merge keeps the histograms only one side has,
// and adds the other side's interval errors.
func TestMergeDisjointHistogramsAndIntervalErrors(t *testing.T) {
	specs := shardSpecs(2)
	a, b := resultstest.Run(specs[0]), resultstest.Run(specs[1])
	// a has only latency, b only handshake, overall and in every interval.
	delete(a.Histograms, results.HistHandshake)
	for k := range b.Histograms {
		if k != results.HistHandshake {
			delete(b.Histograms, k)
		}
	}
	hs := results.NewHistogram()
	for v := int64(1); v <= 50; v++ {
		hs.Record(v * 100)
	}
	b.Histograms[results.HistHandshake] = hs
	for i := range a.Intervals {
		a.Intervals[i].Errors = 1
		a.Intervals[i].Histograms = map[string]*results.Histogram{results.HistLatency: a.Intervals[i].Histograms[results.HistLatency]}
	}
	for i := range b.Intervals {
		b.Intervals[i].Errors = 10
		h := results.NewHistogram()
		h.Record(int64(1000 + i))
		b.Intervals[i].Histograms = map[string]*results.Histogram{results.HistHandshake: h}
	}
	m, err := results.MergeShards([]*results.Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Histograms[results.HistHandshake].Count(); got != 50 {
		t.Errorf("merged handshake histogram holds %d values, want b's 50", got)
	}
	if got, want := m.Histograms[results.HistLatency].Count(), a.Histograms[results.HistLatency].Count(); got != want {
		t.Errorf("merged latency histogram holds %d values, want a's %d", got, want)
	}
	var errs, hsN int64
	for _, iv := range m.Intervals {
		errs += iv.Errors
		hsN += iv.Histograms[results.HistHandshake].Count()
	}
	if want := int64(len(a.Intervals) + 10*len(b.Intervals)); errs != want {
		t.Errorf("merged intervals hold %d errors, want %d", errs, want)
	}
	if hsN != int64(len(b.Intervals)) {
		t.Errorf("merged intervals hold %d handshake values, want %d", hsN, len(b.Intervals))
	}
}

// Issue 18 defect 6: the same run merged twice would double every count.
func TestMergeRefusesTheSameRunTwice(t *testing.T) {
	r := resultstest.Run(resultstest.Spec{Seed: 3, Samples: 100})
	if _, err := results.MergeShards([]*results.Run{r, results.CloneRun(r)}); err == nil || !strings.Contains(err.Error(), r.ID) {
		t.Errorf("merging run %s with itself: %v", r.ID, err)
	}
	// A merged run and one of the runs it holds: the same data twice too.
	specs := shardSpecs(3)
	s0, s1, s2 := resultstest.Run(specs[0]), resultstest.Run(specs[1]), resultstest.Run(specs[2])
	m, err := results.MergeShards([]*results.Run{s0, s1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := results.MergeShards([]*results.Run{s2, m, s0}); err == nil {
		t.Error("merged a merged run with one of its own shards")
	}
}

// Issue 18 defect 6: a shard count that would loop for ever is refused.
func TestShardCountBounded(t *testing.T) {
	for _, s := range []string{"0/1099511627776", "0/9223372036854775807", "5/100000000"} {
		if _, err := results.ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q) accepted", s)
		}
	}
	if _, err := results.ParseShard("3/64"); err != nil {
		t.Error(err)
	}
	// A record claiming to merge 2^40 shards is refused on reading.
	r := resultstest.Run(resultstest.Spec{Seed: 4, Samples: 10})
	r.Merged = &results.MergeInfo{From: []string{r.ID}, Shards: []int{0}, Of: 1 << 40}
	b, err := results.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := results.Unmarshal("big.json", b); err == nil {
		t.Error("a record merged from 2^40 shards was read")
	}
}

// hdrWithGeometry encodes an empty histogram header of any geometry, as a
// hostile file would carry.
func hdrWithGeometry(t *testing.T, lo, hi int64, digits int) string {
	// By hand: cookie, length, then the zlib'd 40-byte header and an
	// empty payload (hdrhistogram.New would allocate the geometry).
	var hdr bytes.Buffer
	binary.Write(&hdr, binary.BigEndian, int32(0x1c849303))
	binary.Write(&hdr, binary.BigEndian, int32(0)) // payload length
	binary.Write(&hdr, binary.BigEndian, int32(0)) // normalizing offset
	binary.Write(&hdr, binary.BigEndian, int32(digits))
	binary.Write(&hdr, binary.BigEndian, lo)
	binary.Write(&hdr, binary.BigEndian, hi)
	binary.Write(&hdr, binary.BigEndian, float64(1))
	z := zlibBytes(hdr.Bytes())
	var out bytes.Buffer
	binary.Write(&out, binary.BigEndian, int32(0x1c849304))
	binary.Write(&out, binary.BigEndian, int32(len(z)))
	out.Write(z)
	return base64.StdEncoding.EncodeToString(out.Bytes())
}

// Issue 18 defect 6: a record whose histograms have a huge geometry, or
// that holds a huge number of intervals, is refused with a named error
// instead of taking the machine's memory; the folder's other records are
// still read.
func TestReadBoundsHostileRecords(t *testing.T) {
	dir := t.TempDir()
	s, _ := results.Open(dir)
	good := resultstest.Run(resultstest.Spec{Seed: 5, Samples: 100})
	if _, err := s.Save(good); err != nil {
		t.Fatal(err)
	}
	base, err := results.Marshal(resultstest.Run(resultstest.Spec{Seed: 6, Samples: 100}))
	if err != nil {
		t.Fatal(err)
	}
	// A histogram of geometry 1 to 2^62 at 5 digits: gigabytes of counts.
	huge := hdrWithGeometry(t, 1, 1<<62, 5)
	re := regexp.MustCompile(`"hdr": "[^"]*"`)
	bad := re.ReplaceAll(base, []byte(`"hdr": "`+huge+`"`))
	bad = regexp.MustCompile(`"count": [0-9]+`).ReplaceAll(bad, []byte(`"count": 0`))
	bad = bytes.Replace(bad, []byte(`"id": "`), []byte(`"id": "geo`), 1)
	if err := os.WriteFile(filepath.Join(dir, "geometry.json"), bad, 0o644); err != nil {
		t.Fatal(err)
	}
	// 200,000 empty intervals.
	var rec map[string]any
	json.Unmarshal(base, &rec)
	ivs := make([]map[string]any, 200000)
	for i := range ivs {
		ivs[i] = map[string]any{"offset": "1s", "length": "1s", "msgs_sent": 0, "msgs_received": 0, "bytes_sent": 0, "bytes_received": 0}
	}
	rec["intervals"] = ivs
	rec["id"] = "many-intervals"
	many, _ := json.Marshal(rec)
	if err := os.WriteFile(filepath.Join(dir, "intervals.json"), many, 0o644); err != nil {
		t.Fatal(err)
	}
	runs, errs, err := results.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].ID != good.ID {
		t.Errorf("read %d runs, want only the good one", len(runs))
	}
	names := ""
	for _, e := range errs {
		names += e.Error() + "\n"
	}
	if len(errs) != 2 || !strings.Contains(names, "geometry.json") || !strings.Contains(names, "intervals.json") {
		t.Errorf("skipped files:\n%s", names)
	}
}

// Issue 18 table: a record whose count disagrees with its histogram is
// corrupted and refused on reading.
func TestReadDetectsCountMismatch(t *testing.T) {
	b, err := results.Marshal(resultstest.Run(resultstest.Spec{Seed: 8, Samples: 100}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := results.Unmarshal("ok.json", b); err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`"count": 100,`).ReplaceAll(b, []byte(`"count": 101,`))
	if bytes.Equal(bad, b) {
		t.Fatal("no count of 100 in the record")
	}
	if _, err := results.Unmarshal("bad.json", bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("a count that disagrees with its histogram: %v", err)
	}
}

// Issue 18 table: a record is written to a temporary file, synced, and
// only then linked to its name. A writer killed (SIGKILL) between the
// write and the link leaves no record, not a partial one, and the name
// is still free.
func TestWriterKilledBeforeLinkLeavesNoRecord(t *testing.T) {
	if dir := os.Getenv("WSLAB_KILL_WRITER_DIR"); dir != "" {
		results.SetBeforeLinkForTest(func(string) { syscall.Kill(os.Getpid(), syscall.SIGKILL); time.Sleep(time.Minute) })
		err := results.WriteFile(filepath.Join(dir, "run.json"), resultstest.Run(resultstest.Spec{Seed: 9, Samples: 5000}))
		os.Stdout.WriteString("not killed: " + errString(err) + "\n")
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriterKilledBeforeLinkLeavesNoRecord$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WSLAB_KILL_WRITER_DIR="+dir)
	out, _ := cmd.CombinedOutput()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() {
		t.Fatalf("the writer was never between write and link (no temporary file stage): %s", out)
	}
	if _, err := os.Lstat(filepath.Join(dir, "run.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a killed writer left run.json: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || !strings.HasPrefix(ents[0].Name(), ".") {
		t.Fatalf("the folder holds %v, want one hidden temporary file", ents)
	}
	// The temporary file was whole when the writer died.
	b, err := os.ReadFile(filepath.Join(dir, ents[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := results.Unmarshal(ents[0].Name(), b); err != nil {
		t.Errorf("the temporary file was not complete before the link: %v", err)
	}
	runs, errs, err := results.ReadDir(dir)
	if err != nil || len(runs) != 0 || len(errs) != 0 {
		t.Errorf("ReadDir after the kill: %d runs, %v, %v", len(runs), errs, err)
	}
	// And it was synced before being linked.
	var synced bool
	results.SetBeforeLinkForTest(func(string) { synced = results.SyncsForTest() > 0 })
	defer results.SetBeforeLinkForTest(nil)
	if err := results.WriteFile(filepath.Join(dir, "run.json"), resultstest.Run(resultstest.Spec{Seed: 9, Samples: 50})); err != nil {
		t.Fatal(err)
	}
	if !synced {
		t.Error("the record was linked before it was synced")
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// Issue 18 defect 7: a folder that cannot take a record is refused before
// anything runs, and a record that cannot be stored later is kept.
func TestStoreWritableOrKept(t *testing.T) {
	// Root writes through permission bits: /proc/self is a folder nobody
	// can create files in.
	if _, err := results.Open("/proc/self"); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("Open of a folder nobody can write: %v", err)
	}
	if os.Getuid() != 0 {
		ro := t.TempDir()
		os.Chmod(ro, 0o555)
		defer os.Chmod(ro, 0o755)
		if _, err := results.Open(ro); err == nil {
			t.Error("Open of a read-only folder succeeded")
		}
	}
	dir := filepath.Join(t.TempDir(), "res")
	s, err := results.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The folder goes away and a file takes its name: Save cannot work.
	os.RemoveAll(dir)
	os.WriteFile(dir, nil, 0o644)
	r := resultstest.Run(resultstest.Spec{Seed: 11, Samples: 10})
	r.ID += "-kept-" + time.Now().Format("150405.000000000")
	p, err := s.SaveOrKeep(r)
	if err == nil || p == "" || !strings.Contains(err.Error(), p) {
		t.Fatalf("SaveOrKeep = %q, %v; want the fallback path named in the error", p, err)
	}
	defer os.Remove(p)
	got, err := results.ReadFile(p)
	if err != nil || got.ID != r.ID {
		t.Errorf("the kept record: %v", err)
	}
}
