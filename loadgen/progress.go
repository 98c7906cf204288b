package loadgen

import (
	"io"
	"strconv"
	"time"
)

// progress writes the live line: elapsed/total, connections open, msgs/s,
// MB/s, p50/p99 of the last interval, errors and the board's heap. It
// appends into one buffer, so it allocates nothing per line.
type progress struct {
	w     io.Writer
	buf   []byte
	total time.Duration
	errs  int64
}

func (p *progress) line(elapsed time.Duration, open int64, iv *interval, length time.Duration, heap int64, haveHeap bool) {
	if p.w == nil {
		return
	}
	secs := length.Seconds()
	if secs <= 0 {
		secs = 1
	}
	p.errs += iv.errors
	b := append(p.buf[:0], '\r')
	b = strconv.AppendFloat(b, elapsed.Seconds(), 'f', 1, 64)
	b = append(b, 's')
	if p.total > 0 {
		b = append(b, '/')
		b = strconv.AppendFloat(b, p.total.Seconds(), 'f', 0, 64)
		b = append(b, 's')
	}
	b = append(b, "  conns "...)
	b = strconv.AppendInt(b, open, 10)
	b = append(b, "  msgs/s "...)
	n := iv.msgsRecv
	if n == 0 {
		n = iv.msgsSent
	}
	b = strconv.AppendFloat(b, float64(n)/secs, 'f', 0, 64)
	b = append(b, "  MB/s "...)
	b = strconv.AppendFloat(b, float64(iv.bytesSent+iv.bytesRecv)/secs/1e6, 'f', 2, 64)
	if h := iv.hists[hLatency]; h != nil && h.TotalCount() > 0 {
		b = append(b, "  p50 "...)
		b = strconv.AppendInt(b, h.ValueAtQuantile(50), 10)
		b = append(b, "µs p99 "...)
		b = strconv.AppendInt(b, h.ValueAtQuantile(99), 10)
		b = append(b, "µs"...)
	} else if h := iv.hists[hHandshake]; h != nil && h.TotalCount() > 0 {
		b = append(b, "  handshake p99 "...)
		b = strconv.AppendInt(b, h.ValueAtQuantile(99), 10)
		b = append(b, "µs"...)
	}
	b = append(b, "  errors "...)
	b = strconv.AppendInt(b, p.errs, 10)
	if haveHeap {
		b = append(b, "  board heap "...)
		b = strconv.AppendFloat(b, float64(heap)/1e6, 'f', 2, 64)
		b = append(b, " MB"...)
	}
	b = append(b, "   "...)
	p.buf = b
	_, _ = p.w.Write(b)
}

// end finishes the line.
func (p *progress) end() {
	if p.w != nil && len(p.buf) > 0 {
		_, _ = p.w.Write([]byte("\n"))
	}
}
