package results

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry used by NewHistogram: 1 µs to 1 hour at 3 significant
// digits. Histograms made with the same geometry merge exactly.
const (
	histogramLowest  = 1                  // µs
	HistogramHighest = 3600 * 1000 * 1000 // µs (1 hour)
	histogramDigits  = 3                  // significant decimal digits
)

// Histogram names a Run uses. Other names are allowed; these are the ones the
// plots and summaries look for.
const (
	// HistLatency is the latency from the intended send time (corrected for
	// coordinated omission): what a user of the board would see.
	HistLatency = "latency"
	// HistService is the latency from the actual send time.
	HistService = "service"
	// HistHandshake is the time to open a connection (TCP + upgrade).
	HistHandshake = "handshake"
	// HistArrivalGap is the time between two messages the board sent on
	// one connection, as they arrived (a download): its spread says how
	// steady the board's delivery was, so how far a short run's rate can
	// be off its long-run one (a rate's relative standard error is about
	// the gaps' CV over the square root of their count).
	HistArrivalGap = "arrival_gap"
)

// Histogram is an HDR histogram of microsecond values. It embeds the
// hdrhistogram-go histogram, so RecordValue, ValueAtQuantile (which takes a
// percentile 0-100) and friends are available directly.
//
// In JSON it is an object with a few human-readable figures (count, min, max,
// mean, p50, p90, p99, p999, informational only) and "hdr": the histogram in
// HdrHistogram's V2 compressed base64 form, which other HdrHistogram tools
// read too. Only "hdr" is trusted on reading; a count that disagrees with it
// marks the record as corrupted.
type Histogram struct {
	*hdrhistogram.Histogram
}

// NewHistogram returns an empty histogram with the package geometry
// (histogramLowest, HistogramHighest, histogramDigits).
func NewHistogram() *Histogram {
	return &Histogram{hdrhistogram.New(histogramLowest, HistogramHighest, histogramDigits)}
}

// Record adds one value in microseconds. Values outside the trackable range
// are clamped to it, so nothing is dropped silently: a latency beyond one hour
// is recorded as one hour.
func (h *Histogram) Record(us int64) {
	if us < 0 {
		us = 0
	}
	if hi := h.HighestTrackableValue(); us > hi {
		us = hi
	}
	_ = h.RecordValue(us) // cannot fail inside the range
}

// Quantile returns the value at quantile q (0 to 1) in microseconds, or 0
// for an empty histogram.
func (h *Histogram) Quantile(q float64) int64 {
	if h == nil || h.Histogram == nil {
		return 0
	}
	return h.ValueAtQuantile(q * 100)
}

// Count is the number of recorded values; 0 for a nil histogram.
func (h *Histogram) Count() int64 {
	if h == nil || h.Histogram == nil {
		return 0
	}
	return h.TotalCount()
}

// Add merges o into h. The result is exact when both share a geometry (all
// histograms from NewHistogram do). It fails if any value of o lies outside
// h's range.
func (h *Histogram) Add(o *Histogram) error {
	if o == nil || o.Histogram == nil {
		return nil
	}
	if dropped := h.Histogram.Merge(o.Histogram); dropped != 0 {
		return fmt.Errorf("histogram merge dropped %d values outside [%d, %d] µs",
			dropped, h.LowestTrackableValue(), h.HighestTrackableValue())
	}
	return nil
}

// clone returns an independent copy of h.
func (h *Histogram) clone() *Histogram {
	if h == nil || h.Histogram == nil {
		return nil
	}
	return &Histogram{h.Histogram.Clone()}
}

type histJSON struct {
	Unit  string  `json:"unit"`
	Count int64   `json:"count"`
	Min   int64   `json:"min"`
	Max   int64   `json:"max"`
	Mean  float64 `json:"mean"`
	P50   int64   `json:"p50"`
	P90   int64   `json:"p90"`
	P99   int64   `json:"p99"`
	P999  int64   `json:"p999"`
	HDR   string  `json:"hdr"`
}

// MarshalJSON writes the summary figures and the compressed histogram.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	if h == nil || h.Histogram == nil {
		return []byte("null"), nil
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	return json.Marshal(histJSON{
		Unit:  "us",
		Count: h.TotalCount(),
		Min:   h.Min(),
		Max:   h.Max(),
		Mean:  h.Mean(),
		P50:   h.Quantile(0.50),
		P90:   h.Quantile(0.90),
		P99:   h.Quantile(0.99),
		P999:  h.Quantile(0.999),
		HDR:   string(enc),
	})
}

// UnmarshalJSON decodes "hdr" and checks it against "count" and "unit".
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Unit != "us" {
		return fmt.Errorf("histogram unit %q, want \"us\"", j.Unit)
	}
	if err := checkGeometry(j.HDR); err != nil {
		return err
	}
	d, err := hdrhistogram.Decode([]byte(j.HDR))
	if err != nil {
		return fmt.Errorf("decode histogram: %w", err)
	}
	if d.TotalCount() != j.Count {
		return fmt.Errorf("histogram holds %d values but says count %d", d.TotalCount(), j.Count)
	}
	h.Histogram = d
	return nil
}

// checkGeometry reads the geometry from an encoded histogram's header and
// refuses one wider than the package's, before decoding would allocate its
// counts: a few bytes of a hostile file could otherwise ask for gigabytes.
func checkGeometry(enc string) error {
	// The V2 compressed form: cookie and length (8 bytes), then a zlib
	// stream that starts with a 40-byte header: cookie, payload length,
	// normalizing offset, significant digits (int32 each), lowest and
	// highest trackable value (int64 each), a conversion ratio.
	n := base64.StdEncoding.DecodedLen(len(enc))
	if n > maxFileSize {
		return fmt.Errorf("histogram of %d bytes", n)
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw) < 8 {
		return fmt.Errorf("decode histogram: not a V2 compressed histogram")
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8:]))
	if err != nil {
		return fmt.Errorf("decode histogram: %w", err)
	}
	defer z.Close()
	var h [40]byte
	if _, err := io.ReadFull(z, h[:]); err != nil {
		return fmt.Errorf("decode histogram: header: %w", err)
	}
	digits := int32(binary.BigEndian.Uint32(h[12:]))
	lo := int64(binary.BigEndian.Uint64(h[16:]))
	hi := int64(binary.BigEndian.Uint64(h[24:]))
	if digits < 1 || digits > histogramDigits || lo < 1 || hi > HistogramHighest || hi < 2*lo {
		return fmt.Errorf("histogram geometry %d to %d µs at %d digits, wider than wslab's %d to %d µs at %d",
			lo, hi, digits, histogramLowest, HistogramHighest, histogramDigits)
	}
	return nil
}
