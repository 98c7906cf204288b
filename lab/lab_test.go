package lab

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wslab/wslab/firmware/catalog"
	"github.com/wslab/wslab/firmware/host"
	"github.com/wslab/wslab/loadgen"
	"github.com/wslab/wslab/results"
)

func TestParseGoal(t *testing.T) {
	g, err := ParseGoal("p99<20ms, throughput>1MB/s,errors<1")
	if err != nil {
		t.Fatal(err)
	}
	if len(g) != 3 || g[0].Figure != "p99" || g[0].Op != results.OpLess || g[0].Limit != 20000 ||
		g[1].Figure != "throughput" || g[1].Op != results.OpGreater || g[1].Limit != 1e6 || g[2].Limit != 1 {
		t.Fatalf("goal %+v", g)
	}
	for _, bad := range []string{"", "p99", "p99<fast", "latency<2ms", "throughput>3 furlongs"} {
		if _, err := ParseGoal(bad); err == nil {
			t.Errorf("ParseGoal(%q) accepted", bad)
		}
	}
}

func fakeRun(slots, rx, tx int, msgs float64, p99us int64) *results.Run {
	r := results.New(time.Unix(0, 0), results.Scenario{Name: "echo", Conns: slots, Size: 64, Duration: results.Duration(time.Second)},
		results.Board{Model: "m", Slots: slots, RxBuf: rx, TxBuf: tx}, "ws://x")
	r.End = r.Start.Add(time.Second)
	r.Rates.MsgsPerSec = msgs
	r.Rates.BytesPerSec = msgs * 128
	h := results.NewHistogram()
	for i := 0; i < 100; i++ {
		h.Record(p99us)
	}
	r.Histograms = map[string]*results.Histogram{results.HistLatency: h}
	return r
}

func TestPickSmallestThatMeetsOrClosest(t *testing.T) {
	mkRows := func() []SweepRow {
		rows := []SweepRow{
			{Board: BoardSpec{Slots: 4, RxBuf: 512, TxBuf: 512}, Footprint: 10, Run: fakeRun(4, 512, 512, 500, 20000)},   // misses both
			{Board: BoardSpec{Slots: 4, RxBuf: 1024, TxBuf: 512}, Footprint: 20, Run: fakeRun(4, 1024, 512, 1500, 9000)}, // meets
			{Board: BoardSpec{Slots: 4, RxBuf: 2048, TxBuf: 512}, Footprint: 40, Run: fakeRun(4, 2048, 512, 3000, 5000)}, // meets, bigger
		}
		for i := range rows {
			rows[i].Run.Board.StaticFootprint = int64(rows[i].Footprint)
			rows[i].Runs = []*results.Run{rows[i].Run}
		}
		return rows
	}
	runsOf := func(rows []SweepRow) []*results.Run {
		var rs []*results.Run
		for _, r := range rows {
			rs = append(rs, r.Run)
		}
		return rs
	}
	g, _ := ParseGoal("p99<10ms,msgs>1000")
	rows := mkRows()
	best, closest := judge(rows, runsOf(rows), g)
	if best == nil || best.Footprint != 20 || closest != nil {
		t.Fatalf("pick %+v closest %+v", best, closest)
	}
	// None meets: the closest miss is named, with the clause it missed.
	g2, _ := ParseGoal("p99<4ms")
	rows = mkRows()
	best, closest = judge(rows, runsOf(rows), g2)
	if best != nil || closest == nil || closest.Footprint != 40 || closest.Worst.Text != "p99<4ms" {
		t.Fatalf("none meets: pick %+v closest %+v", best, closest)
	}
	if got := missText(closest); !strings.Contains(got, "misses p99<4ms: 5") || !strings.Contains(got, "(by 25%)") {
		t.Errorf("miss text %q", got)
	}
}

// TestSweepShapes runs a real sweep on emulated boards and checks the
// shapes a firmware engineer expects, on the recorded figures:
//   - a message larger than the rx buffer still echoes (streaming);
//   - throughput rises with the transmit buffer (the data in flight per
//     round trip) until the link caps it;
//   - RAM rises linearly with the buffer size.
func TestSweepShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep")
	}
	ctx := context.Background()
	dir := t.TempDir()

	// Streaming: 4 KiB messages through 256-byte receive buffers.
	r, err := runOn(ctx, BoardSpec{Model: "esp32-idf", RxBuf: 256, TxBuf: 1024, LinkOff: true, CPUOff: true}, "",
		loadgen.Spec{Scenario: loadgen.Echo, Conns: 1, Size: 4096, Count: 200, Duration: 10 * time.Second}, observed{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Counts.MsgsReceived != 200 || r.ErrorsTotal() != 0 {
		t.Fatalf("4 KiB echo through a 256 B rx buffer: %d of 200 echoed, %d errors", r.Counts.MsgsReceived, r.ErrorsTotal())
	}

	// Throughput against the transmit buffer on esp32-idf's link (20
	// Mbit/s, 3 ms): about tx/RTT per connection until 2.5 MB/s.
	txs := []int{512, 1024, 2048, 16384, 24576}
	so, err := Sweep(ctx, SweepOptions{Model: "esp32-idf", Rx: []int{1024}, Tx: txs, Scenario: loadgen.Stream,
		Conns: 1, Size: 256, Duration: 1500 * time.Millisecond, CPUOff: true, Results: filepath.Join(dir, "r"), Out: filepath.Join(dir, "o")})
	if err != nil {
		t.Fatal(err)
	}
	mbps := make([]float64, len(so.Rows))
	for i, row := range so.Rows {
		if row.Run == nil {
			t.Fatalf("tx %d did not run: %s", txs[i], row.Skipped)
		}
		mbps[i] = row.Run.Summary().DownMBPerSec
		t.Logf("tx %5d: %.3f MB/s, footprint %d B", txs[i], mbps[i], row.Footprint)
	}
	// A small transmit buffer bounds the stream (bytes in flight per round
	// trip): each doubling raises it, and quadrupling at least doubles it.
	// The messages are 256 B so that whole frames fill each buffer (1, 3
	// and 7 of them beside the control reserve): a message that does not
	// fit goes out in fragments as room frees, and how the host's loop
	// splits those frees decides which of them join output in flight, so
	// a fragmented stream's rate varies from run to run (1 KiB messages
	// through a 1 KiB buffer gave 0.41 to 0.85 MB/s).
	for i := 1; i < 3; i++ {
		if mbps[i] < 1.15*mbps[i-1] {
			t.Errorf("tx %d -> %d: %.3f -> %.3f MB/s, want a clear rise", txs[i-1], txs[i], mbps[i-1], mbps[i])
		}
	}
	if mbps[2] < 2*mbps[0] {
		t.Errorf("tx %d -> %d: %.3f -> %.3f MB/s, want at least twice", txs[0], txs[2], mbps[0], mbps[2])
	}
	// Large windows meet the link: 20 Mbit/s is 2.5 MB/s of wire.
	const link = 2.5
	for i := 3; i < len(txs); i++ {
		if mbps[i] > link*1.05 {
			t.Errorf("tx %d: %.3f MB/s exceeds the %.1f MB/s link", txs[i], mbps[i], link)
		}
	}
	if last := mbps[len(mbps)-1]; last < 0.7*link || mbps[3] < 0.7*link {
		t.Errorf("large windows reach %.3f and %.3f MB/s, want near the %.1f MB/s link cap", mbps[3], last, link)
	}
	// RAM is linear in the buffer: slots x the buffer's growth, exactly.
	for i := 1; i < len(so.Rows); i++ {
		if d := so.Rows[i].Footprint - so.Rows[i-1].Footprint; d != 7*(txs[i]-txs[i-1]) {
			t.Errorf("footprint grew by %d from tx %d to %d, want 7 x %d", d, txs[i-1], txs[i], txs[i]-txs[i-1])
		}
	}
	if len(so.Figure) != 2 {
		t.Fatalf("sweep figure files: %v", so.Figure)
	}
	// Without a goal the pick is the smallest within 90% of the best.
	if so.Pick == nil || so.Pick.Board.TxBuf < 16384 {
		t.Errorf("pick %+v, want a large window", so.Pick)
	}
}

// TestLabOneBoard runs a short suite on one emulated board and checks the
// stored runs and the report.
func TestLabOneBoard(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the lab")
	}
	dir := t.TempDir()
	var status strings.Builder
	suite := DefaultSuite()
	keep := map[string]bool{"connect": true, "echo all slots": true, "http GET": true, "churn": true,
		"browser": true, "ladder": true, "nodrop": true}
	var short []Step
	for _, s := range suite {
		if keep[s.Name] {
			short = append(short, s)
		}
	}
	oc, err := Lab(context.Background(), Options{Models: []string{"esp8266"}, Suite: short,
		Results: filepath.Join(dir, "results"), Out: filepath.Join(dir, "report"), Status: &status})
	if err != nil {
		t.Fatalf("%v\n%s", err, status.String())
	}
	if len(oc.Failed) > 0 {
		t.Fatalf("failed steps: %v\n%s", oc.Failed, status.String())
	}
	if len(oc.Runs) != len(short) {
		t.Fatalf("%d runs for %d steps", len(oc.Runs), len(short))
	}
	// Progress: one line per step, numbered.
	for i := range short {
		if !strings.Contains(status.String(), "["+itoa(i+1)+"/"+itoa(len(short))) {
			t.Errorf("no progress line for step %d:\n%s", i+1, status.String())
		}
	}
	// connect ramps past arduinoWebSockets' 5 clients: 5 open, 2 accepted
	// and closed; the status says so in words, and the board's RAM
	// against its 40 KiB budget.
	for _, r := range oc.Runs {
		if r.Scenario.Name == "connect" && (r.Counts.ConnsOpened != 5 || r.Counts.ConnsAttempted != 7 || r.Counts.ConnsRefused != 2) {
			t.Errorf("connect on esp8266: opened %d of %d, refused %d", r.Counts.ConnsOpened, r.Counts.ConnsAttempted, r.Counts.ConnsRefused)
		}
	}
	for _, want := range []string{"board holds 5; the 6th was accepted, then closed without a byte (accept-close)", " of 40 KiB budget ("} {
		if !strings.Contains(status.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, status.String())
		}
	}
	if strings.Contains(status.String(), "board heap") {
		t.Errorf("the host's heap shown as the board's:\n%s", status.String())
	}
	// The field scenarios answer in one line.
	for _, r := range oc.Runs {
		switch r.Scenario.Name {
		case loadgen.Browser, loadgen.Ladder, loadgen.NoDrop:
			if loadgen.Answer(r) == "" {
				t.Errorf("%s on esp8266: no answer in %q", r.Scenario.Name, r.Notes)
			}
		}
	}
	stored, skipped, err := results.ReadDir(filepath.Join(dir, "results"))
	if err != nil || len(skipped) > 0 || len(stored) != len(short) {
		t.Fatalf("stored %d runs, skipped %v, err %v", len(stored), skipped, err)
	}
	html, err := os.ReadFile(oc.Report)
	if err != nil {
		t.Fatal(err)
	}
	imgs := regexp.MustCompile(`<img[^>]+src="([^"]+)"`).FindAllStringSubmatch(string(html), -1)
	if len(imgs) < 3 {
		t.Fatalf("report has %d images", len(imgs))
	}
	for _, m := range imgs {
		if st, err := os.Stat(filepath.Join(filepath.Dir(oc.Report), m[1])); err != nil || st.Size() == 0 {
			t.Errorf("report image %s: %v", m[1], err)
		}
	}
	// The board's headline, first on the page, says how many clients it
	// held and how it turned the next away (esp8266: an lwIP reset).
	page := string(html)
	head := strings.Index(page, `<section class="headline"><h3>esp8266</h3>`)
	runs := strings.Index(page, "<h2>Runs by board")
	if head < 0 || runs < head {
		t.Fatalf("no esp8266 headline before the runs (at %d, runs at %d)", head, runs)
	}
	h := page[head:runs]
	for _, want := range []string{"clients held: 5 of 7 attempted (5 slots); the next turned away: 2 closed before the upgrade (accept-close)", "RAM: ", "of 40 KiB budget", "leak: "} {
		if !strings.Contains(h, want) {
			t.Errorf("esp8266 headline lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "failed otherwise") {
		t.Errorf("refusals counted as failures:\n%s", h)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// The status line of a run gives the board's CPU at its busiest when the
// board reports one, and nothing when its CPU is not modelled.
func TestOneLineBoardCPU(t *testing.T) {
	r := results.New(time.Unix(0, 0), results.Scenario{Name: "echo", Conns: 1}, results.Board{Model: "m"}, "ws://x")
	r.End = r.Start.Add(2 * time.Second)
	r.Heap = []results.HeapSample{
		{CPUBusyMs: 100, CPUCores: 1},
		{Offset: results.Duration(time.Second), CPUBusyMs: 700, CPUCores: 1},
	}
	if got := oneLine(r); !strings.Contains(got, ", board CPU 60%") {
		t.Errorf("status line %q lacks the board CPU", got)
	}
	r.Heap[0].CPUBusyMs, r.Heap[1].CPUBusyMs = 0, 0
	if got := oneLine(r); strings.Contains(got, "CPU") {
		t.Errorf("status line %q shows a CPU the board does not model", got)
	}
}

// The configuration label is spelled once (results.ConfigLabel): the
// sweep's table, its verdict in the report and its status lines, diff's
// groups and the recommendation all name a configuration alike.
func TestConfigLabelOneSpelling(t *testing.T) {
	run := fakeRun(4, 1024, 2048, 1500, 9000)
	run.Board.StaticFootprint = 20
	bs := BoardSpec{Model: "m", Slots: 4, RxBuf: 1024, TxBuf: 2048}
	want := results.ConfigLabel(run.Board)
	if want != "m (slots 4, rx 1024 B, tx 2048 B)" {
		t.Fatalf("label %q", want)
	}
	if bs.String() != want {
		t.Errorf("BoardSpec %q, results %q", bs.String(), want)
	}
	if d := results.DiffSets([]*results.Run{run}, []*results.Run{run}); len(d) != 1 || d[0].Board != want {
		t.Errorf("diff groups by %q, want %q", d[0].Board, want)
	}
	pick, _, _, err := results.Recommend([]*results.Run{run}, Goal{})
	if err != nil || results.ConfigLabel(pick.Board) != want {
		t.Fatalf("recommend: %v %v", pick, err)
	}
	so := &SweepOutcome{Rows: []SweepRow{{Board: bs, Footprint: 20, Run: run, Runs: []*results.Run{run}}}}
	so.Goal = results.DefaultGoal([]*results.Run{run})
	so.Pick, so.Closest = judge(so.Rows, []*results.Run{run}, so.Goal)
	var b strings.Builder
	WriteSweepTable(&b, so, so.Goal)
	if !strings.Contains(b.String(), "recommended: "+want+", ") {
		t.Errorf("sweep table:\n%s\nwant the recommendation named %q", b.String(), want)
	}
	if v := sweepSection(so).Verdict; !strings.HasPrefix(v, "recommended: "+want+", ") {
		t.Errorf("report verdict %q", v)
	}
	if l := sweepSection(so).Lines[0].Config; l != want {
		t.Errorf("report line %q", l)
	}
}

// A sweep with a ForeignStarter runs each configuration once per Limits on
// what the starter starts (here an emulated board, so no cgroups are
// needed), records the limits in each run, names the rows by them and
// picks the smallest that meets the goal.
func TestSweepForeignLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sweep")
	}
	var started []Limits
	start := func(rb catalog.Board, l Limits) (string, func() error, error) {
		started = append(started, l)
		opts := rb.Options()
		opts.Listen = "127.0.0.1:0"
		srv, err := host.Start(opts)
		if err != nil {
			return "", nil, err
		}
		return srv.WSURL("/ws"), srv.Close, nil
	}
	dir := t.TempDir()
	lims := []Limits{{CPUShare: 0.5, MemLimit: 64 << 20}, {CPUShare: 0.05, MemLimit: 64 << 20}, {CPUShare: 0.05, MemLimit: -1},
		{CPUShare: 0.05, MemLimit: -1, LinkBps: 5e6}}
	g, _ := ParseGoal("msgs>=1")
	var status strings.Builder
	so, err := Sweep(context.Background(), SweepOptions{Model: "esp32-idf", Scenario: loadgen.Echo, Conns: 1, Duration: 300 * time.Millisecond,
		LinkOff: true, CPUOff: true, Goal: g, Foreign: start, Limits: lims, Status: &status,
		Results: filepath.Join(dir, "r"), Out: filepath.Join(dir, "o")})
	if err != nil {
		t.Fatalf("%v\n%s", err, status.String())
	}
	if len(started) != 4 || len(so.Rows) != 4 || len(so.Runs) != 4 {
		t.Fatalf("%d started, %d rows, %d runs", len(started), len(so.Rows), len(so.Runs))
	}
	want := []string{"cpu 50%, mem 64 MiB", "cpu 5%, mem 64 MiB", "cpu 5%, mem off", "cpu 5%, mem off, link 5 Mbit/s"}
	for i, r := range so.Rows {
		if started[i] != lims[i] || r.Limits == nil || *r.Limits != lims[i] {
			t.Errorf("row %d: started %+v, limits %+v, want %+v", i, started[i], r.Limits, lims[i])
		}
		if l := r.Label(); l != results.ConfigLabel(r.Run.Board) || !strings.HasSuffix(l, ", "+want[i]+")") {
			t.Errorf("row %d is %q, its run %q; want it to end in %q", i, l, results.ConfigLabel(r.Run.Board), want[i])
		}
	}
	// The smallest memory limit, then CPU cap: "off" is no limit at all.
	if so.Pick != &so.Rows[1] {
		t.Errorf("picked %v, want %s", so.Pick, so.Rows[1].Label())
	}
	var b strings.Builder
	WriteSweepTable(&b, so, so.Goal)
	for _, w := range want {
		if !strings.Contains(b.String(), "\n"+w+" ") {
			t.Errorf("the table has no row of %q:\n%s", w, b.String())
		}
	}
}
