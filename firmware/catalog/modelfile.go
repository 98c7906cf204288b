package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// ModelFileSchema is the schema version of a model file this package
// writes and reads.
const ModelFileSchema = 1

// ModelFile is a board model kept in a JSON file (`wslab calibrate`
// writes one from probes against a real board; `wslab board --model-file`
// starts it like a preset): the preset's figures, where each came from
// (Provenance, by figure name: "measured: probe X, n, spread" or "assumed
// from preset Y"), the probes' raw figures and the wslab version that
// wrote it.
type ModelFile struct {
	Schema      int       `json:"schema"`
	WSLab       string    `json:"wslab_version"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Target      string    `json:"target,omitempty"` // the board the probes measured
	Created     time.Time `json:"created,omitzero"`
	// Nearest is the preset the figures the probes could not see come from.
	Nearest string     `json:"nearest_preset,omitempty"`
	Board   ModelBoard `json:"board"`
	Link    host.Link  `json:"link"`
	CPU     host.CPU   `json:"cpu"`
	// Provenance says where each figure comes from, by name ("slots",
	// "fail", "max_message", "rtt", "link_bps", "rx", "cpu_message", ...,
	// and a preset's Sources keys).
	Provenance map[string]string `json:"provenance"`
	// Probes holds the probes' raw figures as the calibrator measured them.
	Probes json.RawMessage `json:"probes,omitempty"`
}

// ModelBoard is the board-side configuration in a model file: the fields
// of firmware.Config, with the fail mode by name and durations in ns.
type ModelBoard struct {
	Slots         int    `json:"slots"`
	RxBuf         int    `json:"rx"`
	TxBuf         int    `json:"tx"`
	MaxMessage    int    `json:"max_message"`
	MaxUpload     int    `json:"max_upload,omitempty"`
	HeapBudget    int    `json:"heap_budget,omitempty"`
	FailMode      string `json:"fail"`
	Backlog       int    `json:"backlog,omitempty"`
	LRUPurge      bool   `json:"lru_purge,omitempty"`
	ConnCost      int    `json:"conn_cost,omitempty"`
	QueueLen      int    `json:"queue,omitempty"`
	HeaderTimeout int64  `json:"header_timeout_ns,omitempty"`
	IdleTimeout   int64  `json:"idle_timeout_ns,omitempty"`
	PingInterval  int64  `json:"ping_interval_ns,omitempty"`
	PongTimeout   int64  `json:"pong_timeout_ns,omitempty"`
}

// Config returns the model file's board configuration.
func (b ModelBoard) Config(name string) (firmware.Config, error) {
	fm, ok := firmware.ParseFailMode(b.FailMode)
	if !ok {
		return firmware.Config{}, fmt.Errorf("fail mode %q: want %s", b.FailMode, firmware.FailModeNames)
	}
	return firmware.Config{Model: name, Slots: b.Slots, RxBuf: b.RxBuf, TxBuf: b.TxBuf, MaxMessage: b.MaxMessage,
		MaxUpload: b.MaxUpload, HeapBudget: b.HeapBudget, FailMode: fm, Backlog: b.Backlog, LRUPurge: b.LRUPurge,
		ConnCost: b.ConnCost, QueueLen: b.QueueLen, HeaderTimeout: b.HeaderTimeout, IdleTimeout: b.IdleTimeout,
		PingInterval: b.PingInterval, PongTimeout: b.PongTimeout}, nil
}

// ModelBoardOf is c as a model file holds it.
func ModelBoardOf(c firmware.Config) ModelBoard {
	return ModelBoard{Slots: c.Slots, RxBuf: c.RxBuf, TxBuf: c.TxBuf, MaxMessage: c.MaxMessage, MaxUpload: c.MaxUpload,
		HeapBudget: c.HeapBudget, FailMode: c.FailMode.String(), Backlog: c.Backlog, LRUPurge: c.LRUPurge,
		ConnCost: c.ConnCost, QueueLen: c.QueueLen, HeaderTimeout: c.HeaderTimeout, IdleTimeout: c.IdleTimeout,
		PingInterval: c.PingInterval, PongTimeout: c.PongTimeout}
}

// Preset returns the model as a preset: its Sources are the provenance.
func (m *ModelFile) Preset() (Preset, error) {
	if m.Schema != ModelFileSchema {
		return Preset{}, fmt.Errorf("model file schema %d, this wslab reads %d", m.Schema, ModelFileSchema)
	}
	if m.Name == "" {
		return Preset{}, fmt.Errorf("model file has no name")
	}
	cfg, err := m.Board.Config(m.Name)
	if err != nil {
		return Preset{}, err
	}
	if err := cfg.Check(); err != nil {
		return Preset{}, fmt.Errorf("model %s: %w", m.Name, err)
	}
	if m.Link.Bps < 0 || m.Link.RTT < 0 || m.Link.Airtime < 0 {
		return Preset{}, fmt.Errorf("model %s: negative link figure", m.Name)
	}
	p := Preset{Name: m.Name, Description: m.Description, Board: cfg, Link: m.Link, CPU: m.CPU,
		Sources: make(map[string]string, len(m.Provenance))}
	if p.Description == "" {
		p.Description = "model file"
		if m.Target != "" {
			p.Description = "calibrated against " + m.Target
		}
	}
	for k, v := range m.Provenance {
		p.Sources[k] = v
	}
	return p, nil
}

// NewModelFile returns p as a model file, every figure's provenance
// "preset NAME: SOURCE" unless prov says otherwise.
func NewModelFile(p Preset, prov map[string]string) *ModelFile {
	m := &ModelFile{Schema: ModelFileSchema, WSLab: Version(), Name: p.Name, Description: p.Description,
		Board: ModelBoardOf(p.Board), Link: p.Link, CPU: p.CPU, Provenance: map[string]string{}}
	for k, v := range p.Sources {
		m.Provenance[k] = "preset " + p.Name + ": " + v
	}
	for k, v := range prov {
		m.Provenance[k] = v
	}
	return m
}

// ReadModelFile reads and checks a model file.
func ReadModelFile(path string) (*ModelFile, Preset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, Preset{}, err
	}
	var m ModelFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, Preset{}, fmt.Errorf("model file %s: %w", path, err)
	}
	p, err := m.Preset()
	if err != nil {
		return nil, Preset{}, fmt.Errorf("model file %s: %w", path, err)
	}
	return &m, p, nil
}

// LoadModelFile returns the preset a model file describes.
func LoadModelFile(path string) (Preset, error) {
	_, p, err := ReadModelFile(path)
	return p, err
}

// WriteModelFile writes m to path (atomically: a temporary file renamed).
func WriteModelFile(path string, m *ModelFile) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*.json")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Version is this wslab's version: the module version and VCS revision
// from the build information, or "devel".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := bi.Main.Version
	if v == "" {
		v = "devel"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" {
		v += " " + rev[:min(12, len(rev))] + dirty
	}
	return strings.TrimSpace(v)
}

// loaded are the model files AddModelFile registered: Get, and so
// Resolve, know them by name beside the catalog's presets.
var (
	loadedMu sync.Mutex
	loaded   []Preset
)

// AddModelFile reads the model file at path and registers it under its
// name, so that everything that takes a catalog model by name (the lab,
// sweep and compare, which hand their child boards the resolved board)
// runs it. A name a preset already has is refused, so that a twin never
// shadows the preset it was calibrated against; the same file added twice
// is fine, another file under a name already added is not.
func AddModelFile(path string) (Preset, error) {
	p, err := LoadModelFile(path)
	if err != nil {
		return Preset{}, err
	}
	for _, q := range presets {
		if strings.EqualFold(q.Name, p.Name) {
			return Preset{}, fmt.Errorf("model file %s: its name %q is a catalog preset's; rename the model (its \"name\" field)", path, p.Name)
		}
	}
	loadedMu.Lock()
	defer loadedMu.Unlock()
	for i, q := range loaded {
		if strings.EqualFold(q.Name, p.Name) {
			a, _ := json.Marshal(q)
			b, _ := json.Marshal(p)
			if !bytes.Equal(a, b) {
				return Preset{}, fmt.Errorf("model file %s: a different model called %q is already loaded", path, p.Name)
			}
			loaded[i] = p
			return p.clone(), nil
		}
	}
	loaded = append(loaded, p)
	return p.clone(), nil
}

// getLoaded returns the model file registered under name, if any.
func getLoaded(name string) (Preset, bool) {
	loadedMu.Lock()
	defer loadedMu.Unlock()
	for _, p := range loaded {
		if strings.EqualFold(p.Name, name) {
			return p.clone(), true
		}
	}
	return Preset{}, false
}
