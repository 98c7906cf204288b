package firmware

import "github.com/wslab/wslab/core"

// fileEntryMax is the most one entry of the GET /files document takes:
// {"name":"<name>","size":<int64>} and a comma.
const fileEntryMax = len(`{"name":"","size":}`) + MaxNameLen + 20 + 1

// filesTail is what the document needs after the last entry in the worst
// case.
const filesTail = len(`],"truncated":true}` + "\n")

// AppendFiles appends the GET /files document to dst: the store's files as
// JSON, {"files":[{"name":"a.bin","size":123},...],"truncated":false}. It
// never grows dst beyond its capacity (the board's stats buffer): when the
// next entry might not fit, it stops and says "truncated":true. Names that
// ValidName refuses are left out (a store's own temporary files, say). It
// allocates nothing. A nil or non-listing store gives an empty list.
func (b *Board) AppendFiles(dst []byte) []byte {
	d := append(dst, `{"files":[`...)
	l, _ := b.store.(Lister)
	truncated := false
	n := 0
	for i := 0; l != nil; i++ {
		if cap(d)-len(d) < fileEntryMax+filesTail {
			_, _, more := l.File(i, nil)
			truncated = more
			break
		}
		mark := len(d)
		if n > 0 {
			d = append(d, ',')
		}
		d = append(d, `{"name":"`...)
		free := d[len(d):cap(d)]
		nl, size, ok := l.File(i, free[:MaxNameLen])
		if !ok {
			d = d[:mark]
			break
		}
		if nl > MaxNameLen || !ValidName(free[:nl]) || size < 0 {
			d = d[:mark]
			continue
		}
		d = d[:len(d)+nl]
		d = append(d, `","size":`...)
		d = core.AppendInt(d, size)
		d = append(d, '}')
		n++
	}
	if truncated {
		return append(d, `],"truncated":true}`+"\n"...)
	}
	return append(d, `],"truncated":false}`+"\n"...)
}

// listFiles answers GET /files (and /files/) with AppendFiles' document,
// sent from the board's stats buffer like /stats.
func (s *Slot) listFiles(headOnly bool, method []byte) {
	if !isGetOrHead(method) {
		s.methodNotAllowed("Allow: GET, HEAD\r\n")
		return
	}
	if _, ok := s.b.store.(Lister); !ok {
		s.fail(501)
		return
	}
	s.statsMetrics, s.statsHead, s.statsFiles = false, headOnly, true
	s.src = srcStats
	s.memOff = 0
	s.state = stRespond
	s.acquireStats()
}
