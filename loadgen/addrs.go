package loadgen

import (
	"fmt"
	"net"
	"sync"
)

// addrPool hands out local source addresses for client sockets: the
// current one until its ephemeral ports run out (or ConnsPerAddr
// connections used it), then the next.
type addrPool struct {
	mu      sync.Mutex
	ips     []net.IP // nil entry: let the kernel choose
	auto    bool     // extend with 127.0.0.x as needed
	cur     int
	perAddr int
	used    int // connections from ips[cur]
}

func newAddrPool(s *Spec, t *target) (*addrPool, error) {
	p := &addrPool{perAddr: s.ConnsPerAddr}
	for _, a := range s.LocalAddrs {
		ip := net.ParseIP(a)
		if ip == nil {
			return nil, fmt.Errorf("local address %q is not an IP address", a)
		}
		if (ip.To4() == nil) != (t.ip.To4() == nil) {
			return nil, fmt.Errorf("local address %s and target %s are of different IP families", a, t.ip)
		}
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		p.ips = append(p.ips, ip)
	}
	if len(p.ips) == 0 {
		if t.loopback && t.ip.To4() != nil {
			p.auto = true
			p.ips = []net.IP{net.IPv4(127, 0, 0, 1).To4()}
		} else {
			p.ips = []net.IP{nil}
		}
	}
	return p, nil
}

// get returns the index of the address to use for the next connection,
// and false when none is left.
func (p *addrPool) get() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.perAddr > 0 && p.used >= p.perAddr {
		p.advanceLocked()
	}
	if p.cur >= len(p.ips) {
		return 0, false
	}
	p.used++
	return p.cur, true
}

// exhausted reports that address i has no ports left; the pool moves past
// it. It returns false when no address is left.
func (p *addrPool) exhausted(i int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i == p.cur {
		p.advanceLocked()
	}
	return p.cur < len(p.ips)
}

func (p *addrPool) advanceLocked() {
	p.cur++
	p.used = 0
	if p.auto && p.cur == len(p.ips) && p.cur < 254 {
		p.ips = append(p.ips, net.IPv4(127, 0, 0, byte(p.cur+1)).To4())
	}
}

// ip returns address i (nil: the kernel's choice).
func (p *addrPool) ip(i int) net.IP {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ips[i]
}

// count is how many addresses were used so far.
func (p *addrPool) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return min(p.cur+1, len(p.ips))
}
