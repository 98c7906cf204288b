package poll_test

import (
	"bytes"
	"fmt"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/poll"
)

// A board's main loop: one goroutine, one Board, the stack polled. Four
// clients: a page GET that shuts down its sending side (a FIN) right after
// its request, a WebSocket client that sends a message and a close, one
// that arrives while both slots are busy, and one that resets mid-request.
func ExampleLoop() {
	board, err := firmware.NewBoard(firmware.Config{Model: "example", Slots: 2, RxBuf: 512, TxBuf: 1024,
		MaxMessage: 256}, nil, nil, 0)
	if err != nil {
		panic(err)
	}
	loop := poll.New(board)

	key := core.NewClientKey(core.NewMaskGen(1)) // a host client's key; the board needs no random source
	ws := core.AppendClientRequest(nil, []byte("board"), []byte("/ws"), key[:], nil)
	ws = core.AppendFrame(ws, true, core.OpText, []byte("hello, board"), true, [4]byte{1, 2, 3, 4})
	ws = core.AppendClose(ws, core.CloseNormal, nil, true, [4]byte{5, 6, 7, 8})

	stack := &fakeStack{arrivals: []*stackConn{
		{at: 0, name: "page", send: []byte("GET / HTTP/1.1\r\nHost: board\r\n\r\n"), fin: true},
		{at: 0, name: "ws", send: ws},
		{at: 1, name: "late", send: []byte("GET / HTTP/1.1\r\nHost: board\r\n\r\n")},
		{at: 40, name: "reset", send: []byte("GET /stats HTTP/1.1\r\nHo"), resetAt: 45},
	}}

	now := int64(0)
	for step := 0; step < 400; step++ {
		stack.radio(step)
		for c := stack.accept(step); c != nil; c = stack.accept(step) {
			loop.Accept(c, now)
		}
		loop.Poll(now)
		now += firmware.Millisecond
	}

	page := stack.conn("page")
	head, body, _ := bytes.Cut(page.got, []byte("\r\n\r\n"))
	status, _, _ := bytes.Cut(head, []byte("\r\n"))
	fmt.Printf("page: %s, body is the board's page: %v, closed: %v\n", status, bytes.Equal(body, firmware.Page), page.closed)

	late := stack.conn("late")
	status, _, _ = bytes.Cut(late.got, []byte("\r\n"))
	fmt.Printf("late: %s, closed: %v\n", status, late.closed)

	c := stack.conn("ws")
	_, n, err := core.ParseResponse(c.got, key[:])
	fmt.Println("ws: upgraded:", err == nil)
	rd := core.Reader{Role: core.Client, Buf: make([]byte, 256)}
	for in := c.got[n:]; len(in) > 0; {
		k, ev, err := rd.Feed(in)
		in = in[k:]
		switch {
		case err != nil:
			fmt.Println("ws: error:", err)
			in = nil
		case ev.Kind == core.EventMessage:
			fmt.Printf("ws: echo %q\n", ev.Payload)
		case ev.Kind == core.EventClose:
			fmt.Println("ws: close", uint16(ev.Code), "closed:", c.closed)
		}
	}

	r := stack.conn("reset")
	fmt.Printf("reset: %d bytes sent to it, closed: %v\n", len(r.got), r.closed)
	st := board.Stats()
	fmt.Println("accepted", st.Accepted, "refused", st.Refused, "in use", loop.InUse())
	// Output:
	// page: HTTP/1.1 200 OK, body is the board's page: true, closed: true
	// late: HTTP/1.1 503 Service Unavailable, closed: true
	// ws: upgraded: true
	// ws: echo "hello, board"
	// ws: close 1000 closed: true
	// reset: 0 bytes sent to it, closed: true
	// accepted 3 refused 1 in use 0
}

// The fake stack behaves like a microcontroller's: client bytes arrive a
// segment per radio turn, the output buffer is small and drains between
// turns, a read returns and a write takes at most a few bytes, and it panics where a
// real stack would block (a read of an empty buffer) or overflow (a write
// beyond the free output space).
const (
	segment  = 10 // client bytes that arrive per radio turn
	outSpace = 96 // the stack's output buffer per connection
	maxRead  = 7  // bytes one Read returns
	maxWrite = 13 // bytes one Write takes
)

type fakeStack struct {
	arrivals []*stackConn
	all      []*stackConn
}

// accept returns a connection that arrived by step, or nil.
func (s *fakeStack) accept(step int) poll.Conn {
	for i, c := range s.arrivals {
		if c.at <= step {
			s.arrivals = append(s.arrivals[:i], s.arrivals[i+1:]...)
			c.free = outSpace
			s.all = append(s.all, c)
			return c
		}
	}
	return nil
}

// radio moves one turn of bytes each way.
func (s *fakeStack) radio(step int) {
	for _, c := range s.all {
		n := min(segment, len(c.send))
		c.rx = append(c.rx, c.send[:n]...)
		c.send = c.send[n:]
		if len(c.send) == 0 && c.fin && c.state == poll.Open {
			c.state = poll.PeerEOF
		}
		if c.resetAt > 0 && step >= c.resetAt {
			c.state = poll.PeerReset
		}
		c.free = outSpace // the output buffer went on the air
	}
}

func (s *fakeStack) conn(name string) *stackConn {
	for _, c := range s.all {
		if c.name == name {
			return c
		}
	}
	panic("no connection " + name)
}

type stackConn struct {
	name    string
	at      int    // the step it connects at
	send    []byte // what the client still has to send
	fin     bool   // shut down the sending side once everything is sent
	resetAt int    // the step it resets at (0: never)

	rx     []byte // arrived, not yet read by the board
	free   int    // free output space
	got    []byte // what the client received
	state  poll.State
	closed bool
}

func (c *stackConn) Available() int { return len(c.rx) }

func (c *stackConn) Read(p []byte) (int, error) {
	if len(c.rx) == 0 {
		panic(c.name + ": Read of an empty buffer: a TinyGo stack blocks here")
	}
	n := copy(p[:min(len(p), maxRead)], c.rx)
	c.rx = c.rx[n:]
	return n, nil
}

func (c *stackConn) Free() int { return c.free }

func (c *stackConn) Write(p []byte) (int, error) {
	if len(p) > c.free {
		panic(c.name + ": Write beyond the free output space")
	}
	if c.closed || c.state == poll.PeerReset {
		return 0, fmt.Errorf("%s: write on a dead connection", c.name)
	}
	n := min(len(p), maxWrite)
	c.got = append(c.got, p[:n]...)
	c.free -= n
	return n, nil
}

func (c *stackConn) State() poll.State { return c.state }

func (c *stackConn) Close() error {
	if c.closed {
		panic(c.name + ": closed twice")
	}
	c.closed = true
	return nil
}

// abortConn is a stack connection that can be reset.
type abortConn struct {
	stackConn
	aborted bool
}

func (c *abortConn) Abort() error { c.aborted = true; return nil }
