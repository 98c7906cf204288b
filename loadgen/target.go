package loadgen

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// target is a resolved WebSocket URL.
type target struct {
	url      string // as given, for the record
	hostport string // the Host header
	path     string // path and query sent in the request line
	ip       net.IP
	port     int
	loopback bool
	// tls is the client configuration of a wss:// (or https://) target,
	// nil for ws://: the sockets speak TLS under the same connection
	// state machine (tls.go).
	tls *tls.Config
}

// endpointFor maps the board-default paths to the scenario's endpoint.
func endpointFor(scenario, path string) string {
	if path != "" && path != "/" && path != "/ws" {
		return path
	}
	if sc := scenarioOf(scenario); sc != nil && sc.rule != ruleHTTP {
		return sc.endpoint
	}
	return "/ws"
}

// resolveTarget parses and resolves s.Target for s.Scenario.
func resolveTarget(ctx context.Context, s *Spec) (*target, error) {
	u, err := url.Parse(s.Target)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", s.Target, err)
	}
	secure := false
	switch u.Scheme {
	case "ws", "http":
	case "wss", "https":
		secure = true
	default:
		return nil, fmt.Errorf("target %q: want a ws://host:port/path (or wss://) URL", s.Target)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("target %q: no host", s.Target)
	}
	port := 80
	if secure {
		port = 443
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("target %q: bad port %q", s.Target, p)
		}
	}
	t := &target{url: s.Target, hostport: u.Host, port: port}
	if secure {
		if t.tls, err = clientTLS(s, host); err != nil {
			return nil, fmt.Errorf("target %q: %w", s.Target, err)
		}
	} else if s.Insecure || s.CAFile != "" {
		return nil, fmt.Errorf("target %q: --insecure and --ca are for wss:// (TLS) targets", s.Target)
	}
	t.path = endpointFor(s.Scenario, u.EscapedPath())
	if u.RawQuery != "" {
		t.path += "?" + u.RawQuery
	} else if sc := scenarioOf(s.Scenario); sc != nil && sc.rule == ruleStream {
		t.path += sourceQuery(s)
	}
	ip := net.ParseIP(host)
	if ip == nil {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("target %q: resolve %s: %w", s.Target, host, err)
		}
		for _, a := range addrs {
			if ip == nil || (ip.To4() == nil && a.IP.To4() != nil) {
				ip = a.IP // prefer IPv4
			}
		}
		if ip == nil {
			return nil, fmt.Errorf("target %q: %s has no address", s.Target, host)
		}
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	t.ip = ip
	t.loopback = ip.IsLoopback()
	return t, nil
}

// sourceQuery is the /ws/source query for a stream spec.
func sourceQuery(s *Spec) string {
	q := "?size=" + strconv.Itoa(s.Size)
	count := s.Count
	if count == 0 {
		count = 1 << 40 // until the duration ends
	}
	q += "&count=" + strconv.FormatInt(count, 10)
	if s.Rate > 0 {
		r := s.Rate
		if !s.RatePerConn {
			r /= float64(s.Conns)
		}
		q += "&rate=" + strconv.FormatInt(max(int64(r+0.5), 1), 10)
	}
	if s.Text {
		q += "&type=text"
	} else {
		q += "&type=binary"
	}
	return q
}

// statsURL is where the board's /stats is read, or "" for none.
func statsURL(s *Spec, t *target) string {
	switch s.StatsURL {
	case "-":
		return ""
	case "":
		if t.tls != nil {
			return "https://" + t.hostport + "/stats"
		}
		return "http://" + t.hostport + "/stats"
	}
	return s.StatsURL
}
