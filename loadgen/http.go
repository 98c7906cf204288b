//go:build linux

package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/wslab/wslab/results"
)

// httpLane is a lane shared by a group of HTTP goroutines, behind a lock
// of its own (never one lock for all).
type httpLane struct {
	mu   sync.Mutex
	l    *lane
	errs errCounts
	http map[int]int64 // responses by status other than 2xx
	// gaveUp counts open-loop requests that failed, recorded in the
	// latency distribution at their lateness.
	gaveUp int64
}

// runHTTP runs GET or PUT requests of /files/NAME with fasthttp's client:
// Conns goroutines, each a closed loop (or paced at its share of Rate).
func runHTTP(ctx context.Context, s *Spec, t *target, clk *clock, sc *statsClient, board results.Board, notes []string) (*results.Run, error) {
	own := s.part(s.Conns)
	if own == 0 {
		return nil, fmt.Errorf("loadgen: shard %s of %d connections has none", s.Shard, s.Conns)
	}
	name := "wslab-load-" + strconv.Itoa(s.Size) + ".bin"
	path := "/files/" + name
	scheme := "http://"
	if t.tls != nil {
		scheme = "https://"
	}
	uri := scheme + t.hostport + path
	addr := net.JoinHostPort(t.ip.String(), strconv.Itoa(t.port))
	client := &fasthttp.HostClient{
		Addr: addr, Name: "wslab-load", MaxConns: own,
		ReadTimeout: s.DialTimeout, WriteTimeout: s.DialTimeout,
		MaxIdleConnDuration: 10 * time.Second, MaxIdemponentCallAttempts: 1,
		IsTLS: t.tls != nil, TLSConfig: t.tls,
		// A dialer of our own: fasthttp's default one starts a goroutine
		// that outlives the run.
		Dial: func(addr string) (net.Conn, error) {
			return (&net.Dialer{Timeout: s.DialTimeout}).Dial("tcp", addr)
		},
	}
	defer client.CloseIdleConnections()
	body := make([]byte, s.Size)
	fillPattern(body)
	if s.Method == "GET" {
		// The file to read: put it there first.
		if err := httpDo(client, "PUT", uri, body, s.DialTimeout, nil); err != nil {
			return nil, fmt.Errorf("loadgen: http: store %s for the GET run: %w", uri, err)
		}
	}

	nl := max(1, min(runtime.GOMAXPROCS(0), own))
	used := [nHist]bool{hLatency: true, hService: true, hLateness: s.Rate > 0}
	t0 := clk.now()
	plan := s.Duration + s.DrainTimeout + 2*time.Second
	fr := newFrame(s, clk, sc, t0, nl, min(int(plan/s.Interval)+2, MaxIntervals+8), used, plan, func() int64 { return int64(own) })
	col, smp, prog := fr.col, fr.smp, fr.prog
	lanes := make([]*httpLane, nl)
	for i := range lanes {
		lanes[i] = &httpLane{l: col.lane(i, 0)}
	}
	if smp != nil {
		smp.take()
		go smp.run()
	}
	start := clk.now()
	end := int64(0)
	if s.Duration > 0 {
		end = start + int64(s.Duration)
	}
	// Rotate the lanes at interval boundaries.
	stopRot := make(chan struct{})
	rotDone := make(chan struct{})
	go func() {
		defer close(rotDone)
		k := col.index(clk.now())
		for {
			wait := time.Duration(col.boundary(k) - clk.now())
			select {
			case <-stopRot:
				return
			case <-time.After(wait):
			}
			k = col.index(clk.now())
			for _, hl := range lanes {
				hl.mu.Lock()
				if k > hl.l.idx {
					hl.l = col.rotate(hl.l, k)
				}
				hl.mu.Unlock()
			}
		}
	}()

	var wg sync.WaitGroup
	var mu sync.Mutex
	var counts results.Counts
	for g := range own {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hl := lanes[g%nl]
			req := fasthttp.AcquireRequest()
			resp := fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			// This shard's part of the schedule: request j of goroutine g
			// is message j*own+g of a pacer at the shard's rate.
			paced := s.Rate > 0
			var pc Pacer
			if paced {
				pc = NewPacer(start, s.totalRate()*float64(own)/float64(s.Conns))
			}
			var c results.Counts
			for k := int64(0); ; k++ {
				if s.Count > 0 && k >= s.Count || ctx.Err() != nil {
					break
				}
				intended := clk.now()
				if paced {
					intended = pc.Due(k*int64(own) + int64(g))
					if end > 0 && intended >= end {
						break
					}
					sleepSpin(ctx, clk, intended, s.SpinAhead)
				} else if end > 0 && intended >= end {
					break
				}
				sentAt := clk.now()
				req.Reset()
				req.SetRequestURI(uri)
				req.Header.SetMethod(s.Method)
				if !s.HTTPKeepAlive {
					req.SetConnectionClose()
				}
				if s.Method == "PUT" {
					req.SetBodyRaw(body)
				}
				err := client.DoTimeout(req, resp, s.DialTimeout)
				now := clk.now()
				c.HTTPRequests++
				c.MsgsSent++
				if s.Method == "PUT" {
					c.BytesSent += int64(len(body))
				}
				hl.mu.Lock()
				l := hl.l
				l.msgsSent++
				if s.Method == "PUT" {
					l.bytesSent += int64(len(body))
				}
				if paced {
					l.record(hLateness, sentAt-intended)
				}
				switch {
				case err != nil:
					hl.errs.add(httpErrKind(err), 1)
					l.errors++
					if paced {
						// Open loop: a request that failed is in the
						// distribution at the lateness it reached.
						l.record(hLatency, now-intended)
						hl.gaveUp++
					}
				case resp.StatusCode() < 200 || resp.StatusCode() > 299:
					if hl.http == nil {
						hl.http = map[int]int64{}
					}
					hl.http[resp.StatusCode()]++
					l.errors++
					c.HTTPResponses++
				default:
					n := int64(len(resp.Body()))
					c.HTTPResponses++
					c.MsgsReceived++
					l.msgsRecv++
					if s.Method == "GET" {
						c.BytesReceived += n
						l.bytesRecv += n
					}
					l.record(hLatency, now-intended)
					l.record(hService, now-sentAt)
				}
				hl.mu.Unlock()
			}
			mu.Lock()
			counts.HTTPRequests += c.HTTPRequests
			counts.HTTPResponses += c.HTTPResponses
			counts.MsgsSent += c.MsgsSent
			counts.MsgsReceived += c.MsgsReceived
			counts.BytesSent += c.BytesSent
			counts.BytesReceived += c.BytesReceived
			mu.Unlock()
		}()
	}
	wg.Wait()
	sendEnd := clk.now()
	close(stopRot)
	<-rotDone
	for _, hl := range lanes {
		col.finish(hl.l)
	}
	ivs := col.wait()
	if smp != nil {
		smp.halt()
		smp.take()
	}
	finish := clk.now()
	sc2 := results.Scenario{Name: "http-" + lower(s.Method), Conns: s.Conns, Size: s.Size, Duration: results.Duration(s.Duration),
		Path: path, Shard: s.Shard, Params: params(s), Rate: s.totalRate()}
	r := results.New(clk.wall(t0), sc2, board, s.Target)
	r.End = clk.wall(finish)
	r.Notes = notes
	counts.ConnsAttempted = int64(own)
	counts.ConnsOpened = int64(own)
	r.Counts = counts
	for _, hl := range lanes {
		hl.errs.into(r.Errors)
		for st, n := range hl.http {
			r.Errors["status "+strconv.Itoa(st)] += n
		}
	}
	fillSeries(r, ivs, col, t0, finish)
	var gaveUp int64
	for _, hl := range lanes {
		gaveUp += hl.gaveUp
	}
	if gaveUp > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("latency (from the intended send time) holds %d answered requests and %d failed ones "+
			"at the lateness they reached when they failed; service time holds the answered only", counts.MsgsReceived, gaveUp))
	}
	fr.heap(r, t0)
	if s.Progress != nil {
		prog.end()
	}
	if secs := float64(sendEnd-start) / 1e9; secs > 0 {
		r.Rates = results.Rates{MsgsPerSec: float64(counts.MsgsReceived) / secs,
			BytesPerSec:   float64(counts.BytesSent+counts.BytesReceived) / secs,
			UpBytesPerSec: float64(counts.BytesSent) / secs, DownBytesPerSec: float64(counts.BytesReceived) / secs,
			WindowStart: results.Duration(start - t0), WindowLength: results.Duration(sendEnd - start)}
	}
	if counts.MsgsReceived == 0 {
		return r, fmt.Errorf("loadgen: http: no request to %s succeeded: %s", uri, errorList(r.Errors))
	}
	if ctx.Err() != nil {
		return r, fmt.Errorf("loadgen: run stopped before its end: %w", ctx.Err())
	}
	return r, nil
}

func lower(m string) string {
	if m == "PUT" {
		return "put"
	}
	return "get"
}

func httpDo(c *fasthttp.HostClient, method, uri string, body []byte, timeout time.Duration, out *int) error {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(uri)
	req.Header.SetMethod(method)
	req.SetConnectionClose()
	if body != nil {
		req.SetBodyRaw(body)
	}
	if err := c.DoTimeout(req, resp, timeout); err != nil {
		return err
	}
	if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
		return fmt.Errorf("HTTP %d", resp.StatusCode())
	}
	return nil
}

func httpErrKind(err error) errKind {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return eRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return eReset
	case errors.Is(err, fasthttp.ErrTimeout), errors.Is(err, fasthttp.ErrDialTimeout):
		return eTimeout
	case errors.Is(err, fasthttp.ErrConnectionClosed):
		return eEOF
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return eTimeout
	}
	return eDial
}

// sleepSpin waits until the clock reads due: it sleeps until a
// millisecond before (Go timers are only that precise when the process is
// idle), then yields in a loop until spinAhead before, then spins.
func sleepSpin(ctx context.Context, clk *clock, due int64, spinAhead time.Duration) {
	if d := time.Duration(due-clk.now()) - time.Millisecond - spinAhead; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	for clk.now() < due-int64(spinAhead) {
		runtime.Gosched()
	}
	for clk.now() < due {
	}
}
