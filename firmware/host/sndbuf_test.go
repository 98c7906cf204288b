package host

import "testing"

// The send buffer frees in emulated time: the bytes before an offset are
// the client's at the release of the output that held them, and a record
// that lost them says so (0) instead of inventing a time.
func TestAckedBy(t *testing.T) {
	c := &ackLog{}
	if got := c.ackedBy(1); got != 0 {
		t.Fatalf("nothing delivered: ackedBy(1) = %d, want 0", got)
	}
	c.delivered(100, 1_000_000)
	c.delivered(300, 5_000_000)
	c.delivered(310, 5_010_000) // within 50 µs: joins the output before
	for _, x := range []struct {
		off  uint64
		want int64
	}{{1, 1_000_000}, {100, 1_000_000}, {101, 5_010_000}, {310, 5_010_000}, {311, 0}} {
		if got := c.ackedBy(x.off); got != x.want {
			t.Errorf("ackedBy(%d) = %d, want %d", x.off, got, x.want)
		}
	}
	if c.n != 2 {
		t.Errorf("%d records, want 2 (the third joined the second)", c.n)
	}
	// A full record forgets its oldest: what it held is older than the
	// record, not delivered at some later release.
	for i := 0; i < ackRecord; i++ {
		c.delivered(uint64(400+100*i), int64(10_000_000+1_000_000*i))
	}
	if c.n != ackRecord {
		t.Fatalf("%d records, want %d", c.n, ackRecord)
	}
	if got := c.ackedBy(150); got != 0 {
		t.Errorf("forgotten bytes: ackedBy(150) = %d, want 0", got)
	}
	if got := c.ackedBy(450); got != 10_000_000+1_000_000 {
		t.Errorf("ackedBy(450) = %d, want %d", got, 11_000_000)
	}
}
