package results

import "fmt"

// ConnectPhases is a wss:// connect taken apart, from a run's histograms:
// the whole connect (HistHandshake) and its phases (HistConnectTCP,
// HistConnectTLS, HistConnectUpgrade), each as its p50 and p99 in
// microseconds. The phases' quantiles are their own: they need not add up
// to the whole connect's.
type ConnectPhases struct {
	N              int64 // connects timed (the whole connect's count)
	P50, P99       int64 // the whole connect
	TCP50, TCP99   int64
	TLS50, TLS99   int64
	Upgrade50      int64
	Upgrade99      int64
	TLSN           int64 // TLS handshakes timed
	TCPN, UpgradeN int64
}

// ConnectPhases returns the run's connect phases; false when the run
// timed no TLS handshake (a ws:// run, or one whose connects all failed
// before TLS).
func (r *Run) ConnectPhases() (ConnectPhases, bool) {
	tls := r.Hist(HistConnectTLS)
	if tls.Count() == 0 {
		return ConnectPhases{}, false
	}
	c := ConnectPhases{TLSN: tls.Count(), TLS50: tls.Quantile(0.5), TLS99: tls.Quantile(0.99)}
	if h := r.Hist(HistHandshake); h.Count() > 0 {
		c.N, c.P50, c.P99 = h.Count(), h.Quantile(0.5), h.Quantile(0.99)
	}
	if h := r.Hist(HistConnectTCP); h.Count() > 0 {
		c.TCPN, c.TCP50, c.TCP99 = h.Count(), h.Quantile(0.5), h.Quantile(0.99)
	}
	if h := r.Hist(HistConnectUpgrade); h.Count() > 0 {
		c.UpgradeN, c.Upgrade50, c.Upgrade99 = h.Count(), h.Quantile(0.5), h.Quantile(0.99)
	}
	return c, true
}

// String says it the way a firmware engineer reads it: "connect p50 2.41 s:
// TLS 2.30 s of it (TCP 3.00 ms, upgrade 95 ms); p99 3.10 s: TLS 2.90 s
// (n=9)". Without the whole connect's histogram it gives the phases alone.
func (c ConnectPhases) String() string { return c.phrase("") }

// phrase is String with where the figures come from after n: "(n=9, connect)".
func (c ConnectPhases) phrase(from string) string {
	us := func(v int64) string { return FormatValue(float64(v), "µs") }
	if from != "" {
		from = ", " + from
	}
	if c.N == 0 {
		return fmt.Sprintf("connect phases p50: TCP %s, TLS %s, upgrade %s; p99: TCP %s, TLS %s, upgrade %s (n=%d TLS handshakes%s)",
			us(c.TCP50), us(c.TLS50), us(c.Upgrade50), us(c.TCP99), us(c.TLS99), us(c.Upgrade99), c.TLSN, from)
	}
	return fmt.Sprintf("connect p50 %s: TLS %s of it (TCP %s, upgrade %s); p99 %s: TLS %s (n=%d%s)",
		us(c.P50), us(c.TLS50), us(c.TCP50), us(c.Upgrade50), us(c.P99), us(c.TLS99), c.N, from)
}

// Short is the p50s alone, for a table cell: "2.41 s (TCP 3.00 ms, TLS
// 2.30 s, upgrade 95 ms)".
func (c ConnectPhases) Short() string {
	us := func(v int64) string { return FormatValue(float64(v), "µs") }
	total := "–"
	if c.N > 0 {
		total = us(c.P50)
	}
	return fmt.Sprintf("%s (TCP %s, TLS %s, upgrade %s)", total, us(c.TCP50), us(c.TLS50), us(c.Upgrade50))
}
