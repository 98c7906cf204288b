//go:build linux

package host

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/internal/deadlines"
	"github.com/wslab/wslab/internal/rawio"
)

// Options configure an emulated board.
type Options struct {
	Board    firmware.Config
	Listen   string // address to listen on; default "127.0.0.1:0"
	StoreDir string // where files live; "" means a temporary directory removed by Close
	Link     Link   // link emulation; the zero value is off
	CPU      CPU    // the board's processor; the zero value is off (host speed)
	Page     []byte // GET / page; nil means the embedded one
	Backlog  int    // listen backlog; default 128 (a full backlog board: its Config.Backlog)
	// StatsListen is where the board serves /stats and /metrics without
	// taking a client slot (so a full board still reports its figures);
	// default: the board's IP on a port of its own; "off": none.
	StatsListen string
	// LeakPerConn makes the host leak this many bytes of heap per
	// accepted connection. It is a test hook, not a board setting: it
	// lets the load generator's tests prove that its heap figures catch a
	// leaking board. Never set it otherwise.
	LeakPerConn int
	// TLS, when set, terminates TLS in front of the board (tls.go): the
	// board serves https:// and wss://.
	TLS *TLS
}

// Server is a running emulated board.
type Server struct {
	opts     Options
	board    *firmware.Board
	leak     [][]byte // Options.LeakPerConn's leak
	addr     *net.TCPAddr
	storeDir string
	tempDir  bool

	lfd, epfd, evfd, tfd int
	waiter               *rawio.Waiter // waits for epfd's events; owns epfd
	conns                []conn
	dl                   *deadlines.Heap // items 0..N-1 are slots, N is the link, N+1 the CPU
	bucket               *bucket
	linkWait             []int32 // slots blocked on the shared bandwidth, in turn
	linkTurn             int     // the slot retryLink is giving its turn (-1: none)
	inLinkWait           []bool
	cpu                  *vcpu
	cpuWait              []int32 // slots with input waiting for the busy CPU, in arrival order
	inCPUWait            []bool
	tails                *tailGen
	delayed              bool // output is scheduled (link delay, CPU or tails)
	window               int  // the board's receive window per connection (0: not modelled)
	st                   firmware.Stats
	events               []unix.EpollEvent
	ev                   unix.EpollEvent
	refuse               []byte
	sockBuf              int // kernel socket buffer per connection
	// sndWindow is the board's send buffer as TCP holds it: bytes stay in
	// it while the client's window holds them back (the kernel's bytes not
	// yet sent, SIOCOUTQNSD), so a client that stops reading stops the
	// board's output at TxBuf, not at whatever the host's kernel would
	// buffer. Not the unacknowledged bytes (SIOCOUTQ): those are sent and
	// wait only for the host's loopback ACK, whose timing (the client
	// process's scheduling, delayed ACKs) is the host's, not the board's;
	// the emulated delivery is the release time. 0: off (the raw host).
	sndWindow  int
	drain      [2048]byte // what a lingering connection still sends goes here
	segPool    []seg
	acks       []ackLog // per connection, with segPool
	base       time.Time
	armed      int64
	paused     bool // a full backlog or syn-drop board: the listener is out of epoll
	dropping   bool // a full syn-drop board: the drop-all filter is on the listener
	unlistened bool // a full reset board: the listener is closed, so SYNs get RST|ACK
	family     int
	lsa        unix.Sockaddr // the listener's address, to listen again
	backlog    int           // the listener's backlog now

	tls *tlsTerm // TLS termination (tls.go), or nil

	stats     net.Listener // the stats listener, or nil
	statsDoc  []byte
	statsResp []byte

	mu      sync.Mutex
	pending []func(*firmware.Board)
	closing bool
	done    chan struct{}
	err     error
}

type seg struct {
	end     uint64 // TxAppended offset where this segment ends
	release int64  // when its bytes may leave
}

// segsPerConn bounds a connection's release schedule; when it is full,
// new bytes join the last segment (released a little later than due).
const segsPerConn = 16

type conn struct {
	fd          int
	slot        *firmware.Slot
	seen        uint64            // TxAppended already put into segs
	sent        uint64            // bytes written to the socket
	segs        *[segsPerConn]seg // release schedule of tx bytes; only with a link delay
	lastRelease int64             // release time of the latest segment (output stays in order)
	rxAt        int64             // when the socket turned readable (the input's arrival), or the closed receive window reopened if later
	// The receive window: bytes read whose window has not reopened yet,
	// and when each part reopens (an array pointer: 8 B a slot, not a
	// slice's 24; the fields are ordered so the struct packs, as 10,000
	// slots hold one each).
	wnd                           *[segsPerConn]seg // n in end, reopen time in release
	segHead, segN, wndHead, wndN  int16             // indexes into segsPerConn: int16 leaves room for heard and held
	wndUsed                       int32
	readable, writable, lingering bool // lingering: the board is done, draining input until the client's FIN
	hup                           bool // the peer's FIN or an error was reported: read to the end
	// Power save (radioHold): the radio had the input to read when it
	// came (heard), or it waits at the AP for the DTIM beacon at rxAt
	// (held).
	heard, held bool
}

// An ackLog is what the client of a connection has had, for the board's
// send buffer: its latest outputs' ends and release times, oldest first
// (ackedBy). Bytes before base are older than the record. Kept beside
// the conns, only when output is scheduled, so a raw board's slot does
// not carry it.
type ackLog struct {
	rec     [ackRecord]seg
	base    uint64
	head, n uint8
}

// together is how close in time two outputs (or two window reopenings)
// of a connection are to count as one: the release schedule, the receive
// window and the send buffer's record each join them.
const together = int64(50 * time.Microsecond)

// ackRecord is how many of its latest outputs a connection remembers for
// its send buffer (appends within together of each other count as one: a
// stream's round, a burst of replies); older bytes free at once.
const ackRecord = 8

const (
	tagListener = -1
	tagWake     = -2
	tagTimer    = -3
)

// SocketBuffer is the kernel buffer the emulated board gives each socket,
// both ways: the larger of its rx and tx buffers, at least 16 KiB (the
// Shaper, not the kernel, is the window; a few hundred bytes of kernel
// buffer would let bytes in by Linux's silly-window avoidance, in pieces).
// A relay standing in for a board (foreign) sizes its sockets the same.
func SocketBuffer(rx, tx int) int { return max(rx, tx, 16<<10) }

// Start checks the board's configuration, allocates it, listens and runs
// its event loop in a goroutine.
func Start(opts Options) (*Server, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.Backlog == 0 {
		opts.Backlog = 128
	}
	s := &Server{opts: opts, base: time.Now(), done: make(chan struct{})}
	s.storeDir = opts.StoreDir
	if s.storeDir == "" {
		d, err := os.MkdirTemp("", "wslab-board-store-")
		if err != nil {
			return nil, err
		}
		s.storeDir, s.tempDir = d, true
	} else if err := os.MkdirAll(s.storeDir, 0o755); err != nil {
		return nil, fmt.Errorf("board store %s: %w", s.storeDir, err)
	}
	b, err := firmware.NewBoard(opts.Board, DirStore{Dir: s.storeDir}, opts.Page, s.now())
	if err != nil {
		s.cleanupStore()
		return nil, err
	}
	b.LinkBps, b.LinkRTT = opts.Link.Bps, opts.Link.RTT
	b.StackHeld = s.stackHeld
	s.board = b
	if s.tls, err = setupTLS(opts.TLS, listenHost(opts.Listen), b.Footprint().Slots+b.Footprint().Spare, b.Config().HeaderTimeout); err != nil {
		s.cleanupStore()
		return nil, err
	}
	if s.tls != nil {
		b.StackHeld = func() int { return s.stackHeld() + s.tlsHeld() }
	}
	fp := b.Footprint()
	n := fp.Slots + fp.Spare
	s.conns = make([]conn, n)
	for i := range s.conns {
		s.conns[i].fd = -1
	}
	s.cpu = newVCPU(opts.CPU, opts.Link.Airtime, opts.Link.Bps, opts.Link.Tails.Seed+1)
	if s.tls != nil && (opts.CPU.TLSHandshake > 0 || opts.CPU.TLSByte > 0) {
		s.cpu.on = true
	}
	b.CPUCores = s.cpu.cores
	s.tails = newTailGen(opts.Link.Tails)
	s.delayed = opts.Link.RTT > 0 || s.cpu.on || s.tails != nil
	if s.delayed {
		s.segPool = make([]seg, 2*n*segsPerConn)
		s.acks = make([]ackLog, n)
	}
	if opts.Link.Windowed() {
		s.window = b.Config().RxBuf
	}
	if s.delayed {
		s.sndWindow = b.Config().TxBuf
	}
	s.dl = deadlines.New(n + 2)
	s.bucket = newBucket(opts.Link.Bps)
	s.linkWait = make([]int32, 0, n)
	s.linkTurn = -1
	s.inLinkWait = make([]bool, n)
	s.cpuWait = make([]int32, 0, n)
	s.inCPUWait = make([]bool, n)
	s.events = make([]unix.EpollEvent, 256)
	s.refuse = firmware.RefuseResponse(nil)
	c := b.Config()
	s.sockBuf = SocketBuffer(c.RxBuf, c.TxBuf)
	if err := s.setup(); err != nil {
		s.closeFDs()
		s.cleanupStore()
		return nil, err
	}
	s.tuneBacklog()
	if err := s.listenStats(); err != nil {
		s.closeFDs()
		s.cleanupStore()
		return nil, err
	}
	if a := s.StatsAddr(); a != nil {
		b.StatsPort = a.Port
	}
	go s.loop()
	if s.stats != nil {
		go s.serveStats()
	}
	return s, nil
}

func (s *Server) now() int64 { return int64(time.Since(s.base)) }

func (s *Server) setup() error {
	s.lfd, s.epfd, s.evfd, s.tfd = -1, -1, -1, -1
	ta, err := net.ResolveTCPAddr("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("board listen address %q: %w", s.opts.Listen, err)
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ip4 := ta.IP.To4(); ip4 != nil || ta.IP == nil {
		a := &unix.SockaddrInet4{Port: ta.Port}
		if ip4 != nil {
			copy(a.Addr[:], ip4)
		}
		sa = a
	} else {
		family = unix.AF_INET6
		a := &unix.SockaddrInet6{Port: ta.Port}
		copy(a.Addr[:], ta.IP.To16())
		sa = a
	}
	s.family = family
	if s.lfd, err = s.listenSocket(sa); err != nil {
		return err
	}
	s.backlog = s.opts.Backlog
	got, err := unix.Getsockname(s.lfd)
	if err != nil {
		return err
	}
	s.lsa = got
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		s.addr = &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *unix.SockaddrInet6:
		s.addr = &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	}
	if s.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return err
	}
	s.waiter = rawio.NewWaiter(s.epfd, s.events)
	if s.evfd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return err
	}
	if s.tfd, err = unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC); err != nil {
		return err
	}
	for _, r := range []struct{ fd, tag int }{{s.lfd, tagListener}, {s.evfd, tagWake}, {s.tfd, tagTimer}} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(r.tag)}
		if err := unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, r.fd, &ev); err != nil {
			return err
		}
	}
	return nil
}

// listenSocket makes the listening socket bound to sa.
func (s *Server) listenSocket(sa unix.Sockaddr) (int, error) {
	fd, err := unix.Socket(s.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("board socket: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	// Segments of a WiFi or Ethernet link, not loopback's 64 KiB: with a
	// board-sized socket buffer, giant segments would stall on TCP timers.
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_MAXSEG, 1460)
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("board listen on %s: %w", s.opts.Listen, err)
	}
	if err := unix.Listen(fd, s.opts.Backlog); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("board listen on %s: %w", s.opts.Listen, err)
	}
	return fd, nil
}

// Addr is the address the board listens on.
func (s *Server) Addr() *net.TCPAddr { return s.addr }

// URL is the board's base URL, e.g. "http://127.0.0.1:8080".
func (s *Server) URL() string {
	if s.tls != nil {
		return "https://" + s.addr.String()
	}
	return "http://" + s.addr.String()
}

// WSURL is the URL of a WebSocket endpoint, e.g. WSURL("/ws").
func (s *Server) WSURL(path string) string {
	if s.tls != nil {
		return "wss://" + s.addr.String() + path
	}
	return "ws://" + s.addr.String() + path
}

// StoreDir is the directory holding the board's files.
func (s *Server) StoreDir() string { return s.storeDir }

// Footprint is the board's static memory.
func (s *Server) Footprint() firmware.Footprint { return s.board.Footprint() }

// Config is the board's configuration with defaults filled in.
func (s *Server) Config() firmware.Config { return s.board.Config() }

// Do runs f on the event loop, where the board may be touched, and waits.
func (s *Server) Do(f func(*firmware.Board)) error {
	ch := make(chan struct{})
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return errors.New("board closed")
	}
	s.pending = append(s.pending, func(b *firmware.Board) { f(b); close(ch) })
	s.mu.Unlock()
	s.kick()
	select {
	case <-ch:
		return nil
	case <-s.done:
		return errors.New("board closed")
	}
}

// Stats returns a snapshot of the board's counters.
func (s *Server) Stats() firmware.Stats {
	var st firmware.Stats
	_ = s.Do(func(b *firmware.Board) { st = b.Stats() })
	return st
}

// CPU is the board's CPU model (zero: off).
func (s *Server) CPU() CPU { return s.opts.CPU }

// CPUBusy is how long the board's virtual CPU has been busy since start.
func (s *Server) CPUBusy() time.Duration {
	var ns int64
	_ = s.Do(func(b *firmware.Board) { ns = b.CPUBusy })
	return time.Duration(ns)
}

// ChannelUse returns how many frames crossed the emulated WiFi channel
// and in how many accesses (frames per access is the aggregation the load
// allowed; both 0 without Link.Airtime).
func (s *Server) ChannelUse() (frames, accesses uint64) {
	_ = s.Do(func(*firmware.Board) {
		if ch := s.cpu.ch; ch != nil {
			frames, accesses = ch.frames, ch.accesses
		}
	})
	return frames, accesses
}

func (s *Server) kick() {
	var one = [8]byte{1}
	_, _ = rawio.Write(s.evfd, one[:])
}

// Close stops the board: it closes every connection and the listener and
// removes a temporary store.
func (s *Server) Close() error {
	s.mu.Lock()
	already := s.closing
	s.closing = true
	s.mu.Unlock()
	if !already {
		s.kick()
		if s.stats != nil {
			s.stats.Close()
		}
	}
	<-s.done
	s.closeTLS()
	return s.err
}

// Done is closed when the event loop has stopped.
func (s *Server) Done() <-chan struct{} { return s.done }

func (s *Server) cleanupStore() {
	if s.tempDir {
		os.RemoveAll(s.storeDir)
	}
}

func (s *Server) closeFDs() {
	for i := range s.conns {
		if c := &s.conns[i]; c.fd >= 0 {
			unix.Close(c.fd)
			c.fd = -1
		}
	}
	if s.waiter != nil {
		s.waiter.Close()
		s.epfd = -1
	}
	for _, fd := range []int{s.lfd, s.epfd, s.evfd, s.tfd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

func (s *Server) loop() {
	defer close(s.done)
	defer s.cleanupStore()
	defer s.closeFDs()
	nslots := len(s.conns)
	for {
		s.armTimer()
		n, err := s.waiter.Wait()
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			s.err = fmt.Errorf("board event loop: %w", err)
			return
		}
		now := s.now()
		for k := 0; k < n; k++ {
			e := &s.events[k]
			switch e.Fd {
			case tagListener:
				s.acceptAll(now)
			case tagWake:
				var buf [8]byte
				_, _ = rawio.Read(s.evfd, buf[:])
				if s.runPending() {
					return
				}
			case tagTimer:
				var buf [8]byte
				_, _ = rawio.Read(s.tfd, buf[:])
				s.armed = 0
			default:
				i := int(e.Fd)
				c := &s.conns[i]
				if c.fd < 0 {
					continue
				}
				if e.Events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
					s.arrived(c, now)
					c.hup = c.hup || e.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0
				}
				if e.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
					c.writable = true
				}
				s.service(i, now)
			}
		}
		// Timers that are due.
		for {
			i, at := s.dl.Min()
			if i < 0 || at > now {
				break
			}
			if i == nslots {
				s.dl.Set(i, 0)
				s.retryLink(now)
				continue
			}
			if i == nslots+1 {
				s.dl.Set(i, 0)
				s.retryCPU(now)
				continue
			}
			s.dl.Set(i, 0)
			if c := &s.conns[i]; c.fd >= 0 {
				// A TLS slot's request timer starts after its handshake (tls.go).
				held := s.tls != nil && s.tlsHold(i, now)
				if !held {
					c.slot.Tick(now)
				}
				s.service(i, now)
				if held {
					s.tlsRearm(i, now)
				}
			}
		}
		s.drainWakes(now)
	}
}

func (s *Server) drainWakes(now int64) {
	for sl := s.board.NextWake(); sl != nil; sl = s.board.NextWake() {
		s.service(sl.Index(), now)
	}
}

func (s *Server) runPending() (stop bool) {
	s.mu.Lock()
	p := s.pending
	s.pending = nil
	stop = s.closing
	s.mu.Unlock()
	for _, f := range p {
		f(s.board)
	}
	return stop
}

// armTimer sets the timerfd to the earliest deadline.
func (s *Server) armTimer() {
	_, at := s.dl.Min()
	if at == s.armed || (s.armed != 0 && (at == 0 || at > s.armed)) {
		// Armed for this deadline or an earlier one: a deadline that
		// moved later (a slot's idle timer, at every message) or went
		// away leaves the timer as it is; it fires early, the loop finds
		// nothing due and arms it again, one call instead of one a
		// message.
		return
	}
	s.armed = at
	var spec unix.ItimerSpec
	if at > 0 {
		abs := s.base.Add(time.Duration(at))
		d := time.Until(abs)
		if d < time.Microsecond {
			d = time.Microsecond
		}
		spec.Value = unix.NsecToTimespec(int64(d))
	}
	_ = rawio.TimerfdSettime(s.tfd, &spec)
}

func (s *Server) acceptAll(now int64) {
	for {
		if s.board.Full() && !s.makeRoom(now) {
			return
		}
		// accept4 with no address: nothing to allocate per connection.
		fd, err := rawio.Accept4(s.lfd)
		if err != nil {
			return // EAGAIN, or an error we cannot act on (EMFILE): try at the next event
		}
		sl := s.board.Accept(now)
		if sl == nil && s.purge(now) {
			sl = s.board.Accept(now)
		}
		if sl == nil {
			s.board.Refused()
			s.refuseConn(fd)
			continue
		}
		if s.opts.LeakPerConn > 0 {
			s.leak = append(s.leak, make([]byte, s.opts.LeakPerConn))
		}
		i := sl.Index()
		_ = rawio.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		// A board's TCP window is a few KiB (TCP_WND), not the megabytes
		// Linux grows a loopback socket to; keep the receive buffer near
		// the board's own so a fast client meets the board's back-pressure
		// instead of queueing seconds of data in the host. (The send side
		// stays as Linux sizes it: the link emulation paces output, and
		// with both sides small, a client that writes a large message
		// before reading its echo stalled under load.)
		_ = rawio.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, s.sockBuf)
		if s.tls != nil {
			// The slot is driven over a socket pair, TLS on the other
			// side (tls.go); a session the heap has no room for is
			// closed at once, as mbedtls_ssl_setup failing does.
			if !s.tlsRoom() {
				s.board.Refused()
				sl.Release(now)
				s.refuseSession(fd)
				continue
			}
			if fd, err = s.tlsAccept(fd, i); err != nil {
				sl.Release(now)
				continue
			}
		}
		s.ev = unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(i)}
		if err := rawio.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &s.ev); err != nil {
			unix.Close(fd)
			sl.Release(now)
			continue
		}
		s.conns[i] = conn{fd: fd, slot: sl, writable: true}
		if s.segPool != nil {
			s.conns[i].segs = (*[segsPerConn]seg)(s.segPool[i*segsPerConn : (i+1)*segsPerConn])
			s.acks[i] = ackLog{} // a new connection: its offsets start again
		}
		s.service(i, now)
		s.tuneBacklog()
		if s.board.Full() && s.onFull() {
			return
		}
	}
}

// onFull turns the listener the board's way the moment its last slot is
// taken, so newcomers meet the full board's behaviour even when they
// arrive together; it reports whether accepting stops.
func (s *Server) onFull() bool {
	c := s.board.Config()
	switch c.FailMode {
	case firmware.FailBacklog:
		if !c.LRUPurge {
			s.pauseAccept(false)
			return true
		}
	case firmware.FailSynDrop:
		s.pauseAccept(true)
		return true
	case firmware.FailReset:
		// lneto with an empty pool answers a SYN with RST|ACK: so does
		// Linux for a port nobody listens on. Connections already waiting
		// in the accept queue are reset as the listener closes.
		_ = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, s.lfd, &s.ev)
		unix.Close(s.lfd)
		s.lfd = -1
		s.unlistened = true
		return true
	}
	return false
}

var lingerZero = unix.Linger{Onoff: 1, Linger: 0}

// makeRoom is called with every slot busy and a newcomer waiting. It
// reports whether to accept it anyway (and refuse it, or admit it in a
// slot just freed); for a backlog or syn-drop board it stops accepting
// instead, leaving the newcomers to the kernel, until a slot frees.
func (s *Server) makeRoom(now int64) bool {
	c := s.board.Config()
	switch c.FailMode {
	case firmware.FailBacklog:
		if c.LRUPurge {
			return true // the newcomer is accepted, then purge makes room
		}
		s.pauseAccept(false)
		return false
	case firmware.FailSynDrop:
		s.pauseAccept(true)
		return false
	}
	return true
}

// purge closes the least recently used session of a full backlog board
// with LRUPurge, as esp_http_server's httpd_sess_close_lru does: the
// session's socket is closed, without a WebSocket close frame.
func (s *Server) purge(now int64) bool {
	c := s.board.Config()
	if c.FailMode != firmware.FailBacklog || !c.LRUPurge {
		return false
	}
	lru := s.board.LeastRecentlyUsed()
	if lru == nil || s.conns[lru.Index()].fd < 0 {
		return false
	}
	s.board.Purged()
	s.closeConn(lru.Index(), now)
	return true
}

// dropAll is a classic BPF program that drops every packet: attached to
// the listening socket it makes the kernel drop incoming SYNs silently,
// as lwIP does with no free PCB.
var dropAll = [1]unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: 0}}

// pauseAccept takes the listener out of the event loop; with drop, new
// SYNs are dropped too. resumeAccept undoes it when a slot frees.
func (s *Server) pauseAccept(drop bool) {
	if !s.paused {
		_ = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, s.lfd, &s.ev)
		s.paused = true
	}
	if drop && !s.dropping {
		prog := unix.SockFprog{Len: uint16(len(dropAll)), Filter: &dropAll[0]}
		if unix.SetsockoptSockFprog(s.lfd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog) == nil {
			s.dropping = true
		}
	}
}

func (s *Server) resumeAccept() {
	if s.dropping {
		_ = unix.SetsockoptInt(s.lfd, unix.SOL_SOCKET, unix.SO_DETACH_FILTER, 0)
		s.dropping = false
	}
	if s.paused {
		// Level-triggered: newcomers waiting in the backlog are reported
		// at the next wait.
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: tagListener}
		_ = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, s.lfd, &ev)
		s.paused = false
	}
	if s.unlistened {
		fd, err := s.listenSocket(s.lsa)
		if err != nil {
			return // the port is taken meanwhile: try at the next release
		}
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: tagListener}
		_ = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
		s.lfd, s.unlistened, s.backlog = fd, false, s.opts.Backlog
	}
	s.tuneBacklog()
}

// tuneBacklog keeps the kernel from completing more connections than the
// board would take: for a board that holds or drops newcomers when
// full, the accept queue holds at most the free slots (plus a
// backlog board's Backlog), so a newcomer arriving before the board took
// the one ahead of it meets the full board's behaviour, not a kernel that
// quietly completed its handshake. Linux's accept queue holds one more
// than listen's argument; listen on a listening socket only changes it.
func (s *Server) tuneBacklog() {
	c := s.board.Config()
	extra := 0
	switch c.FailMode {
	case firmware.FailBacklog:
		if c.LRUPurge {
			return
		}
		extra = c.Backlog
	case firmware.FailSynDrop:
	default:
		// A reset board keeps the kernel's whole queue: Linux drops a SYN
		// its full queue has no room for, where lneto answers it with
		// RST|ACK. A newcomer the kernel completed ahead of the board's
		// turning full is reset as the listener closes (onFull): turned
		// away at once, if after its connect rather than at its SYN.
		return
	}
	want := min(max(s.board.Free()+extra-1, 0), s.opts.Backlog)
	if want != s.backlog && s.lfd >= 0 {
		if unix.Listen(s.lfd, want) == nil {
			s.backlog = want
		}
	}
}

func (s *Server) refuseConn(fd int) {
	switch s.board.FailMode() {
	case firmware.FailReject503:
		if s.tls != nil {
			s.tlsRefuse(fd) // the handshake first, then the 503 (tls.go)
			return
		}
		_, _ = unix.Write(fd, s.refuse) // best effort: a fresh socket's buffer takes it
	case firmware.FailAcceptClose:
		// Read what already arrived (the request), so the close is a FIN
		// and not the reset Linux sends for unread data.
		for {
			if n, _ := unix.Read(fd, s.drain[:]); n <= 0 {
				break
			}
		}
	default:
		// An evict-oldest board whose spare slot is busy too: its stack
		// is out of connections.
		_ = unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &lingerZero)
	}
	unix.Close(fd)
}

// stackHeld is Board.StackHeld: what the kernel holds for the board's
// connections, received and not yet read plus sent and not yet
// acknowledged, each capped at the board's window (the rx and tx buffer):
// on the board these bytes sit in the stack's buffers (lwIP pbufs).
func (s *Server) stackHeld() int {
	c := s.board.Config()
	n := 0
	for i := range s.conns {
		fd := s.conns[i].fd
		if fd < 0 {
			continue
		}
		if in, err := unix.IoctlGetInt(fd, unix.SIOCINQ); err == nil {
			n += min(in, c.RxBuf)
		}
		if out, err := unix.IoctlGetInt(fd, unix.SIOCOUTQ); err == nil {
			n += min(out, c.TxBuf)
		}
	}
	return n
}

// service moves bytes between the socket and the slot until neither side
// can make progress, then sets the slot's next deadline.
func (s *Server) service(i int, now int64) {
	c := &s.conns[i]
	if c.lingering {
		s.linger(i, now)
		return
	}
	sl := c.slot
	if c.wnd == nil && s.window > 0 {
		k := (len(s.conns) + i) * segsPerConn
		c.wnd = (*[segsPerConn]seg)(s.segPool[k : k+segsPerConn])
	}
	var wait int64 // earliest time the link, the window or the radio lets this connection go on
	soon := func(at int64) {
		if wait == 0 || at < wait {
			wait = at
		}
	}
	s.afterCall(now, 0) // work done since the last look: an accept, a timer, another slot's wake
	took := 0           // bytes the shared link granted in this call
	for {
		progress := false
		s.noteTx(i, now)
		// Reads first, and at most a quantum each way per turn: on a
		// saturated link the two directions take turns, so a close or a
		// ping is not starved behind a stream (nor a reply behind a flood).
		if c.readable && !sl.Done() {
			if !s.cpu.idle(now) {
				s.waitCPU(i) // the board takes no input while its core is busy
			} else if at := s.radioHold(c, now); at > 0 {
				soon(at)
			} else if buf := sl.RxSpace(); buf != nil {
				if s.window > 0 {
					free, at := c.rxWindow(now, s.window)
					if free < len(buf) {
						buf = buf[:free]
					}
					if at > 0 {
						soon(at)
					}
				}
				if len(buf) > 0 {
					g, w := s.linkTake(i, now, len(buf), &took)
					if g == 0 {
						s.waitLink(i, w)
					} else {
						n, err := rawio.Read(c.fd, buf[:g])
						s.bucket.refund(g - max(n, 0))
						took -= g - max(n, 0)
						switch {
						case n > 0:
							if s.tls != nil {
								s.tlsRecordCPU(now, n) // decrypting it
							}
							sl.Received(n, now)
							// The input arrived when the socket turned
							// readable or at the last read while it stayed
							// so, but not before the window let the client
							// send it: bytes that waited in the host's
							// socket behind a closed window come a round
							// after it reopened, and cross the channel then.
							s.readIn(c, now, n)
							// The station had these bytes when they
							// arrived: it stays awake after them. Not
							// only at the socket's edges: a stream the
							// host's kernel buffered comes in edges
							// ~150 ms apart, read a window at a time in
							// between, and the station dozed through its
							// own upload (seed 11's random board, DTIM
							// 3: 1024 B at 0.016 MB/s, 0.023 without
							// power save).
							s.tails.traffic(c.rxAt)
							c.rxAt = now // what is read next arrived by now
							if n < g && !c.hup {
								// A short read emptied the socket: what
								// arrives next is a new edge, so no read
								// to EAGAIN (a third of the calls of an
								// echo). A FIN that came with the data
								// makes no new edge: read on to it.
								c.readable = false
							}
							progress = true
						case n == 0 && err == nil:
							sl.PeerEOF(now) // a FIN: the client may still read
							s.afterCall(now, 0)
							c.readable = false
						case err == unix.EAGAIN:
							c.readable = false
						default:
							sl.PeerClosed(now)
							s.afterCall(now, 0)
							c.readable = false
						}
					}
				}
			}
		}
		s.noteTx(i, now)
		if c.writable {
			pend := sl.TxPending()
			k := len(pend)
			if s.delayed {
				var w int64
				k, w = c.releasable(now, k, 0)
				if w > 0 {
					soon(w)
				}
			}
			if k > 0 && s.sndWindow > 0 {
				if q, err := unix.IoctlGetInt(c.fd, unix.SIOCOUTQNSD); err == nil {
					if room := s.sndWindow - q; room < k {
						k = max(room, 0)
					}
					if k == 0 {
						// Nothing acknowledged yet: no event will say
						// when, so look again in a while.
						soon(now + sndPoll)
					}
				}
			}
			if k > 0 {
				g, w := s.linkTake(i, now, k, &took)
				if g == 0 {
					s.waitLink(i, w)
				} else {
					n, err := rawio.Write(c.fd, pend[:g])
					s.bucket.refund(g - max(n, 0))
					took -= g - max(n, 0)
					if n > 0 {
						if s.tls != nil {
							s.tlsRecordCPU(now, n) // encrypting it
						}
						c.sent += uint64(n)
						sl.Sent(n, now)
						s.afterCall(now, 0)
						s.tails.traffic(now)
						progress = true
					}
					if err == unix.EAGAIN {
						c.writable = false
					} else if err != nil {
						sl.PeerClosed(now)
						s.afterCall(now, 0)
					} else if n < g {
						c.writable = false
					}
				}
			}
		}
		if sl.Done() {
			s.linger(i, now)
			return
		}
		if !progress {
			break
		}
	}
	s.noteTx(i, now)
	d := sl.Deadline()
	if wait > 0 && (d == 0 || wait < d) {
		d = wait
	}
	s.dl.Set(i, d)
}

// sndPoll is how often a connection whose send buffer is full of
// unacknowledged bytes looks for acknowledgements.
const sndPoll = int64(2 * time.Millisecond)

// afterCall charges the board's CPU for the work its counters show since
// the last call (rx bytes were received in this one).
func (s *Server) afterCall(now int64, rx int) { s.afterCallAt(now, now, rx) }

// afterCallAt is afterCall for input that arrived at arrived.
func (s *Server) afterCallAt(now, arrived int64, rx int) {
	if !s.cpu.on {
		return
	}
	s.st = s.board.Stats()
	s.cpu.account(now, arrived, &s.st, rx)
	s.board.CPUBusy = s.cpu.total
}

// arrived notes input on c's socket at now (edge-triggered: each
// arrival). An awake radio hears the frame, busy core or not, and stays
// awake after it; a dozing one leaves it at the AP (radioHold).
func (s *Server) arrived(c *conn, now int64) {
	awake := s.tails.heard(now)
	if !c.readable {
		c.rxAt = now // input arrived: the board's work on it starts from here
		c.heard, c.held = awake, false
	} else if !awake {
		c.heard = false
	}
	c.readable = true
}

// radioHold is when c's input reaches the board through the radio
// (power save), or 0 if it has: input an awake radio heard has; input
// that came while it dozed waits at the AP for the next DTIM beacon, and
// the board's work on it starts from there, not from its arrival at the
// AP (or a doze shorter than the echo's own time hid in it). Every frame
// the AP held comes with that beacon: one the core reads later, after the
// station has dozed again, does not wait for another.
func (s *Server) radioHold(c *conn, now int64) int64 {
	switch {
	case c.heard:
		return 0
	case c.held && c.rxAt > now:
		return c.rxAt
	case c.held:
		c.heard, c.held = true, false
		return 0
	}
	at := s.tails.hold(now)
	if at > 0 {
		c.rxAt, c.held = max(c.rxAt, at), true
		return c.rxAt
	}
	c.heard = true
	return 0
}

// noteTx records bytes the slot appended since the last look, charges the
// CPU for sending them and schedules their release: when the CPU has
// finished the work, plus the link's delay and tail.
func (s *Server) noteTx(i int, now int64) {
	c := &s.conns[i]
	if !s.delayed {
		return
	}
	a := c.slot.TxAppended()
	if a <= c.seen {
		return
	}
	// The bytes could be written once the send buffer had room for them:
	// when the client had what came TxBuf before their end (in virtual
	// time: the host's loop learns of it later).
	var room int64
	if s.sndWindow > 0 && a > uint64(s.sndWindow) {
		room = s.acks[i].ackedBy(a - uint64(s.sndWindow))
	}
	out, more := s.cpu.output(now, int(a-c.seen), room, c.lastRelease)
	if s.cpu.on {
		s.board.CPUBusy = s.cpu.total
	}
	c.seen = a
	rel := out + s.opts.Link.RTT + s.tails.draw(more)
	if rel < c.lastRelease {
		rel = c.lastRelease // in order: a late packet holds those behind it
	}
	c.lastRelease = rel
	s.acks[i].delivered(a, rel)
	if c.segN > 0 {
		last := &c.segs[int(c.segHead+c.segN-1)%len(c.segs)]
		if last.release >= rel-together || int(c.segN) == len(c.segs) {
			last.end = a // coalesce bytes appended at about the same time, or when full
			if rel > last.release {
				last.release = rel
			}
			return
		}
	}
	c.segs[int(c.segHead+c.segN)%len(c.segs)] = seg{end: a, release: rel}
	c.segN++
}

// delivered records that the client has the bytes up to end at rel.
func (l *ackLog) delivered(end uint64, rel int64) {
	if l.n > 0 {
		last := &l.rec[(int(l.head)+int(l.n)-1)%ackRecord]
		if last.release >= rel-together {
			last.end, last.release = end, max(last.release, rel)
			return
		}
	}
	if l.n == ackRecord {
		l.base = l.rec[l.head].end
		l.head = uint8((int(l.head) + 1) % ackRecord)
		l.n--
	}
	l.rec[(int(l.head)+int(l.n))%ackRecord] = seg{end: end, release: rel}
	l.n++
}

// ackedBy is when the client had every byte before off (its release:
// the emulated link delivers, and acknowledges, at release), or 0 when
// that is older than the record.
func (l *ackLog) ackedBy(off uint64) int64 {
	if off <= l.base {
		return 0
	}
	for k := 0; k < int(l.n); k++ {
		if r := l.rec[(int(l.head)+k)%ackRecord]; r.end >= off {
			return r.release
		}
	}
	return 0
}

// rxWindow reopens the parts of the receive window whose time has come and
// returns how many bytes the client may have sent by now; when none, at
// is when the next part reopens.
func (c *conn) rxWindow(now int64, window int) (free int, at int64) {
	for c.wndN > 0 && c.wnd[c.wndHead].release <= now {
		if r := c.wnd[c.wndHead].release; int(c.wndUsed) >= window && r > c.rxAt {
			// Closed until this part reopened: the client could send
			// nothing until it learnt of it, so what is read next
			// arrived no earlier (rxAt, not a field of its own: 10,000
			// slots hold a conn each).
			c.rxAt = r
		}
		c.wndUsed -= int32(c.wnd[c.wndHead].end)
		c.wndHead = (c.wndHead + 1) % int16(len(c.wnd))
		c.wndN--
	}
	free = window - int(c.wndUsed)
	if free <= 0 {
		free = 0
		if c.wndN > 0 {
			at = c.wnd[c.wndHead].release
		}
	}
	return free, at
}

// readIn charges the board for n bytes just read from c (which arrived
// at c.rxAt) and schedules their window's reopening.
func (s *Server) readIn(c *conn, now int64, n int) {
	before := s.cpu.done(now)
	s.afterCallAt(now, c.rxAt, n)
	if s.window > 0 {
		s.reopen(c, now, before, n)
	}
}

// reopen schedules the window for n bytes just read, whose processing
// the CPU started at before (s.cpu.done before the read was charged: now,
// if it was idle) and finishes at s.cpu.done(now). The board takes a
// read's segments one after another and gives each back as its handler
// returns (ESPAsyncTCP's ackPacket calls lwIP's tcp_recved with one
// pbuf's length), so the window reopens a segment at a time across that
// span, not all at its end: a read of a whole window reopened in one
// piece let the client send only when the board had finished all of it,
// and the upload went at one of two paces depending on how the window
// happened to split (esp8266, 8192 B: 0.189 or 0.208 MB/s per
// connection). Each update crosses the channel (an access) and the wire
// back.
func (s *Server) reopen(c *conn, now, before int64, n int) {
	after := s.cpu.done(now)
	start := min(before, after)
	back := s.cpu.air + s.opts.Link.RTT
	mss := s.cpu.mss
	k := int(s.cpu.segments(n))
	if k <= 1 || after == start {
		c.consumed(n, after+back)
		return
	}
	span := after - start
	for j := 1; j <= k; j++ {
		piece := mss
		if j == k {
			piece = n - (k-1)*mss
		}
		c.consumed(piece, start+span*int64(j)/int64(k)+back)
	}
}

// consumed records n bytes the firmware took; their window reopens at
// reopen (the client learns of it and its next bytes arrive a round trip
// after the board consumed them).
func (c *conn) consumed(n int, reopen int64) {
	c.wndUsed += int32(n)
	if c.wndN > 0 {
		last := &c.wnd[int(c.wndHead+c.wndN-1)%len(c.wnd)]
		if last.release >= reopen-together || int(c.wndN) == len(c.wnd) {
			last.end += uint64(n)
			if reopen > last.release {
				last.release = reopen
			}
			return
		}
	}
	c.wnd[int(c.wndHead+c.wndN)%len(c.wnd)] = seg{end: uint64(n), release: reopen}
	c.wndN++
}

// releasable limits want to the bytes whose delay has passed; wait is set
// to the next release time if some are held back.
func (c *conn) releasable(now int64, want int, wait int64) (int, int64) {
	for c.segN > 0 && c.segs[c.segHead].end <= c.sent {
		c.segHead = (c.segHead + 1) % int16(len(c.segs))
		c.segN--
	}
	var limit uint64 = c.sent
	for k := int16(0); k < c.segN; k++ {
		sg := c.segs[int(c.segHead+k)%len(c.segs)]
		if sg.release > now {
			if wait == 0 || sg.release < wait {
				wait = sg.release
			}
			break
		}
		limit = sg.end
	}
	if avail := int(limit - c.sent); avail < want {
		want = avail
	}
	return want, wait
}

// waitCPU queues slot i for the board's CPU: waiters are served in the
// order they found it busy (first come, first served, as frames queue for
// the stack), so no connection is starved by another that happens to be
// polled first. (The channel needs no wait: frames book it, see channel.)
func (s *Server) waitCPU(i int) {
	if !s.inCPUWait[i] {
		s.inCPUWait[i] = true
		s.cpuWait = append(s.cpuWait, int32(i))
	}
	s.armCPU(s.now())
}

// armCPU sets the CPU's timer to when the core frees.
func (s *Server) armCPU(now int64) {
	at := int64(0)
	if !s.cpu.idle(now) {
		at = s.cpu.nextIdle(now)
	}
	if at <= now {
		at = now + 1
	}
	s.dl.Set(len(s.conns)+1, at)
}

// retryCPU gives the freed resources to the slots waiting for them, in
// turn; a slot that still cannot go on queues again at the back.
func (s *Server) retryCPU(now int64) {
	for k := len(s.cpuWait); k > 0 && len(s.cpuWait) > 0; k-- {
		i := s.cpuWait[0]
		copy(s.cpuWait, s.cpuWait[1:])
		s.cpuWait = s.cpuWait[:len(s.cpuWait)-1]
		s.inCPUWait[i] = false
		if s.conns[i].fd >= 0 {
			s.service(int(i), now)
		}
	}
	if len(s.cpuWait) > 0 {
		s.armCPU(now)
	}
}

// linkTake asks the shared link for up to want bytes for slot i. The link
// is shared fairly: while slots wait for it, a slot that is not the one
// being given its turn queues behind them instead of taking the credit
// first, and the one given its turn takes at most a quantum (took counts
// what it had in this call) before it queues again at the back. A WiFi
// channel shares airtime between stations the same way; without it a
// flooding connection that happens to be served first takes every byte.
func (s *Server) linkTake(i int, now int64, want int, took *int) (int, int64) {
	if s.bucket == nil {
		return want, 0
	}
	q := int(s.bucket.quantum)
	if s.linkTurn == i {
		if len(s.linkWait) > 0 {
			if *took >= q {
				return 0, now // its turn is over: back of the queue
			}
			want = min(want, q-*took)
		}
	} else if len(s.linkWait) > 0 {
		return 0, now // others are waiting: no jumping the queue
	}
	g, w := s.bucket.take(now, s.bucket.turn(want))
	*took += g
	return g, w
}

// waitLink queues slot i for the link, to be retried at or after at.
func (s *Server) waitLink(i int, at int64) {
	if !s.inLinkWait[i] {
		s.inLinkWait[i] = true
		s.linkWait = append(s.linkWait, int32(i))
	}
	if r := s.bucket.readyAt(); r > at {
		at = r
	}
	n := len(s.conns)
	if cur := s.dl.At(n); cur == 0 || at < cur {
		s.dl.Set(n, at)
	}
}

// retryLink gives the link to the waiting slots in turn, a quantum each,
// until it has no credit left; those still waiting go round again when it
// has a quantum's credit.
func (s *Server) retryLink(now int64) {
	for k := len(s.linkWait); k > 0 && len(s.linkWait) > 0; k-- {
		i := s.linkWait[0]
		copy(s.linkWait, s.linkWait[1:])
		s.linkWait = s.linkWait[:len(s.linkWait)-1]
		s.inLinkWait[i] = false
		if s.conns[i].fd >= 0 {
			s.linkTurn = int(i)
			s.service(int(i), now)
			s.linkTurn = -1
		}
		if s.bucket.readyAt() > now {
			break
		}
	}
	if len(s.linkWait) > 0 {
		n := len(s.conns)
		at := max(s.bucket.readyAt(), now+1)
		if cur := s.dl.At(n); cur == 0 || at < cur || cur <= now {
			s.dl.Set(n, at)
		}
	}
}

// lingerTime bounds how long a finished connection waits for the client's FIN.
const lingerTime = int64(2 * time.Second)

// linger ends a connection the board is done with without a reset: it
// shuts down the sending side (a FIN after the last bytes) and reads and
// discards what the client still sends, until the client's FIN or for
// lingerTime, and only then closes. Closing a socket with unread input
// makes the kernel send a reset instead, which throws away the last bytes
// not yet delivered (a close frame with its code, an error response) and
// makes the client's kernel drop what it had not read yet.
func (s *Server) linger(i int, now int64) {
	c := &s.conns[i]
	if !c.lingering {
		c.lingering = true
		s.dl.Set(i, now+lingerTime)
		if unix.Shutdown(c.fd, unix.SHUT_WR) != nil {
			s.closeConn(i, now)
			return
		}
	}
	until := s.dl.At(i) // 0 once the timer fired
	for {
		n, err := rawio.Read(c.fd, s.drain[:])
		if n > 0 {
			continue
		}
		if err == unix.EAGAIN && now < until {
			return // more may come; the FIN or the timer ends it
		}
		s.closeConn(i, now)
		return
	}
}

func (s *Server) closeConn(i int, now int64) {
	c := &s.conns[i]
	_ = rawio.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, c.fd, &s.ev)
	rawio.Close(c.fd)
	c.slot.Release(now)
	s.afterCall(now, 0)
	*c = conn{fd: -1}
	s.dl.Set(i, 0)
	s.resumeAccept()
}
