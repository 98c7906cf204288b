package loadgen

import (
	"bytes"
	"crypto/tls"
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

// sample is one reading of /stats, on the run's clock.
type sample struct {
	at int64 // clock reading
	BoardStats
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
	tls     *tls.Config // an https:// URL (tls.go's getTLS)
}

func newStatsClient(raw string, tc *tls.Config) (*statsClient, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("stats URL %q: want http://host:port/path", raw)
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
		if tc == nil {
			tc = &tls.Config{ServerName: u.Hostname()}
		}
		tc = statsTLS(tc)
	} else {
		tc = nil
	}
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
	c := &statsClient{buf: make([]byte, 64<<10), timeout: 2 * time.Second, tls: tc}
	if tc != nil {
		c.timeout = statsTLSTimeout
	}
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

var (
	crlf     = []byte("\r\n")
	crlfcrlf = []byte("\r\n\r\n")
	colon    = []byte(":")
)

// get fetches the document; the result aliases c.buf until the next call.
func (c *statsClient) get() ([]byte, error) {
	if c.tls != nil {
		return c.getTLS()
	}
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
	if err := unix.Connect(fd, sa); err == unix.EINTR {
		// A signal (the runtime's preemption) interrupted the connect; a
		// connect with a timeout is not restarted, and the handshake goes
		// on: wait for it.
		if err := awaitConnect(fd, c.timeout); err != nil {
			return nil, err
		}
	} else if err != nil {
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

// awaitConnect waits up to timeout for the connect of fd that a signal
// interrupted to finish, and returns its outcome.
func awaitConnect(fd int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ms := int(time.Until(deadline) / time.Millisecond)
		if ms <= 0 {
			return unix.ETIMEDOUT
		}
		p := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		n, err := unix.Poll(p[:], ms)
		if err == unix.EINTR || (err == nil && n == 0) {
			continue
		}
		if err != nil {
			return err
		}
		if e, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil {
			return err
		} else if e != 0 {
			return unix.Errno(e)
		}
		return nil
	}
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
	var st BoardStats
	if ParseStats(doc, &st) != nil {
		return 0
	}
	return int(st.StatsPort)
}

// identity reads the board's identity from a /stats document.
func identity(doc []byte) (results.Board, error) {
	var st BoardStats
	if err := ParseStats(doc, &st); err != nil {
		return results.Board{}, fmt.Errorf("%w: not a wslab /stats document: %v", errNoStats, err)
	}
	if st.Slots == 0 && st.Model == "" {
		return results.Board{}, fmt.Errorf("%w: a JSON document without model or slots", errNoStats)
	}
	return st.Board(), nil
}

// sampler reads the board's /stats every period and at marks, on the
// run's clock.
type sampler struct {
	c       *statsClient
	clk     *clock
	every   time.Duration
	mu      sync.Mutex
	series  []sample
	scratch BoardStats
	err     error // the last failure, if any
	fails   int
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
	if err == nil {
		// s.scratch keeps the document's strings, so a reading allocates
		// nothing once the first is in.
		err = ParseStats(doc, &s.scratch)
	}
	if err != nil {
		s.err = err
		s.fails++
		if refusedReading(err) {
			s.refused = append(s.refused, s.clk.now())
		}
		return sample{}, false
	}
	smp := sample{at: s.clk.now(), BoardStats: s.scratch}
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
			HeapInUse:       x.HeapInUse,
			Mallocs:         x.Mallocs,
			Frees:           x.Frees,
			SlotsInUse:      int(x.SlotsInUse),
			StaticFootprint: x.Footprint,
			RAMInUse:        x.RAMInUse,
			CPUBusyMs:       x.CPUBusyMs,
			CPUBusyPermille: x.CPUBusyPermille,
			CPUCores:        int(x.CPUCores),
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
