//go:build linux

package host_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
)

// The other WebSocket endpoints: /ws/source pushes, /ws/sink swallows,
// /ws/broadcast fans out.

func TestSourceEndpoint(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxMessage: 8192})
	addr := srv.Addr().String()
	for _, tc := range []struct {
		query     string
		op        core.Opcode
		size, cnt int
	}{
		{"size=3000&count=5", core.OpBinary, 3000, 5},
		{"size=10&count=3&type=text", core.OpText, 10, 3},
		{"size=0&count=2", core.OpBinary, 0, 2},
		{"count=1", core.OpBinary, firmware.DefaultSourceSize, 1},
	} {
		c := dialWS(t, addr, "/ws/source?"+tc.query, 8192)
		want := make([]byte, tc.size)
		for i := range want {
			want[i] = byte('a' + i%26)
		}
		for i := 0; i < tc.cnt; i++ {
			c.expectMessage(tc.op, want)
		}
		ev, err := c.next()
		if err != nil || ev.Kind != core.EventClose || ev.Code != core.CloseNormal {
			t.Fatalf("%s: after the messages: %s, %v", tc.query, describe(ev), err)
		}
		c.write(frame(true, 0, core.OpClose, closePayload(1000, "")))
		c.expectEOF()
	}
}

func TestSinkEndpoint(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxMessage: 8192})
	c := dialWS(t, srv.Addr().String(), "/ws/sink", 8192)
	for i := 0; i < 20; i++ {
		c.write(frame(true, 0, core.OpBinary, payload(5000, false)))
	}
	// Nothing comes back but the pong.
	c.write(frame(true, 0, core.OpPing, []byte("sink")))
	c.expectPong([]byte("sink"))
	c.closeNormally()
	if st := srv.Stats(); st.MsgsIn != 20 || st.MsgsOut != 0 {
		t.Errorf("sink: %d in, %d out; want 20 and 0", st.MsgsIn, st.MsgsOut)
	}
}

func TestBroadcastEndpoint(t *testing.T) {
	srv := startBoard(t, firmware.Config{Slots: 8, RxBuf: 1024, TxBuf: 4096, MaxMessage: 2048})
	addr := srv.Addr().String()
	cs := make([]*wsClient, 3)
	for i := range cs {
		cs[i] = dialWS(t, addr, "/ws/broadcast", 4096)
	}
	// Every message reaches every client, the sender included, whole even
	// when it was sent in fragments and another client sent meanwhile.
	a := payload(1500, false)
	b := []byte("from client 1")
	fa := fragments(core.OpBinary, a, 400)
	cs[0].write(join(fa[:2]...))
	cs[1].write(frame(true, 0, core.OpText, b))
	cs[0].write(join(fa[2:]...))
	for i, c := range cs {
		got := map[string]bool{}
		for k := 0; k < 2; k++ {
			ev, err := c.next()
			if err != nil || ev.Kind != core.EventMessage {
				t.Fatalf("client %d: %s, %v", i, describe(ev), err)
			}
			switch {
			case ev.Op == core.OpBinary && bytes.Equal(ev.Payload, a):
				got["a"] = true
			case ev.Op == core.OpText && bytes.Equal(ev.Payload, b):
				got["b"] = true
			default:
				t.Fatalf("client %d: %s", i, describe(ev))
			}
		}
		if len(got) != 2 {
			t.Fatalf("client %d got %v", i, got)
		}
	}
	for i, c := range cs {
		m := []byte("round two " + strconv.Itoa(i))
		c.write(frame(true, 0, core.OpText, m))
		for _, d := range cs {
			d.expectMessage(core.OpText, m)
		}
	}
	for _, c := range cs {
		c.closeNormally()
	}
}
