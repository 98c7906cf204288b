package results

import (
	"math"
	"strconv"
)

// Extra keys of a Board that a sweep of a foreign server (`wslab sweep
// --exec`) varies beside the buffers, as asked for: the server's CPU cap
// as a share of one core ("0.04", or "off"), its memory limit in bytes
// ("67108864", "off", or "model": its idle memory plus the model's heap
// budget) and, when the sweep varies it, the link's bandwidth in bit/s
// ("5000000"). A configuration with them is named by them (ConfigLabel)
// and Recommend prefers the smaller limits.
const (
	ExtraCPUQuota = "cpu_quota"
	ExtraMemLimit = "mem_limit"
	ExtraLinkBps  = "link_bps"
)

// ConfigLabel names a board configuration the one way wslab names it: the
// model and every buffer it sets, in bytes exactly (a recommendation is
// typed back as flags), and a foreign server's limits when it has them, e.g.
// "esp32-idf (slots 7, rx 512 B, tx 4380 B)" or "esp32-idf+single (slots 7,
// rx 5760 B, tx 5760 B, cpu 4%, mem 64 MiB)". Runs of one label are runs of
// one configuration: diff groups by it, sweep's table, verdicts and report
// name by it, Recommend's configurations are its groups. Zero figures (not
// set) are left out; with none set it is the model alone.
func ConfigLabel(b Board) string {
	s := b.Model
	sep := " ("
	add := func(part string) {
		s += sep + part
		sep = ", "
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"slots", b.Slots}, {"rx", b.RxBuf}, {"tx", b.TxBuf}} {
		if f.v != 0 {
			u := " B"
			if f.name == "slots" {
				u = ""
			}
			add(f.name + " " + strconv.Itoa(f.v) + u)
		}
	}
	if v, ok := b.Extra[ExtraCPUQuota]; ok {
		if x, ok := limit(b, ExtraCPUQuota); ok {
			v = strconv.FormatFloat(x*100, 'g', 4, 64) + "%"
		}
		add("cpu " + v)
	}
	if v, ok := b.Extra[ExtraMemLimit]; ok {
		if x, ok := limit(b, ExtraMemLimit); ok {
			v = FormatBytes(int64(x))
		}
		add("mem " + v)
	}
	if v, ok := b.Extra[ExtraLinkBps]; ok {
		if x, ok := limit(b, ExtraLinkBps); ok {
			v = strconv.FormatFloat(x/1e6, 'g', 4, 64) + " Mbit/s"
		}
		add("link " + v)
	}
	if sep == ", " {
		s += ")"
	}
	return s
}

// limit reads a limit of Extra (ExtraCPUQuota, ExtraMemLimit) that is a
// number.
func limit(b Board, key string) (float64, bool) {
	x, err := strconv.ParseFloat(b.Extra[key], 64)
	return x, err == nil && x > 0
}

// limitCost is a limit for ordering: none, "model" or unset is the most.
func limitCost(b Board, key string) float64 {
	if x, ok := limit(b, key); ok {
		return x
	}
	return math.Inf(1)
}
