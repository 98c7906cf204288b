//go:build linux

package loadgen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// Browser: what a page load does to a board. A user's browser opens up to
// six HTTP connections at once for the page and its assets (requests with
// the headers Chromium and Firefox send, keep-alive, the connections kept
// open idle afterwards as browsers keep them), then the page's WebSocket
// (Firefox's "Connection: keep-alive, Upgrade", a permessage-deflate offer
// the board must decline) and one echoed message. Users arrive one after
// another and stay; the first user whose page does not open at once (a
// request or the WebSocket refused, reset or closed, retried as a page's
// script does) gives the answer: "page opens at once for N users; the
// N+1th waits X s" (or fails within DialTimeout).

// browserConns is the HTTP connections a browser opens per host.
const browserConns = 6

// browserAssets are the page's requests after the page itself: the page
// again under cache-busting queries, as a board's own assets vary (and a
// board closes a connection after a 404, which would spare the socket a
// real asset holds).
var browserAssets = [browserConns - 1]string{"/?asset=style.css", "/?asset=app.js", "/?asset=logo.png", "/?asset=manifest.json", "/?asset=favicon.ico"}

type browserKind uint8

const (
	chromium browserKind = iota
	firefox
)

func (b browserKind) String() string { return [...]string{"Chromium", "Firefox"}[b] }

const (
	uaChromium = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	uaFirefox  = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
)

// pageRequest is the browser's GET of path, keep-alive.
func (b browserKind) pageRequest(host, path string) string {
	if b == firefox {
		accept := "*/*"
		if path == "/" {
			accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
		}
		return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: " + uaFirefox + "\r\nAccept: " + accept +
			"\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\n" +
			"Upgrade-Insecure-Requests: 1\r\nPriority: u=0, i\r\n\r\n"
	}
	accept := "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	if path == "/" {
		accept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
	}
	return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: keep-alive\r\nUpgrade-Insecure-Requests: 1\r\n" +
		"User-Agent: " + uaChromium + "\r\nAccept: " + accept + "\r\nAccept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n"
}

// wsRequest is the browser's WebSocket upgrade, with its
// permessage-deflate offer.
func (b browserKind) wsRequest() wsRequest {
	return func(host, path string, key []byte) []byte {
		if b == firefox {
			return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: " + uaFirefox + "\r\nAccept: */*\r\n" +
				"Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nSec-WebSocket-Version: 13\r\nOrigin: http://" + host +
				"\r\nSec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Key: " + string(key) +
				"\r\nConnection: keep-alive, Upgrade\r\nPragma: no-cache\r\nCache-Control: no-cache\r\nUpgrade: websocket\r\n\r\n")
		}
		return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: Upgrade\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n" +
			"User-Agent: " + uaChromium + "\r\nUpgrade: websocket\r\nOrigin: http://" + host + "\r\nSec-WebSocket-Version: 13\r\n" +
			"Accept-Encoding: gzip, deflate\r\nAccept-Language: en-US,en;q=0.9\r\nSec-WebSocket-Key: " + string(key) +
			"\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")
	}
}

// user is one browser tab with the page open: its idle keep-alive
// connections and its WebSocket.
type user struct {
	http []net.Conn
	ws   *pconn
}

func (u *user) close() {
	for _, c := range u.http {
		if c != nil {
			c.Close()
		}
	}
	if u.ws != nil {
		u.ws.closeWS()
	}
}

// pageLoad is how one user's page load went.
type pageLoad struct {
	took    time.Duration
	retries int
	ok      bool
	first   string // the first failure's kind
	phase   string // what failed or waited: "the page", "an asset", "the WebSocket"
	idle    int    // the user's keep-alive connections left open
	deflate string // the extension the board accepted, if any
}

// browserRetry is how long a page's script waits before retrying.
const browserRetry = 250 * time.Millisecond

func runBrowser(p *probe) (string, error) {
	s := p.s
	users := s.Conns
	wait := s.DialTimeout
	atOnce := time.Second // a page that takes longer did not open "at once"
	var open []*user
	defer func() {
		for _, u := range open {
			u.close()
		}
	}()
	var times []string
	var pages []string // for the plot: browser:ms:ok|waited|failed per user
	var deflate []string
	answer := ""
	for i := 0; i < users && p.ctx.Err() == nil; i++ {
		kind := browserKind(i % 2)
		u := &user{}
		pl := p.loadPage(u, kind, wait)
		open = append(open, u)
		p.r.Counts.ConnsAttempted++
		if pl.deflate != "" {
			deflate = append(deflate, kind.String())
			p.fail("handshake extension")
		}
		if !pl.ok {
			times = append(times, "fail")
			pages = append(pages, fmt.Sprintf("%s:%d:failed", kind, pl.took.Milliseconds()))
			p.r.Counts.ConnsFailed++
			answer = fmt.Sprintf("page opens at once for %s; the %s (%s) fails: %s refused (%s) for %s", plural(i, "user"), ordinal(int64(i+1)), kind, pl.phase, pl.first, wait.Round(time.Millisecond))
			pl.idle = 0
			for _, c := range u.http {
				if !peerClosed(c) {
					pl.idle++
				}
			}
			if pl.phase == "the WebSocket" && pl.idle > 0 {
				answer += fmt.Sprintf(", while the page's %s held slots", plural(pl.idle, "idle keep-alive connection"))
			}
			break
		}
		p.r.Counts.ConnsOpened++
		times = append(times, pl.took.Round(time.Millisecond).String())
		if pl.retries > 0 || pl.took > atOnce {
			pages = append(pages, fmt.Sprintf("%s:%d:waited", kind, pl.took.Milliseconds()))
			answer = fmt.Sprintf("page opens at once for %s; the %s (%s) waits %.1f s for %s (%d retries, first: %s)", plural(i, "user"), ordinal(int64(i+1)), kind, pl.took.Seconds(), pl.phase, pl.retries, pl.first)
			break
		}
		pages = append(pages, fmt.Sprintf("%s:%d:ok", kind, pl.took.Milliseconds()))
	}
	p.r.Scenario.Conns = len(open)
	p.param("pages", strings.Join(pages, "|"))
	if answer == "" {
		answer = fmt.Sprintf("page opens at once for all %d users tried", len(open))
	}
	p.note("browser: page open times per user (Chromium and Firefox in turn): %s", strings.Join(times, ", "))
	if len(deflate) > 0 {
		answer += "; the board accepted permessage-deflate (" + strings.Join(deflate, ", ") + "), which it must decline"
	}
	if len(open) == 0 {
		return "", errors.New("no user tried")
	}
	if p.r.Counts.HTTPResponses == 0 {
		return answer, fmt.Errorf("the board answered no request: %s", errorList(p.r.Errors))
	}
	return answer, nil
}

// loadPage loads the page for u as kind, as a browser does: the page on
// one connection (retried until it is answered or wait is over), then the
// assets over up to six connections at once (the page's and new ones; a
// connection the board refuses is not retried while another serves the
// queue), then the WebSocket (retried, as a page's script does) and one
// echo. The HTTP connections stay open, idle, as browsers keep them.
func (p *probe) loadPage(u *user, kind browserKind, wait time.Duration) pageLoad {
	start := time.Now()
	deadline := start.Add(wait)
	var pl pageLoad
	var mu sync.Mutex
	failed := func(err error) {
		mu.Lock()
		pl.retries++
		if pl.first == "" {
			pl.first = errKindOf(err)
		}
		p.fail(errKindOf(err))
		mu.Unlock()
	}
	// The page.
	var page *hconn
	pl.phase = "the page"
	for {
		h, err := p.dialHTTP(time.Until(deadline))
		if err == nil {
			err = h.get(p, kind, "/", time.Until(deadline))
		}
		if err == nil {
			page = h
			break
		}
		if h != nil {
			h.c.Close()
		}
		failed(err)
		if time.Until(deadline) < browserRetry || !p.sleep(browserRetry) {
			pl.took = time.Since(start)
			return pl
		}
	}
	// The assets, over the page's connection and up to five more; a
	// request whose connection the board closed or reset goes back to the
	// queue for another connection.
	queue := append([]string(nil), browserAssets[:]...)
	pop := func() (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(queue) == 0 {
			return "", false
		}
		path := queue[0]
		queue = queue[1:]
		return path, true
	}
	var alive []*hconn
	serve := func(h *hconn) {
		for {
			path, ok := pop()
			if !ok {
				break
			}
			if err := h.get(p, kind, path, time.Until(deadline)); err != nil {
				mu.Lock()
				queue = append(queue, path)
				if pl.first == "" {
					pl.first = errKindOf(err)
				}
				mu.Unlock()
				p.fail(errKindOf(err))
				h.c.Close()
				return
			}
		}
		mu.Lock()
		alive = append(alive, h)
		mu.Unlock()
	}
	pl.phase = "an asset"
	conns, dials := []*hconn{page}, browserConns-1
	u.http = append(u.http, page.c)
	for {
		alive = nil
		var wg sync.WaitGroup
		for _, h := range conns {
			wg.Add(1)
			go func() { defer wg.Done(); serve(h) }()
		}
		for range dials {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, err := p.dialHTTP(time.Until(deadline))
				if err != nil {
					p.fail(errKindOf(err)) // not a wait: the others serve the queue
					return
				}
				mu.Lock()
				u.http = append(u.http, h.c)
				mu.Unlock()
				serve(h)
			}()
		}
		wg.Wait()
		if len(queue) == 0 {
			break
		}
		conns, dials = alive, 0
		if len(conns) == 0 {
			dials = 1
		}
		pl.retries++
		if time.Until(deadline) < browserRetry || !p.sleep(browserRetry) {
			pl.took = time.Since(start)
			return pl // the page never loaded whole
		}
	}
	for _, h := range alive {
		h.idle()
	}
	pl.idle = len(alive)
	if pl.retries == 0 {
		pl.phase = "the WebSocket"
	}
	for {
		err := p.pageSocket(u, kind, time.Until(deadline), &pl)
		if err == nil {
			pl.ok = true
			break
		}
		failed(err)
		if time.Until(deadline) < browserRetry || !p.sleep(browserRetry) {
			break
		}
	}
	pl.took = time.Since(start)
	return pl
}

// hconn is a browser's HTTP/1.1 connection.
type hconn struct {
	c  net.Conn
	br *bufio.Reader
}

func (p *probe) dialHTTP(timeout time.Duration) (*hconn, error) {
	if timeout <= 0 {
		return nil, os.ErrDeadlineExceeded
	}
	c, err := p.dialTCP(timeout)
	if err != nil {
		return nil, err
	}
	return &hconn{c: c, br: bufio.NewReader(c)}, nil
}

// get sends one browser request and reads the whole response. A response
// that closes the connection is answered, and the connection is closed.
func (h *hconn) get(p *probe, kind browserKind, path string, timeout time.Duration) error {
	if timeout <= 0 {
		return os.ErrDeadlineExceeded
	}
	_ = h.c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(h.c, kind.pageRequest(p.t.hostport, path)); err != nil {
		return err
	}
	resp, err := http.ReadResponse(h.br, nil)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return errHandshakeEOF
		}
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	p.countHTTP()
	if resp.StatusCode == 503 {
		return probeStatus(503)
	}
	_ = h.c.SetDeadline(time.Time{})
	return nil
}

// idle keeps the connection as a browser's socket pool does: watched, and
// closed when the server closes it.
func (h *hconn) idle() {
	go func() {
		var b [512]byte
		for {
			if _, err := h.c.Read(b[:]); err != nil {
				h.c.Close()
				return
			}
		}
	}()
}

// get fetches path as kind on a connection of its own (reload's page).
func (p *probe) get(kind browserKind, path string, timeout time.Duration) (net.Conn, error) {
	h, err := p.dialHTTP(timeout)
	if err != nil {
		return nil, err
	}
	if err := h.get(p, kind, path, timeout); err != nil {
		h.c.Close()
		return nil, err
	}
	return h.c, nil
}

// pageSocket opens the page's WebSocket and has one message echoed.
func (p *probe) pageSocket(u *user, kind browserKind, timeout time.Duration, pl *pageLoad) error {
	if timeout <= 0 {
		return errors.New("timeout")
	}
	ws, hs, err := p.dialWS(p.t.path, kind.wsRequest(), timeout, 1<<10)
	if err != nil {
		return err
	}
	if hs.extension != "" {
		pl.deflate = hs.extension
	}
	msg := []byte("hello from the page")
	if err := ws.send(msg); err != nil {
		ws.abort()
		return err
	}
	got, err := ws.recv(timeout)
	if err != nil {
		ws.abort()
		return err
	}
	if string(got) != string(msg) {
		ws.abort()
		return errors.New("unexpected")
	}
	p.r.Counts.MsgsSent++
	p.r.Counts.MsgsReceived++
	u.ws = ws
	return nil
}
