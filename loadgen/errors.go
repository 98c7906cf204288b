package loadgen

import (
	"bytes"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/wslab/wslab/results"
)

// errKind is an error the engine counts; its name is the Run.Errors key.
type errKind uint8

const (
	eRefused      errKind = iota // TCP connection refused (nothing listening, or a refusing stack)
	eTimeout                     // the kernel gave up on a connect (ETIMEDOUT), or an HTTP request timed out
	eReset                       // connection reset by the peer
	eEOF                         // an open connection closed without a close frame
	eHandshakeEOF                // closed before a handshake response (accept then close)
	eHandshakeBad                // malformed handshake response or wrong Sec-WebSocket-Accept
	eProtocol                    // the board sent frames that break RFC 6455
	eLost                        // a message sent but never answered before the drain deadline
	eDropped                     // a message the board never echoed (a gap in the sequence)
	eBacklog                     // an open-loop message not sent: the connection had too many in flight
	eMissed                      // a broadcast message a receiver never got
	eUnsent                      // an open-loop message not sent: no connection was open
	eUnexpected                  // a message that matches nothing sent
	eAddr                        // no local address/port left to connect from
	eUnreachable                 // network or host unreachable
	eCloseTimeout                // the closing handshake did not finish within CloseTimeout
	eDial                        // another connect error
	eHandshakeExt                // the 101 accepted an extension or subprotocol the client did not offer (RFC 6455 4.1)
	eHung                        // TCP connect completed, the handshake got no answer within DialTimeout (a board that stopped accepting: the newcomer waits in its backlog)
	eSynTimeout                  // TCP connect never completed within DialTimeout: the board dropped the SYN and its retransmissions
	eSynRetry                    // opened, but only after the board dropped its first SYN (the kernel retransmitted it)
	eEvicted                     // an open connection closed by the board with a close frame without a status (evict-oldest: AsyncWebSocket's cleanupClients)
	eTLSCert                     // wss: the board's certificate was not trusted (self-signed without --insecure or --ca, wrong name, expired)
	eTLS                         // wss: the TLS handshake failed otherwise (an alert, a protocol or version mismatch)
	nErrKinds
)

var errNames = [nErrKinds]string{
	"refused", "timeout", "reset", "eof", "handshake eof", "handshake bad", "protocol",
	"lost", "dropped", "backlog", "missed", "unsent", "unexpected", "no local address",
	"unreachable", "close timeout", "dial", "handshake extension",
	"hung", "syn timeout", "syn retry", "evicted", "tls certificate", "tls handshake",
}

// refusal reports whether a failed connection attempt of kind k was the
// board turning the client away (counted in Counts.ConnsRefused): nothing
// listening or a reset, accepted then closed, hung in the backlog, SYN
// dropped.
func refusal(k errKind) bool {
	switch k {
	case eRefused, eReset, eHandshakeEOF, eHung, eSynTimeout:
		return true
	}
	return false
}

// MessageErrors lists the Errors keys that count messages (not
// connections): for a message scenario, sent = received + the sum of these
// (broadcast: sent x receivers = received + missed).
var MessageErrors = []string{"lost", "dropped", "missed", "unexpected"}

// errCounts counts errors by kind without allocating for a kind already
// seen.
type errCounts struct {
	kinds  [nErrKinds]int64
	status map[int]int64 // handshake answered with this status
	closes map[int]int64 // connection closed by the board with this code
}

func (e *errCounts) add(k errKind, n int64) { e.kinds[k] += n }

func (e *errCounts) addStatus(status int) {
	if e.status == nil {
		e.status = map[int]int64{}
	}
	e.status[status]++
}

func (e *errCounts) addClose(code int) {
	if e.closes == nil {
		e.closes = map[int]int64{}
	}
	e.closes[code]++
}

// into adds the counts to m under their Run.Errors keys.
func (e *errCounts) into(m map[string]int64) {
	for k, n := range e.kinds {
		if n != 0 {
			m[errNames[k]] += n
		}
	}
	for s, n := range e.status {
		m[results.HandshakeStatus(s)] += n
	}
	for c, n := range e.closes {
		m[results.CloseCode(c)] += n
	}
}

func (e *errCounts) merge(o *errCounts) {
	for k, n := range o.kinds {
		e.kinds[k] += n
	}
	if len(o.status) > 0 && e.status == nil {
		e.status = map[int]int64{}
	}
	for s, n := range o.status {
		e.status[s] += n
	}
	if len(o.closes) > 0 && e.closes == nil {
		e.closes = map[int]int64{}
	}
	for c, n := range o.closes {
		e.closes[c] += n
	}
}

// dialKind classifies a connect error.
func dialKind(err error) errKind {
	switch err {
	case unix.ECONNREFUSED:
		return eRefused
	case unix.ETIMEDOUT:
		return eTimeout
	case unix.ECONNRESET:
		return eReset
	case unix.ENETUNREACH, unix.EHOSTUNREACH:
		return eUnreachable
	case unix.EADDRNOTAVAIL, unix.EADDRINUSE:
		return eAddr
	}
	return eDial
}

// ioKind classifies a read or write error on an open connection.
func ioKind(err error) errKind {
	if err == unix.ECONNRESET || err == unix.EPIPE {
		return eReset
	}
	return eDial
}

func errString(kind string, n int64) string { return kind + " (" + strconv.FormatInt(n, 10) + ")" }

// unoffered reports whether a 101 response head accepts what the client
// never offers: an extension (permessage-deflate, say) or a subprotocol.
// RFC 6455 section 4.1: the client must then fail the connection.
func unoffered(head []byte) bool {
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		name, _, ok := bytes.Cut(line, colon)
		if !ok {
			continue
		}
		name = bytes.TrimSpace(name)
		if bytes.EqualFold(name, hdrExtensions) || bytes.EqualFold(name, hdrProtocol) {
			return true
		}
	}
	return false
}

var (
	hdrExtensions = []byte("Sec-WebSocket-Extensions")
	hdrProtocol   = []byte("Sec-WebSocket-Protocol")
)
