//go:build linux

package loadgen

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"
)

// Reconnect storm: every client loses the board at once — the WiFi drops:
// the old connections vanish without a FIN, as in dead-peers, so the board
// still holds them — and comes back with its library's backoff: immediate
// (a 5 ms floor, so the loop is bounded), fixed (500 ms, arduinoWebSockets'
// default reconnect interval) or exp (100 ms doubling to 5 s, with full
// jitter). The answer: the time until every client is back, the failed
// attempts by kind, and whether the board still takes a connection after
// the herd. The clients are Conns, at most the board's slots (from /stats);
// the storm lasts at most Duration.

// Backoff policies of reconnect-storm.
const (
	BackoffImmediate = "immediate"
	BackoffFixed     = "fixed"
	BackoffExp       = "exp"
)

// backoffDelay is the wait before attempt k (0-based) under policy.
func backoffDelay(policy string, k int, rnd *rand.Rand) time.Duration {
	switch policy {
	case BackoffImmediate:
		return 5 * time.Millisecond
	case BackoffFixed:
		return 500 * time.Millisecond
	}
	d := 100 * time.Millisecond << min(k, 6)
	d = min(d, 5*time.Second)
	return time.Duration(rnd.Int64N(int64(d) + 1))
}

func runReconnectStorm(p *probe) (string, error) {
	s := p.s
	policy := s.Backoff
	if policy == "" {
		policy = BackoffExp
	}
	if policy != BackoffImmediate && policy != BackoffFixed && policy != BackoffExp {
		return "", fmt.Errorf("backoff %q: want immediate, fixed or exp", policy)
	}
	p.param("backoff", policy)
	n := s.Conns
	if p.have && p.stats.SlotsTotal > 0 {
		n = min(n, int(p.stats.SlotsTotal))
	}
	p.r.Scenario.Conns = n
	var old []*pconn
	defer func() {
		for _, c := range old {
			c.abort()
		}
	}()
	for range n {
		c, ok := p.dialCounted(s.DialTimeout)
		if !ok {
			continue
		}
		old = append(old, c)
	}
	if len(old) == 0 {
		return "", fmt.Errorf("no connection opened to %s: %s", s.Target, errorList(p.r.Errors))
	}
	// The WiFi drops: the old sockets fall silent (kept open, never read
	// or written), and every client comes back.
	start := time.Now()
	deadline := start.Add(s.Duration)
	var mu sync.Mutex
	back := make([]time.Duration, 0, len(old))
	var news []*pconn
	attempts, failed := 0, 0
	var wg sync.WaitGroup
	for i := range old {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(p.seed.Load(), uint64(i)))
			for k := 0; ; k++ {
				if !p.sleep(backoffDelay(policy, k, rnd)) || time.Now().After(deadline) {
					return
				}
				c, _, err := p.dialWS(p.t.path, nil, min(s.DialTimeout, time.Until(deadline)+time.Millisecond), 1<<10)
				mu.Lock()
				attempts++
				if err == nil {
					back = append(back, time.Since(start))
					news = append(news, c)
					mu.Unlock()
					return
				}
				failed++
				p.fail(errKindOf(err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range news {
			c.closeWS()
		}
	}()
	p.r.Counts.ConnsAttempted += int64(attempts)
	p.r.Counts.ConnsOpened += int64(len(back))
	p.r.Counts.ConnsFailed += int64(failed)
	sort.Slice(back, func(i, j int) bool { return back[i] < back[j] })
	// For the plot: when each client was back, in ms since the drop.
	ms := make([]string, len(back))
	for i, b := range back {
		ms[i] = fmt.Sprint(b.Milliseconds())
	}
	p.param("back_ms", strings.Join(ms, ","))
	p.param("clients", fmt.Sprint(len(old)))
	if len(back) > 0 {
		p.note("reconnect-storm: clients back at %s (first), %s (median), %s (last)", back[0].Round(time.Millisecond),
			back[len(back)/2].Round(time.Millisecond), back[len(back)-1].Round(time.Millisecond))
	}
	fails := "no failed attempt"
	if failed > 0 {
		fails = fmt.Sprintf("%d failed attempts (%s)", failed, errorList(p.r.Errors))
	}
	var a string
	if len(back) == len(old) {
		a = fmt.Sprintf("all %d clients back %.1f s after the drop (%s backoff; %s)", len(old), back[len(back)-1].Seconds(), policy, fails)
	} else {
		a = fmt.Sprintf("%d of %d clients back within %.1f s, %d never (%s backoff; %s)", len(back), len(old), s.Duration.Seconds(), len(old)-len(back), policy, fails)
	}
	// Does the board still take a connection after the herd?
	for _, c := range news {
		c.closeWS()
	}
	news = nil
	for _, c := range old {
		c.abort()
	}
	old = nil
	// (The board frees the slots as their FINs arrive: tried until it
	// takes one, for up to 2 s.)
	for wait := time.Now().Add(2 * time.Second); ; {
		c, _, err := p.dialWS(p.t.path, nil, s.DialTimeout, 1<<10)
		if err == nil {
			c.closeWS()
			break
		}
		if time.Now().After(wait) || !p.sleep(100*time.Millisecond) {
			a += fmt.Sprintf("; after the storm the board takes no connection (%s)", errKindOf(err))
			break
		}
	}
	return a, nil
}
