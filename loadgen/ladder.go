//go:build linux

package loadgen

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wslab/wslab/core"
)

// Ladder: the echo of one message at each size where boards break — 1 B,
// 125/126/127 (the 7-bit length's edge), 535..537 (the ESP8266's MSS),
// 1433..1461 (the MSS of WiFi with and without options), 2 x MSS +-1, the
// board's rx and tx buffers +-1, its message cap and cap+1 (from /stats;
// 16383..16385 when unknown) — each sent as one write, with the frame
// header in a segment of its own, and split at each byte-boundary class
// (inside the header, just after it, mid-payload, before the last byte).
// The first size that fails, and how (close 1009/1011, reset, closed
// without a close frame, silence, a wrong echo, the board gone), is the
// answer. After a failure the ladder reconnects; it stops after two failing
// sizes or when the board takes no connection.

// ladderSplit is where a frame is cut into two writes (segments).
type ladderSplit uint8

const (
	splitNone     ladderSplit = iota // one write
	splitHeader                      // the header alone, then the payload
	splitInHeader                    // after the first header byte
	splitPayload1                    // the header and one payload byte
	splitMid                         // in the middle of the payload
	splitLast                        // before the last byte
	nSplits
)

var splitNames = [nSplits]string{"whole", "header apart", "split in the header", "split after 1 payload byte", "split mid-payload", "split before the last byte"}

// at returns the cut of a frame of n bytes with an h-byte header (0: none).
func (k ladderSplit) at(n, h int) int {
	switch k {
	case splitHeader:
		return h
	case splitInHeader:
		return 1
	case splitPayload1:
		return h + 1
	case splitMid:
		return h + (n-h)/2
	case splitLast:
		return n - 1
	}
	return 0
}

// ladderGap is the pause between the two parts of a split frame, so they
// leave as separate segments.
const ladderGap = 2 * time.Millisecond

// ladderSizes returns the sizes to try: mss is the client segment size,
// rx, tx and capn the board's figures (0: unknown). Powers of two +-1 up
// to the cap are rungs too, and with no known cap the ladder climbs to the
// 16-bit length's edge (65535/65536) and one past.
func ladderSizes(mss, rx, tx, capn int) []int {
	var s []int
	add := func(c, d int) {
		for v := c - d; v <= c+d; v++ {
			if v >= 1 {
				s = append(s, v)
			}
		}
	}
	s = append(s, 1)
	add(126, 1)
	add(536, 1)
	for v := 1433; v <= 1461; v++ {
		s = append(s, v)
	}
	if mss <= 0 {
		mss = DefaultMSS
	}
	add(2*mss, 1)
	if rx > 0 {
		add(rx, 1)
	}
	if tx > 0 {
		add(tx, 1)
	}
	for v := 4096; v <= 65536; v *= 2 {
		add(v, 1)
	}
	if capn <= 0 {
		capn = 65536
	}
	add(capn, 1)
	slices.Sort(s)
	s = slices.Compact(s)
	// Nothing far past the cap: cap+1 says what the board does there.
	return slices.DeleteFunc(s, func(v int) bool { return v > capn+1 })
}

// ladder is one ladder run: its connection and buffers.
type ladder struct {
	p       *probe
	c       *pconn
	top     int
	silence time.Duration
	payload []byte
	frame   []byte
	whole   time.Duration // the last whole frame's echo time (-1: none)
	rungs   []string      // for the plot: size:echo µs:ok or how it failed
}

// rung records size n's result for the plot.
func (l *ladder) rung(n int, how string) {
	us := int64(-1)
	if l.whole >= 0 {
		us = l.whole.Microseconds()
	}
	l.rungs = append(l.rungs, fmt.Sprintf("%d:%d:%s", n, us, cmp.Or(how, "ok")))
}

// try echoes a message of n bytes sent as split k; how is "" when the echo
// came back whole, gone when no new connection could be opened.
func (l *ladder) try(n int, k ladderSplit) (how string, gone bool) {
	p, s := l.p, l.p.s
	if l.c == nil {
		var err error
		p.r.Counts.ConnsAttempted++
		l.c, _, err = p.dialWS(p.t.path, nil, s.DialTimeout, l.top)
		if err != nil {
			p.fail(errKindOf(err))
			p.r.Counts.ConnsFailed++
			return "the board took no new connection after it (" + errKindOf(err) + ")", true
		}
		p.r.Counts.ConnsOpened++
	}
	c := l.c
	l.frame = core.AppendFrame(l.frame[:0], true, core.OpBinary, l.payload[:n], true, c.keys.NextMask())
	h := len(l.frame) - n
	cut := k.at(len(l.frame), h)
	if k != splitNone && (cut <= 0 || cut >= len(l.frame)) {
		return "", false // a 1-byte payload has no mid-payload cut
	}
	t0 := time.Now()
	err := ladderSend(c, l.frame, cut)
	var got []byte
	if err == nil {
		p.r.Counts.MsgsSent++
		p.r.Counts.BytesSent += int64(n)
		got, err = c.recv(l.silence)
	}
	if err == nil && !bytes.Equal(got, l.payload[:n]) {
		err = errors.New("unexpected")
	}
	if err == nil {
		p.r.Counts.MsgsReceived++
		p.r.Counts.BytesReceived += int64(n)
		if k == splitNone {
			l.whole = time.Since(t0)
		}
		return "", false
	}
	how = ladderHow(err)
	p.fail(ladderKind(err))
	if how != "a wrong echo" {
		c.abort()
		l.c = nil
	}
	return how, false
}

func runLadder(p *probe) (string, error) {
	s := p.s
	var rx, tx, capn int
	if p.have {
		rx, tx, capn = int(p.stats.Rx), int(p.stats.Tx), int(p.stats.MaxMessage)
	} else if b := p.r.Board; b.MaxMessage > 0 {
		rx, tx, capn = b.RxBuf, b.TxBuf, b.MaxMessage
	}
	sizes := ladderSizes(s.MSS, rx, tx, capn)
	l := &ladder{p: p, top: sizes[len(sizes)-1], silence: min(s.DrainTimeout, 2*time.Second)}
	p.r.Scenario.Conns, p.r.Scenario.Size = 1, l.top
	l.payload = make([]byte, l.top)
	for i := range l.payload {
		l.payload[i] = byte(i*7 + i>>8)
	}
	l.frame = make([]byte, 0, core.FrameSize(l.top, true))
	defer func() {
		if l.c != nil {
			l.c.closeWS()
		}
	}()
	var first, firstHow string
	firstSize, firstWhole := 0, false
	failedSizes := 0
	var log []string
	okTop := 0
rungs:
	for _, n := range sizes {
		if p.ctx.Err() != nil {
			break
		}
		res := "ok"
		l.whole = -1
		for k := range nSplits {
			how, gone := l.try(n, k)
			if how == "" {
				continue
			}
			res = splitNames[k] + ": " + how
			if first == "" {
				first, firstHow, firstSize, firstWhole = fmt.Sprintf("%d B", n), how, n, k == splitNone
				if k != splitNone {
					first += " (" + splitNames[k] + ")"
				}
			}
			if gone {
				log = append(log, fmt.Sprintf("%d: %s", n, res))
				l.rung(n, how)
				if p.r.Counts.ConnsOpened == 0 {
					return "", fmt.Errorf("no connection to %s opened: %s", s.Target, errorList(p.r.Errors))
				}
				break rungs
			}
			break
		}
		log = append(log, fmt.Sprintf("%d: %s", n, res))
		l.rung(n, strings.TrimPrefix(res, "ok"))
		if res == "ok" {
			if first == "" {
				okTop = n
			}
			continue
		}
		failedSizes++
		if failedSizes >= 2 {
			break
		}
	}
	// Between the last size echoed and the first that failed whole, the
	// exact first failing size by bisection (whole frames).
	if firstWhole && okTop > 0 && firstSize-okTop > 1 && p.ctx.Err() == nil {
		lo, hi, hiHow := okTop, firstSize, firstHow
		for hi-lo > 1 && p.ctx.Err() == nil {
			mid := lo + (hi-lo)/2
			l.whole = -1
			how, gone := l.try(mid, splitNone)
			l.rung(mid, how)
			if gone {
				break
			}
			if how == "" {
				lo = mid
			} else {
				hi, hiHow = mid, how
			}
		}
		log = append(log, fmt.Sprintf("bisection: %d ok, %d: %s", lo, hi, hiHow))
		if hi < firstSize {
			first, firstHow = fmt.Sprintf("%d B", hi), hiHow
		}
		okTop = lo
	}
	slices.SortStableFunc(l.rungs, func(a, b string) int { return cmp.Compare(rungSize(a), rungSize(b)) })
	p.param("rungs", strings.Join(l.rungs, "|"))
	if first != "" {
		p.param("first_failing", strings.TrimSuffix(strings.Fields(first)[0], " B"))
	}
	return p.ladderAnswer(first, firstHow, okTop, sizes, log), nil
}

func (p *probe) ladderAnswer(first, how string, okTop int, sizes []int, log []string) string {
	p.note("ladder (size: result): %s", strings.Join(log, "; "))
	if first == "" {
		return fmt.Sprintf("every size echoed, %d B to %d B, whole and split at every boundary class", sizes[0], sizes[len(sizes)-1])
	}
	a := fmt.Sprintf("first failing size %s: %s", first, how)
	if okTop > 0 {
		a += fmt.Sprintf(" (every size up to %d B echoed)", okTop)
	}
	return a
}

func rungSize(r string) int {
	n, _, _ := strings.Cut(r, ":")
	v, _ := strconv.Atoi(n)
	return v
}

// ladderSend writes frame, cut in two writes at cut (0: one write).
func ladderSend(c *pconn, frame []byte, cut int) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if cut > 0 {
		if _, err := c.nc.Write(frame[:cut]); err != nil {
			return err
		}
		time.Sleep(ladderGap)
		frame = frame[cut:]
	}
	_, err := c.nc.Write(frame)
	return err
}

// ladderHow says how an echo failed, for the answer.
func ladderHow(err error) string {
	switch k := ladderKind(err); k {
	case "timeout":
		return "silence (no echo, no close)"
	case "eof":
		return "closed without a close frame"
	case "reset":
		return "reset"
	case "unexpected":
		return "a wrong echo"
	default:
		return k
	}
}

func ladderKind(err error) string {
	if err.Error() == "unexpected" {
		return "unexpected"
	}
	return errKindOf(err)
}
