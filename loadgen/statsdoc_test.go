package loadgen

import (
	"testing"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
)

// scriptedBoard runs a short session on an in-process firmware.Board (two
// connections accepted, one upgraded, three messages echoed, one GET
// /stats) and returns the board.
func scriptedBoard(t testing.TB) *firmware.Board {
	t.Helper()
	b, err := firmware.NewBoard(firmware.Config{Model: "stats-test", Slots: 3, RxBuf: 1024, TxBuf: 2048,
		MaxMessage: 1000, MaxUpload: 4096, QueueLen: 2}, nil, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	b.LinkBps, b.LinkRTT = 2_000_000, 3_000_000
	b.CPUBusy, b.CPUCores = 420_000_000, 2 // 420 ms of a 2-core CPU
	now := int64(1e9)
	feed := func(s *firmware.Slot, in []byte) []byte {
		for len(in) > 0 {
			n := copy(s.RxSpace(), in)
			in = in[n:]
			s.Received(n, now)
		}
		var out []byte
		for p := s.TxPending(); len(p) > 0; p = s.TxPending() {
			out = append(out, p...)
			s.Sent(len(p), now)
		}
		return out
	}
	s := b.Accept(now)
	_ = b.Accept(now)
	g := core.NewMaskGen(7)
	key := core.NewClientKey(g)
	out := feed(s, core.AppendClientRequest(nil, []byte("b"), []byte("/ws"), key[:], nil))
	if _, _, err := core.ParseResponse(out, key[:]); err != nil {
		t.Fatalf("upgrade: %v (%q)", err, out)
	}
	for range 3 {
		feed(s, core.AppendFrame(nil, true, core.OpBinary, []byte("hello, board"), true, g.NextMask()))
	}
	h := b.Accept(now)
	feed(h, []byte("GET /stats HTTP/1.1\r\nHost: b\r\n\r\n"))
	return b
}

// ParseStats reads every figure of the firmware's own /stats document.
func TestParseStatsFirmware(t *testing.T) {
	b := scriptedBoard(t)
	doc := b.AppendStats(nil)
	var st BoardStats
	if err := ParseStats(doc, &st); err != nil {
		t.Fatalf("ParseStats: %v\n%s", err, doc)
	}
	bs, cfg, fp := b.Stats(), b.Config(), b.Footprint()
	if bs.MsgsIn != 3 || bs.Upgrades != 1 {
		t.Fatalf("the scripted session did not run: %+v", bs)
	}
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"slots", st.Slots, int64(fp.Slots)}, {"rx", st.Rx, int64(fp.Rx)}, {"tx", st.Tx, int64(fp.Tx)},
		{"per_slot", st.PerSlot, int64(fp.PerSlot)}, {"fixed", st.Fixed, int64(fp.Fixed)},
		{"total", st.Footprint, int64(fp.Total)}, {"budget", st.Budget, int64(fp.Budget)},
		{"max_message", st.MaxMessage, int64(cfg.MaxMessage)}, {"max_upload", st.MaxUpload, int64(cfg.MaxUpload)},
		{"queue_len", st.QueueLen, int64(cfg.QueueLen)}, {"link_bps", st.LinkBps, 2_000_000},
		{"link_rtt_us", st.LinkRTTus, 3000},
		{"slots.total", st.SlotsTotal, 3}, {"slots.in_use", st.SlotsInUse, int64(bs.SlotsInUse)},
		{"slots.peak", st.SlotsPeak, int64(bs.PeakSlots)},
		{"accepted", st.Accepted, int64(bs.Accepted)}, {"refused", st.Refused, int64(bs.Refused)},
		{"upgrades", st.Upgrades, int64(bs.Upgrades)}, {"timeouts", st.Timeouts, int64(bs.Timeouts)},
		{"abnormal", st.Abnormal, int64(bs.Abnormal)},
		{"msgs.in", st.MsgsIn, int64(bs.MsgsIn)}, {"msgs.out", st.MsgsOut, int64(bs.MsgsOut)},
		{"msgs.dropped", st.MsgsDropped, int64(bs.MsgsDropped)}, {"pings_sent", st.PingsSent, int64(bs.PingsSent)},
		{"bytes.in", st.BytesIn, int64(bs.BytesIn)}, {"bytes.out", st.BytesOut, int64(bs.BytesOut)},
		{"cpu.busy_ms", st.CPUBusyMs, 420}, {"cpu.cores", st.CPUCores, 2},
		{"cpu.busy_permille", st.CPUBusyPermille, 210}, // 420 ms over 1 s of uptime and 2 cores
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if st.HeapInUse <= 0 || st.HeapSys < st.HeapInUse || st.Mallocs < st.Frees {
		t.Errorf("heap figures %d %d %d %d", st.HeapInUse, st.HeapSys, st.Mallocs, st.Frees)
	}
	if st.Model != "stats-test" || st.FailMode != cfg.FailMode.String() {
		t.Errorf("model %q fail mode %q", st.Model, st.FailMode)
	}
	id := st.Board()
	if id.Model != "stats-test" || id.Slots != 3 || id.RxBuf != 1024 || id.TxBuf != 2048 || id.MaxMessage != 1000 ||
		id.StaticFootprint != int64(fp.Total) || id.LinkBandwidth != 2_000_000 || id.Extra["queue_len"] != "2" {
		t.Errorf("Board() = %+v", id)
	}
	// Counters in objects the reader does not take (close codes, http
	// classes) must not land in a field of the same key elsewhere.
	if st.MsgsIn == int64(bs.HTTPRequests) && bs.HTTPRequests != bs.MsgsIn {
		t.Errorf("msgs.in read from http")
	}
}

// Reading /stats allocates nothing once the document's strings are in, so
// an in-process board's heap series is not the generator's.
func TestParseStatsAllocs(t *testing.T) {
	doc := scriptedBoard(t).AppendStats(nil)
	var st BoardStats
	if err := ParseStats(doc, &st); err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(100, func() { _ = ParseStats(doc, &st) }); a != 0 {
		t.Errorf("ParseStats: %.1f allocations, want 0", a)
	}
}

// Malformed documents are errors, never a panic (issue 18, defect 3:
// "}{" indexed the key stack at -1).
func TestParseStatsMalformed(t *testing.T) {
	for _, doc := range []string{
		"}{", "}", `{"heap":{"inuse":1}}}`, `{"heap":{"inuse":1}`, `{"heap":{"inuse":1}}{`,
		`{"heap":{"inuse":1,"x":"unterminated}}`, "", "null", `{"model":"m"}`,
		`{"heap":{"inuse":1` + string(make([]byte, 0)) + `,"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{"m":{"n":{"o":{"p":{"q":{}}}}}}}}}}}}}}}}}}}`,
	} {
		var st BoardStats
		if err := ParseStats([]byte(doc), &st); err == nil {
			t.Errorf("ParseStats(%q) = nil error, want one", doc)
		}
	}
	var st BoardStats
	if err := ParseStats([]byte(` {"heap" : {"inuse" : 42}, "slots":{"in_use":2}} `), &st); err != nil || st.HeapInUse != 42 || st.SlotsInUse != 2 {
		t.Errorf("a well-formed document: %v %+v", err, st)
	}
}

func FuzzParseStats(f *testing.F) {
	b := scriptedBoard(f)
	f.Add(b.AppendStats(nil))
	f.Add([]byte("}{"))
	f.Add([]byte(`{"heap":{"inuse":-12.5e3},"x":[{"y":"\"}"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var st BoardStats
		if ParseStats(doc, &st) == nil {
			// What parses once parses again to the same figures.
			again := st
			if err := ParseStats(doc, &again); err != nil || again != st {
				t.Fatalf("second parse: %v %+v != %+v", err, again, st)
			}
		}
	})
}
