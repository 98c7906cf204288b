package firmware

import "github.com/wslab/wslab/core"

// The echo queue of a QueueLen board, held the way AsyncWebSocket holds
// it: each client's messages wait on the heap, apart from the TCP send
// buffer (tx), until they are sent; at most QueueLen messages per client
// are outstanding (waiting on the heap or in tx, not yet on the wire) and a
// new message beyond that, or one the heap has no room for, is dropped.
//
// The heap is a pool of fixed-size chunks shared by every slot, allocated
// once by NewBoard (Footprint.QueueHeap bytes). A slot's waiting bytes are
// a chain of chunks holding whole WebSocket frames, first in first out;
// frames move into tx whole, as tx drains, so a pong or a close reply the
// board appends to tx always lands between frames (AsyncWebSocket sends
// its control queue between a message's frames the same way). Each
// outstanding message is charged QueueMsgOverhead bytes of the heap too.

// queueChunk is the pool's chunk size.
const queueChunk = 256

// maxQueueFrame is the largest payload of a frame the queue holds: with
// its header and a control reply's reserve it fits an empty tx.
func (s *Slot) maxQueueFrame() int {
	return len(s.txb()) - ctrlReserve - core.MaxHeaderSize
}

// queueUsed is the heap the echo queues take now: chunks in use and the
// per-message overhead of every outstanding message.
func (b *Board) queueUsed() int {
	return (len(b.qLink)-len(b.qFree))*queueChunk + b.qMsgs*QueueMsgOverhead
}

// queueRoom is how many bytes s could append to its chain now: the rest of
// its last chunk and the free chunks the heap's budget still allows, less
// overhead bytes reserved by the caller.
func (s *Slot) queueRoom(overhead int) int {
	b := s.b
	left := b.fp.QueueHeap - b.queueUsed() - overhead
	if left < 0 {
		return 0
	}
	chunks := min(left/queueChunk, len(b.qFree))
	room := chunks * queueChunk
	if s.pN > 0 {
		room += queueChunk - int(s.pWr)
	}
	return room
}

// queuePayloadRoom is the payload that fits in room bytes once split into
// queue frames, each with a header of at most MaxHeaderSize.
func (s *Slot) queuePayloadRoom(room int) int {
	p := room - (room/s.maxQueueFrame()+1)*core.MaxHeaderSize
	return max(p, 0)
}

// queueNeed is the bytes a piece of n payload bytes takes in the queue.
func (s *Slot) queueNeed(n int) int {
	frames := n/s.maxQueueFrame() + 1
	return n + frames*core.MaxHeaderSize
}

// queueDirect reports whether a piece of n bytes may go straight to tx:
// nothing waits before it and tx has room for it and a control reply.
func (s *Slot) queueDirect(n int) bool {
	return s.pLen == 0 && s.txFree() >= core.FrameSize(n, false)+ctrlReserve
}

// queueAdmits reports whether the heap takes a new message whose first
// piece has n bytes: its overhead, and its bytes unless they go to tx.
func (s *Slot) queueAdmits(n int) bool {
	if s.queueDirect(n) {
		return s.b.fp.QueueHeap-s.b.queueUsed() >= QueueMsgOverhead
	}
	return s.queueRoom(QueueMsgOverhead) >= s.queueNeed(n)
}

// queueFrames appends a piece of an echoed message to the slot's chain as
// frames tx can take whole; the caller checked the room.
func (s *Slot) queueFrames(fin bool, op core.Opcode, p []byte) {
	var hb [core.MaxHeaderSize]byte
	most := s.maxQueueFrame()
	for {
		k := min(len(p), most)
		last := k == len(p)
		h := core.AppendHeader(hb[:0], core.Header{Fin: fin && last, Op: op, Length: k})
		s.queuePut(h)
		s.queuePut(p[:k])
		p = p[k:]
		op = core.OpContinuation
		if last {
			return
		}
	}
}

// queuePut appends p to the slot's chain, taking chunks from the pool.
func (s *Slot) queuePut(p []byte) {
	b := s.b
	for len(p) > 0 {
		if s.pN == 0 || int(s.pWr) == queueChunk {
			c := b.qFree[len(b.qFree)-1]
			b.qFree = b.qFree[:len(b.qFree)-1]
			b.qLink[c] = -1
			if s.pN == 0 {
				s.pHead, s.pRd = c, 0
			} else {
				b.qLink[s.pTail] = c
			}
			s.pTail, s.pWr = c, 0
			s.pN++
		}
		o := int(s.pTail)*queueChunk + int(s.pWr)
		n := copy(b.qPool[o:o+queueChunk-int(s.pWr)], p)
		s.pWr += int32(n)
		s.pLen += int32(n)
		p = p[n:]
	}
}

// queuePeek copies the first bytes of the chain into dst without taking
// them and returns how many it copied.
func (s *Slot) queuePeek(dst []byte) int {
	b := s.b
	c, off, n := s.pHead, int(s.pRd), 0
	for n < len(dst) && n < int(s.pLen) {
		end := queueChunk
		if c == s.pTail {
			end = int(s.pWr)
		}
		o := int(c) * queueChunk
		n += copy(dst[n:], b.qPool[o+off:o+end])
		c, off = b.qLink[c], 0
	}
	return min(n, int(s.pLen))
}

// queueTake moves the first len(dst) bytes of the chain into dst and
// returns the chunks emptied to the pool.
func (s *Slot) queueTake(dst []byte) {
	b := s.b
	for len(dst) > 0 {
		end := queueChunk
		if s.pHead == s.pTail {
			end = int(s.pWr)
		}
		o := int(s.pHead) * queueChunk
		n := copy(dst, b.qPool[o+int(s.pRd):o+end])
		dst = dst[n:]
		s.pRd += int32(n)
		s.pLen -= int32(n)
		if int(s.pRd) == end && (s.pHead != s.pTail || s.pLen == 0) {
			s.queuePopChunk()
		}
	}
}

func (s *Slot) queuePopChunk() {
	b := s.b
	c := s.pHead
	s.pHead, s.pRd = b.qLink[c], 0
	b.qFree = append(b.qFree, c)
	s.pN--
}

// queuePump moves whole waiting frames into tx while it has room for one
// and a control reply; a message whose last frame moved is then counted
// by its end in tx until Sent passes it.
func (s *Slot) queuePump() {
	for s.pLen > 0 && !s.closeSent {
		var hb [core.MaxHeaderSize]byte
		h, hn, err := core.ParseHeader(hb[:s.queuePeek(hb[:])])
		if err != nil {
			return // not reached: the queue holds only frames it wrote
		}
		size := hn + h.Length
		if s.txFree() < size+ctrlReserve {
			return
		}
		s.queueTake(s.txb()[s.te : s.te+size])
		s.te += size
		if h.Fin {
			s.queueSent()
		}
	}
}

// queueSent notes that the oldest waiting message is now whole in tx.
func (s *Slot) queueSent() {
	inTx := s.qN - s.qWait
	q := s.qRing()
	q[int(s.qHead+inTx)%len(q)] = s.TxAppended()
	s.qWait--
}

// queueRelease returns the slot's chunks and outstanding messages to the
// board when its connection ends.
func (s *Slot) queueRelease() {
	for s.pN > 0 {
		s.queuePopChunk()
	}
	s.pLen, s.pWr = 0, 0
	s.b.qMsgs -= int(s.qN)
	s.qN, s.qWait, s.qHead = 0, 0, 0
}
