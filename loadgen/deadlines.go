package loadgen

// deadlines is an indexed min-heap of per-item deadlines (item i has at
// most one), so a deadline can move on every event in O(log n) without
// allocating.
type deadlines struct {
	at   []int64 // deadline per item (0: none)
	heap []int32 // items ordered by at
	pos  []int32 // index of item in heap, -1 if absent
}

func newDeadlines(n int) *deadlines {
	d := &deadlines{at: make([]int64, n), heap: make([]int32, 0, n), pos: make([]int32, n)}
	for i := range d.pos {
		d.pos[i] = -1
	}
	return d
}

// set moves item i's deadline to t (0 removes it).
func (d *deadlines) set(i int, t int64) {
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

// min returns the item with the earliest deadline, or -1.
func (d *deadlines) min() (int, int64) {
	if len(d.heap) == 0 {
		return -1, 0
	}
	i := d.heap[0]
	return int(i), d.at[i]
}

func (d *deadlines) remove(p int) {
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

func (d *deadlines) less(a, b int) bool { return d.at[d.heap[a]] < d.at[d.heap[b]] }

func (d *deadlines) swap(a, b int) {
	d.heap[a], d.heap[b] = d.heap[b], d.heap[a]
	d.pos[d.heap[a]] = int32(a)
	d.pos[d.heap[b]] = int32(b)
}

func (d *deadlines) up(j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !d.less(j, p) {
			return
		}
		d.swap(j, p)
		j = p
	}
}

func (d *deadlines) down(j int) {
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
