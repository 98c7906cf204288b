// Package foreign runs a server wslab did not write (a C server on
// libwebsockets or CivetWeb, MicroPython's unix port, ESP-IDF's linux
// target, ...) under a board model's limits: the command runs in cgroup v1
// groups that cap its CPU at the board's speed and its memory at the
// board's budget, and clients reach it through a relay that applies the
// board's link with the emulated board's own model (host.Shaper: shared
// bandwidth, added round trip, WiFi tails, airtime, the receive window) and
// board-sized socket buffers. The relay answers GET /stats itself with the
// process's figures in the shape of a wslab board's /stats (memory from the
// group, its CPU time as the board's CPU busy time against the quota), so
// the load generator samples a foreign server as it samples an emulated
// board.
package foreign

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// CgroupRoot is where the cgroup v1 hierarchies are mounted.
var CgroupRoot = "/sys/fs/cgroup"

// Cgroup is one process's group in the cpu, cpuacct and memory
// hierarchies of cgroup v1.
type Cgroup struct {
	name string
	dirs map[string]string // controller -> directory
}

var cgroupSeq atomic.Int64

// NewCgroup creates a fresh group named after this process in the cpu,
// cpuacct and memory hierarchies. It needs root and cgroup v1.
func NewCgroup() (*Cgroup, error) {
	name := fmt.Sprintf("wslab-foreign-%d-%d", os.Getpid(), cgroupSeq.Add(1))
	g := &Cgroup{name: name, dirs: map[string]string{}}
	for _, c := range []string{"cpu", "cpuacct", "memory"} {
		root := filepath.Join(CgroupRoot, c)
		if _, err := os.Stat(filepath.Join(root, "tasks")); err != nil {
			g.Close()
			return nil, fmt.Errorf("cgroup v1 %s controller not mounted at %s (need root and cgroup v1): %w", c, root, err)
		}
		d := filepath.Join(root, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			g.Close()
			return nil, fmt.Errorf("cgroup: %w", err)
		}
		g.dirs[c] = d
	}
	return g, nil
}

// Name is the group's name in every hierarchy.
func (g *Cgroup) Name() string { return g.name }

func (g *Cgroup) write(ctl, file, v string) error {
	d, ok := g.dirs[ctl]
	if !ok {
		return fmt.Errorf("cgroup: no %s group", ctl)
	}
	if err := os.WriteFile(filepath.Join(d, file), []byte(v), 0); err != nil {
		return fmt.Errorf("cgroup %s/%s = %s: %w", ctl, file, v, err)
	}
	return nil
}

func (g *Cgroup) readInt(ctl, file string) (int64, error) {
	d, ok := g.dirs[ctl]
	if !ok {
		return 0, fmt.Errorf("cgroup: no %s group", ctl)
	}
	b, err := os.ReadFile(filepath.Join(d, file))
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// readKeyed returns the value of key in a "key value" per line file.
func (g *Cgroup) readKeyed(ctl, file, key string) (int64, error) {
	d, ok := g.dirs[ctl]
	if !ok {
		return 0, fmt.Errorf("cgroup: no %s group", ctl)
	}
	b, err := os.ReadFile(filepath.Join(d, file))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("cgroup %s/%s: no %s", ctl, file, key)
}

// Add moves process pid (all its threads) into the group.
func (g *Cgroup) Add(pid int) error {
	for _, c := range []string{"cpu", "cpuacct", "memory"} {
		if err := g.write(c, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

// QuotaPeriod returns the CFS period and quota in microseconds for a share
// of one CPU: the period is about 1 ms to keep the quota smooth, longer when
// the quota would fall under the kernel's 1 ms minimum (a 10% share gets a
// 10 ms period).
func QuotaPeriod(share float64) (period, quota int64) {
	period = 1000
	if share < 1 {
		period = int64(1000/share + 0.5)
	}
	quota = int64(share*float64(period) + 0.5)
	if quota < 1000 {
		quota = 1000
	}
	return period, quota
}

// SetCPU caps the group at share of one CPU (0.25 is a quarter); share <= 0
// removes the cap.
func (g *Cgroup) SetCPU(share float64) error {
	if share <= 0 {
		return g.write("cpu", "cpu.cfs_quota_us", "-1")
	}
	period, quota := QuotaPeriod(share)
	// Lower the quota first: a period under the current quota is refused.
	if err := g.write("cpu", "cpu.cfs_quota_us", "-1"); err != nil {
		return err
	}
	if err := g.write("cpu", "cpu.cfs_period_us", strconv.FormatInt(period, 10)); err != nil {
		return err
	}
	return g.write("cpu", "cpu.cfs_quota_us", strconv.FormatInt(quota, 10))
}

// SetMemory limits the group's memory to limit bytes, swap included where
// the kernel accounts it, so going over is an OOM kill and not a slow swap.
func (g *Cgroup) SetMemory(limit int64) error {
	_ = g.write("memory", "memory.swappiness", "0")
	if err := g.write("memory", "memory.limit_in_bytes", strconv.FormatInt(limit, 10)); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(g.dirs["memory"], "memory.memsw.limit_in_bytes")); err == nil {
		_ = g.write("memory", "memory.memsw.limit_in_bytes", strconv.FormatInt(limit, 10))
	}
	return nil
}

// MemoryUsage is the group's charged memory in bytes (what the limit is
// checked against).
func (g *Cgroup) MemoryUsage() (int64, error) { return g.readInt("memory", "memory.usage_in_bytes") }

// MemoryPeak is the highest MemoryUsage seen.
func (g *Cgroup) MemoryPeak() (int64, error) { return g.readInt("memory", "memory.max_usage_in_bytes") }

// RSS is the group's resident anonymous and mapped-file memory, as
// memory.stat counts it.
func (g *Cgroup) RSS() (int64, error) {
	rss, err := g.readKeyed("memory", "memory.stat", "rss")
	if err != nil {
		return 0, err
	}
	mapped, _ := g.readKeyed("memory", "memory.stat", "mapped_file")
	return rss + mapped, nil
}

// UnchargedFile is how much of the file memory the group's processes map
// (RssFile, summed) is charged to another group: a page is charged to the
// group of the process that first read it, so a library already in the
// page cache stays charged to whoever read it, and comes to this group
// only when it is read again after reclaim.
func (g *Cgroup) UnchargedFile() (int64, error) {
	b, err := os.ReadFile(filepath.Join(g.dirs["memory"], "cgroup.procs"))
	if err != nil {
		return 0, err
	}
	var file int64
	for _, f := range strings.Fields(string(b)) {
		st, err := os.ReadFile(filepath.Join("/proc", f, "status"))
		if err != nil {
			continue // ended since
		}
		for _, line := range strings.Split(string(st), "\n") {
			if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
					file += kb * 1024
				}
			}
		}
	}
	mapped, err := g.readKeyed("memory", "memory.stat", "mapped_file")
	if err != nil {
		return 0, err
	}
	return max(0, file-mapped), nil
}

// OOMKills is the number of processes of the group the kernel killed for
// memory (memory.oom_control's oom_kill; older kernels lack it, and then
// the limit's failcnt stands in).
func (g *Cgroup) OOMKills() int64 {
	if n, err := g.readKeyed("memory", "memory.oom_control", "oom_kill"); err == nil {
		return n
	}
	n, _ := g.readInt("memory", "memory.failcnt")
	return n
}

// CPUUsage is the group's CPU time in nanoseconds (cpuacct.usage).
func (g *Cgroup) CPUUsage() (int64, error) { return g.readInt("cpuacct", "cpuacct.usage") }

// Throttled is how many CFS periods the group was throttled in, and for
// how long in all (nanoseconds).
func (g *Cgroup) Throttled() (periods, ns int64) {
	periods, _ = g.readKeyed("cpu", "cpu.stat", "nr_throttled")
	ns, _ = g.readKeyed("cpu", "cpu.stat", "throttled_time")
	return periods, ns
}

// Close kills any process left in the group and removes it from every
// hierarchy. A group that could not be removed (a process joined it
// meanwhile) stays, for Close to try again.
func (g *Cgroup) Close() error {
	var errs []error
	for _, c := range []string{"memory", "cpu", "cpuacct"} {
		d, ok := g.dirs[c]
		if !ok {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, "cgroup.procs")); err == nil {
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					if p, err := os.FindProcess(pid); err == nil {
						_ = p.Kill()
					}
				}
			}
		}
		if err := removeGroup(d); err != nil {
			errs = append(errs, err)
			continue // kept: Close again once its processes are gone
		}
		delete(g.dirs, c)
	}
	return errors.Join(errs...)
}

// removeGroup removes a group's directory, waiting up to two seconds for
// killed processes to leave it.
func removeGroup(d string) error {
	var err error
	for i := 0; i < 100; i++ {
		if err = os.Remove(d); err == nil || os.IsNotExist(err) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("cgroup: remove %s: %w", d, err)
}
