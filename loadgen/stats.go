package loadgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wslab/wslab/results"
)

// boardStats is the part of a board's /stats the generator reads once, at
// the start, for the Run's board identity.
type boardStats struct {
	Model string `json:"model"`
	Heap  struct {
		Inuse, Sys, Mallocs, Frees int64
	} `json:"heap"`
	Footprint struct {
		Slots, Rx, Tx int
		PerSlot       int   `json:"per_slot"`
		Fixed         int64 `json:"fixed"`
		Total         int64 `json:"total"`
		Budget        int64 `json:"budget"`
	} `json:"footprint"`
	Config struct {
		MaxMessage int    `json:"max_message"`
		MaxUpload  int    `json:"max_upload"`
		QueueLen   int    `json:"queue_len"`
		FailMode   string `json:"fail_mode"`
		LinkBps    int64  `json:"link_bps"`
		LinkRTTus  int64  `json:"link_rtt_us"`
		StatsPort  int    `json:"stats_port"`
	} `json:"config"`
}

// sample is one reading of /stats.
type sample struct {
	at                        int64 // clock reading
	heapInuse, mallocs, frees int64
	slotsInUse                int64
	footprint                 int64
	msgsIn, msgsOut, dropped  int64
	bytesIn, bytesOut         int64
	accepted                  int64
	ramInUse                  int64 // the board's RAM in use (wslab boards), 0 when not reported
}

// statsClient reads /stats, one short connection per reading (many board
// servers handle keep-alive poorly), with raw blocking sockets so that a
// reading allocates nothing: an in-process board's heap is not disturbed.
type statsClient struct {
	sa4     unix.SockaddrInet4
	sa6     unix.SockaddrInet6
	v6      bool
	req     []byte
	buf     []byte
	timeout time.Duration
}

func newStatsClient(raw string) (*statsClient, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("stats URL %q: want http://host:port/path", raw)
	}
	port := 80
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("stats URL %q: bad port", raw)
		}
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil {
		ips, err := net.LookupIP(u.Hostname())
		if err != nil || len(ips) == 0 {
			return nil, fmt.Errorf("stats URL %q: resolve: %v", raw, err)
		}
		ip = ips[0]
	}
	c := &statsClient{buf: make([]byte, 64<<10), timeout: 2 * time.Second}
	if ip4 := ip.To4(); ip4 != nil {
		copy(c.sa4.Addr[:], ip4)
		c.sa4.Port = port
	} else {
		c.v6 = true
		copy(c.sa6.Addr[:], ip.To16())
		c.sa6.Port = port
	}
	c.req = []byte("GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUser-Agent: wslab-load\r\nAccept: application/json\r\nConnection: close\r\n\r\n")
	return c, nil
}

func (c *statsClient) close() {}

var errNoStats = errors.New("no /stats")

var (
	crlf     = []byte("\r\n")
	crlfcrlf = []byte("\r\n\r\n")
	colon    = []byte(":")
)

// get fetches the document; the result aliases c.buf until the next call.
func (c *statsClient) get() ([]byte, error) {
	family := unix.AF_INET
	var sa unix.Sockaddr = &c.sa4
	if c.v6 {
		family, sa = unix.AF_INET6, &c.sa6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(int64(c.timeout))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv) // bounds connect too
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Connect(fd, sa); err != nil {
		return nil, err
	}
	for off := 0; off < len(c.req); {
		n, err := unix.Write(fd, c.req[off:])
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return nil, err
		}
		off += n
	}
	n := 0
	for {
		if n == len(c.buf) {
			return nil, errors.New("stats: document too large")
		}
		k, err := unix.Read(fd, c.buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if n > 0 && err == unix.ECONNRESET {
				break
			}
			return nil, err
		}
		if k == 0 {
			break
		}
		n += k
		if done, _ := complete(c.buf[:n]); done {
			break
		}
	}
	return parseResponse(c.buf[:n])
}

// complete reports whether b holds a whole response with a Content-Length.
func complete(b []byte) (bool, int) {
	headEnd := bytes.Index(b, crlfcrlf)
	if headEnd < 0 {
		return false, -1
	}
	length := contentLength(b[:headEnd])
	return length >= 0 && len(b)-headEnd-4 >= length, length
}

func contentLength(head []byte) int {
	for rest := head; len(rest) > 0; {
		line := rest
		if k := bytes.Index(rest, crlf); k >= 0 {
			line, rest = rest[:k], rest[k+2:]
		} else {
			rest = nil
		}
		name, value, ok := bytes.Cut(line, colon)
		if ok && bytes.EqualFold(name, []byte("content-length")) {
			v := 0
			for _, d := range bytes.TrimSpace(value) {
				if d < '0' || d > '9' {
					return -1
				}
				v = v*10 + int(d-'0')
			}
			return v
		}
	}
	return -1
}

// parseResponse returns the body of a 200 response read to its end.
func parseResponse(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errEmptyStats
	}
	headEnd := bytes.Index(b, crlfcrlf)
	if headEnd < 0 || len(b) < 12 || !bytes.HasPrefix(b, []byte("HTTP/1.")) {
		return nil, errors.New("stats: not an HTTP response")
	}
	status := 0
	for _, d := range b[9:12] {
		status = status*10 + int(d-'0')
	}
	if status != 200 {
		return nil, &statusError{status: status}
	}
	body := b[headEnd+4:]
	if l := contentLength(b[:headEnd]); l >= 0 {
		if len(body) < l {
			return nil, errors.New("stats: truncated response")
		}
		body = body[:l]
	}
	return body, nil
}

// statsPort returns the port a wslab board serves /stats on without
// taking a slot, from a /stats document (0: none).
func statsPort(doc []byte) int {
	var st boardStats
	if json.Unmarshal(doc, &st) != nil {
		return 0
	}
	return st.Config.StatsPort
}

// identity reads the board's identity from a /stats document.
func identity(doc []byte) (results.Board, error) {
	var st boardStats
	if err := json.Unmarshal(doc, &st); err != nil {
		return results.Board{}, fmt.Errorf("%w: not a wslab /stats document: %v", errNoStats, err)
	}
	if st.Footprint.Slots == 0 && st.Model == "" {
		return results.Board{}, fmt.Errorf("%w: a JSON document without model or slots", errNoStats)
	}
	return results.Board{
		Model:           st.Model,
		Slots:           st.Footprint.Slots,
		RxBuf:           st.Footprint.Rx,
		TxBuf:           st.Footprint.Tx,
		MaxMessage:      st.Config.MaxMessage,
		HeapBudget:      st.Footprint.Budget,
		StaticFootprint: st.Footprint.Total,
		LinkBandwidth:   st.Config.LinkBps,
		LinkRTT:         results.Duration(time.Duration(st.Config.LinkRTTus) * time.Microsecond),
		WhenFull:        st.Config.FailMode,
		Extra: map[string]string{
			"max_upload": strconv.Itoa(st.Config.MaxUpload),
			"queue_len":  strconv.Itoa(st.Config.QueueLen),
			"per_slot":   strconv.Itoa(st.Footprint.PerSlot),
		},
	}, nil
}

// statPaths are the numbers a sample takes from /stats.
var statPaths = [...]struct{ obj, key string }{
	{"heap", "inuse"}, {"heap", "mallocs"}, {"heap", "frees"},
	{"slots", "in_use"}, {"footprint", "total"},
	{"msgs", "in"}, {"msgs", "out"}, {"msgs", "dropped"},
	{"bytes", "in"}, {"bytes", "out"}, {"conns", "accepted"}, {"ram", "in_use"},
}

func (s *sample) field(i int) *int64 {
	switch i {
	case 0:
		return &s.heapInuse
	case 1:
		return &s.mallocs
	case 2:
		return &s.frees
	case 3:
		return &s.slotsInUse
	case 4:
		return &s.footprint
	case 5:
		return &s.msgsIn
	case 6:
		return &s.msgsOut
	case 7:
		return &s.dropped
	case 8:
		return &s.bytesIn
	case 9:
		return &s.bytesOut
	case 10:
		return &s.accepted
	}
	return &s.ramInUse
}

// scanStats fills s from a /stats document with a small JSON scanner that
// allocates nothing. It reports whether the heap figure was found.
func scanStats(doc []byte, s *sample) bool {
	var stack [8][]byte
	depth := 0
	var key []byte
	found := false
	i := 0
	for i < len(doc) {
		c := doc[i]
		switch {
		case c == '{':
			if depth < len(stack) {
				stack[depth] = key
			}
			depth++
			key = nil
			i++
		case c == '}':
			depth--
			key = nil
			i++
		case c == '"':
			j := i + 1
			for j < len(doc) && doc[j] != '"' {
				if doc[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(doc) {
				return found
			}
			str := doc[i+1 : j]
			i = j + 1
			for i < len(doc) && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\t' || doc[i] == '\r') {
				i++
			}
			if i < len(doc) && doc[i] == ':' {
				key = str
				i++
			} else {
				key = nil
			}
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			if doc[j] == '-' {
				j++
			}
			var v int64
			for j < len(doc) && doc[j] >= '0' && doc[j] <= '9' {
				v = v*10 + int64(doc[j]-'0')
				j++
			}
			if c == '-' {
				v = -v
			}
			for j < len(doc) && (doc[j] == '.' || doc[j] == 'e' || doc[j] == 'E' || doc[j] == '+' || doc[j] == '-' || (doc[j] >= '0' && doc[j] <= '9')) {
				j++
			}
			if depth == 2 && key != nil {
				for k, p := range statPaths {
					if string(stack[1]) == p.obj && string(key) == p.key {
						*s.field(k) = v
						if k == 0 {
							found = true
						}
					}
				}
			}
			key = nil
			i = j
		default:
			i++
		}
	}
	return found
}

// sampler reads the board's /stats every period and at marks, on the
// run's clock.
type sampler struct {
	c      *statsClient
	clk    *clock
	every  time.Duration
	mu     sync.Mutex
	series []sample
	err    error // the last failure, if any
	fails  int
	// refused lists the readings the board turned away (a 503, a reset,
	// no answer: a full board that serves /stats from a client slot), by
	// clock reading, so the record says where the series has holes.
	refused []int64
	tries   int
	stop    chan struct{}
	done    chan struct{}
}

func newSampler(c *statsClient, clk *clock, every time.Duration, expect int) *sampler {
	return &sampler{c: c, clk: clk, every: every, series: make([]sample, 0, expect+16),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// take reads /stats once and appends the sample.
func (s *sampler) take() (sample, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc, err := s.c.get()
	s.tries++
	var smp sample
	if err == nil && !scanStats(doc, &smp) {
		err = errNoStats
	}
	if err != nil {
		s.err = err
		s.fails++
		if refusedReading(err) {
			s.refused = append(s.refused, s.clk.now())
		}
		return smp, false
	}
	smp.at = s.clk.now()
	s.series = append(s.series, smp)
	return smp, true
}

// last returns the latest sample.
func (s *sampler) last() (sample, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.series) == 0 {
		return sample{}, false
	}
	return s.series[len(s.series)-1], true
}

func (s *sampler) run() {
	defer close(s.done)
	if s.every <= 0 {
		<-s.stop
		return
	}
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.take()
		}
	}
}

func (s *sampler) halt() {
	close(s.stop)
	<-s.done
}

// heap converts the series to the Run's heap samples, offsets from start.
func (s *sampler) heap(start int64) []results.HeapSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]results.HeapSample, 0, len(s.series))
	for _, x := range s.series {
		out = append(out, results.HeapSample{
			Offset:          results.Duration(x.at - start),
			HeapInUse:       x.heapInuse,
			Mallocs:         x.mallocs,
			Frees:           x.frees,
			SlotsInUse:      int(x.slotsInUse),
			StaticFootprint: x.footprint,
			RAMInUse:        x.ramInUse,
		})
	}
	return out
}

// refusedReading reports whether a failed /stats reading was the board
// turning it away rather than a broken document: a 503, a reset or an
// empty close (accept-close), or no answer in time (a backlog or a dropped
// SYN).
func refusedReading(err error) bool {
	if errors.Is(err, unix.ECONNRESET) || errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EPIPE) ||
		errors.Is(err, unix.ETIMEDOUT) || errors.Is(err, unix.EINPROGRESS) || errors.Is(err, errEmptyStats) {
		return true
	}
	var st *statusError
	return errors.As(err, &st) && st.status == 503
}

// statusError is a /stats reading answered with another status than 200.
type statusError struct{ status int }

func (e *statusError) Error() string { return fmt.Sprintf("%v: HTTP %d", errNoStats, e.status) }
func (e *statusError) Unwrap() error { return errNoStats }

// errEmptyStats is a /stats connection closed without a byte.
var errEmptyStats = errors.New("stats: connection closed without a response")

// note says which readings failed and which of them the board refused,
// or "" when none failed.
func (s *sampler) note(start int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fails == 0 {
		return ""
	}
	msg := fmt.Sprintf("%d of %d board stats readings failed, the last with: %v", s.fails, s.tries, s.err)
	if n := len(s.refused); n > 0 {
		var at []string
		for i, t := range s.refused {
			if i == 8 {
				at = append(at, "...")
				break
			}
			at = append(at, time.Duration(t-start).Round(time.Millisecond).String())
		}
		msg += fmt.Sprintf("; %d refused by the board (a full board serving /stats from a client slot): the heap series has holes at %s", n, strings.Join(at, ", "))
	}
	return msg
}
