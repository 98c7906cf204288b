// Package deadlines is an indexed min-heap of per-item deadlines, for event
// loops that move a timer on every event: item i has at most one entry, so
// Set is O(log n) and nothing allocates after New.
package deadlines

// Heap holds a deadline (a time in any monotonic unit; 0 means none) for
// each of its items.
type Heap struct {
	at   []int64 // deadline per item (0: none)
	heap []int32 // items ordered by at
	pos  []int32 // index of item in heap, -1 if absent
}

// New returns a heap for items 0..n-1, all without a deadline.
func New(n int) *Heap {
	d := &Heap{at: make([]int64, n), heap: make([]int32, 0, n), pos: make([]int32, n)}
	for i := range d.pos {
		d.pos[i] = -1
	}
	return d
}

// Set moves item i's deadline to t (0 removes it).
func (d *Heap) Set(i int, t int64) {
	p := d.pos[i]
	if t == 0 {
		if p >= 0 {
			d.remove(int(p))
		}
		d.at[i] = 0
		return
	}
	if p < 0 {
		d.at[i] = t
		d.heap = append(d.heap, int32(i))
		d.pos[i] = int32(len(d.heap) - 1)
		d.up(len(d.heap) - 1)
		return
	}
	old := d.at[i]
	d.at[i] = t
	if t < old {
		d.up(int(p))
	} else if t > old {
		d.down(int(p))
	}
}

// Min returns the item with the earliest deadline, or -1.
func (d *Heap) Min() (int, int64) {
	if len(d.heap) == 0 {
		return -1, 0
	}
	i := d.heap[0]
	return int(i), d.at[i]
}

func (d *Heap) remove(p int) {
	last := len(d.heap) - 1
	i := d.heap[p]
	d.swap(p, last)
	d.heap = d.heap[:last]
	d.pos[i] = -1
	if p < last {
		d.down(p)
		d.up(p)
	}
}

func (d *Heap) less(a, b int) bool { return d.at[d.heap[a]] < d.at[d.heap[b]] }

func (d *Heap) swap(a, b int) {
	d.heap[a], d.heap[b] = d.heap[b], d.heap[a]
	d.pos[d.heap[a]] = int32(a)
	d.pos[d.heap[b]] = int32(b)
}

func (d *Heap) up(j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !d.less(j, p) {
			return
		}
		d.swap(j, p)
		j = p
	}
}

func (d *Heap) down(j int) {
	n := len(d.heap)
	for {
		l := 2*j + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && d.less(r, l) {
			m = r
		}
		if !d.less(m, j) {
			return
		}
		d.swap(j, m)
		j = m
	}
}

// At returns item i's deadline (0: none).
func (d *Heap) At(i int) int64 { return d.at[i] }
