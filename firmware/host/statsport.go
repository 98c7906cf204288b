//go:build linux

package host

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/wslab/wslab/firmware"
)

// The stats port: /stats and /metrics served beside the board, not by one
// of its slots, so that reading the figures never takes a client's slot
// (on a full board a reading through a slot is refused, and the series
// has a hole exactly when it matters) and never counts as a connection.
// A real board would keep a reserved slot for it; the emulation serves it
// from a goroutine that renders on the event loop (Do).

// statsTimeout bounds one stats request.
const statsTimeout = 2 * time.Second

func (s *Server) listenStats() error {
	addr := s.opts.StatsListen
	switch addr {
	case "off":
		return nil
	case "":
		addr = net.JoinHostPort(s.addr.IP.String(), "0")
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("board stats listener on %s: %w", addr, err)
	}
	s.stats = l
	s.statsDoc = make([]byte, 0, 2*firmware.StatsBufSize)
	s.statsResp = make([]byte, 0, 2*firmware.StatsBufSize+256)
	return nil
}

// StatsAddr is the address of the stats port, or nil when it is off.
func (s *Server) StatsAddr() *net.TCPAddr {
	if s.stats == nil {
		return nil
	}
	return s.stats.Addr().(*net.TCPAddr)
}

// StatsURL is the board's /stats on the stats port, e.g.
// "http://127.0.0.1:40123/stats", or "" when the port is off.
func (s *Server) StatsURL() string {
	if a := s.StatsAddr(); a != nil {
		return "http://" + a.String() + "/stats"
	}
	return ""
}

// serveStats answers stats requests one at a time until the listener closes.
func (s *Server) serveStats() {
	var head [2048]byte
	for {
		c, err := s.stats.Accept()
		if err != nil {
			return
		}
		_ = c.SetDeadline(time.Now().Add(statsTimeout))
		n := 0
		for n < len(head) && !bytes.Contains(head[:n], []byte("\r\n\r\n")) {
			k, err := c.Read(head[n:])
			n += k
			if err != nil {
				break
			}
		}
		s.answerStats(c, head[:n])
		c.Close()
	}
}

func (s *Server) answerStats(c net.Conn, req []byte) {
	line, _, _ := bytes.Cut(req, []byte("\r\n"))
	f := bytes.Fields(line)
	status, ct := 200, "application/json"
	var metrics, headOnly bool
	switch {
	case len(f) != 3 || (string(f[0]) != "GET" && string(f[0]) != "HEAD"):
		status = 405
	default:
		path, _, _ := bytes.Cut(f[1], []byte("?"))
		switch string(path) {
		case "/stats":
		case "/metrics":
			metrics, ct = true, "text/plain; version=0.0.4"
		default:
			status = 404
		}
		headOnly = string(f[0]) == "HEAD"
	}
	doc := s.statsDoc[:0]
	if status == 200 {
		if err := s.Do(func(b *firmware.Board) {
			if metrics {
				doc = b.AppendMetrics(doc)
			} else {
				doc = b.AppendStats(doc)
			}
		}); err != nil {
			return
		}
		s.statsDoc = doc[:0]
	} else {
		doc = append(doc, strconv.Itoa(status)...)
		doc = append(doc, '\n')
		ct = "text/plain"
	}
	r := append(s.statsResp[:0], "HTTP/1.1 "...)
	r = strconv.AppendInt(r, int64(status), 10)
	r = append(r, ' ')
	switch status {
	case 200:
		r = append(r, "OK"...)
	case 404:
		r = append(r, "Not Found"...)
	default:
		r = append(r, "Method Not Allowed\r\nAllow: GET, HEAD"...)
	}
	r = append(r, "\r\nContent-Type: "...)
	r = append(r, ct...)
	r = append(r, "\r\nContent-Length: "...)
	r = strconv.AppendInt(r, int64(len(doc)), 10)
	r = append(r, "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"...)
	if !headOnly {
		r = append(r, doc...)
	}
	s.statsResp = r[:0]
	_, _ = c.Write(r)
}
