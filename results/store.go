package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultDir is the results folder used when none is given.
const DefaultDir = "wslab-results"

// maxFileSize is the largest record ReadFile accepts.
const maxFileSize = 512 << 20

// VersionError reports a record written with another schema version.
type VersionError struct {
	File            string
	Found, Expected int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("%s: schema version %d, this wslab reads version %d", e.File, e.Found, e.Expected)
}

// FileError is a file that could not be read as a Run.
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// Marshal encodes r as indented JSON with a trailing newline. It sets
// r.Schema to SchemaVersion when unset and refuses a record of another
// version or without an ID.
func Marshal(r *Run) ([]byte, error) {
	if r.Schema == 0 {
		r.Schema = SchemaVersion
	}
	if r.Schema != SchemaVersion {
		return nil, fmt.Errorf("run %s: schema version %d, this wslab writes version %d", r.ID, r.Schema, SchemaVersion)
	}
	if r.ID == "" {
		return nil, errors.New("run has no ID")
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", r.ID, err)
	}
	return append(b, '\n'), nil
}

// unmarshal decodes a record read from file (named in errors). It checks the
// schema version before anything else.
func unmarshal(file string, b []byte) (*Run, error) {
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, &FileError{file, fmt.Errorf("not a complete JSON record (truncated or corrupted?): %w", err)}
	}
	if head.Schema == nil {
		return nil, &FileError{file, errors.New("no schema version: not a wslab run record")}
	}
	if *head.Schema != SchemaVersion {
		return nil, &VersionError{File: file, Found: *head.Schema, Expected: SchemaVersion}
	}
	if err := checkShape(b); err != nil {
		return nil, &FileError{file, err}
	}
	r := new(Run)
	if err := json.Unmarshal(b, r); err != nil {
		return nil, &FileError{file, fmt.Errorf("corrupted record: %w", err)}
	}
	if r.ID == "" {
		return nil, &FileError{file, errors.New("record has no id")}
	}
	if m := r.Merged; m != nil {
		if m.Of < 0 || m.Of > maxShards || len(m.Shards) > maxShards || len(m.From) > maxShards {
			return nil, &FileError{file, fmt.Errorf("merged from %d shards of %d: at most %d", len(m.Shards), m.Of, maxShards)}
		}
	}
	return r, nil
}

// Bounds on what one record may hold, so a hostile or broken file costs a
// named error, not the machine's memory. The load generator writes at most
// 128 intervals of a few histograms each (loadgen.maxIntervals).
const (
	maxIntervals  = 1024
	maxHistograms = 4096 // in the whole record, intervals included
	maxHeap       = 1 << 20
)

// checkShape counts a record's intervals and histograms before they are
// decoded.
func checkShape(b []byte) error {
	var shape struct {
		Histograms map[string]json.RawMessage `json:"histograms"`
		Intervals  []struct {
			Histograms map[string]json.RawMessage `json:"histograms"`
		} `json:"intervals"`
		Heap []struct{} `json:"heap"`
	}
	if err := json.Unmarshal(b, &shape); err != nil {
		return fmt.Errorf("corrupted record: %w", err)
	}
	if len(shape.Intervals) > maxIntervals {
		return fmt.Errorf("%d intervals, more than the %d a record may hold", len(shape.Intervals), maxIntervals)
	}
	if len(shape.Heap) > maxHeap {
		return fmt.Errorf("%d heap samples, more than the %d a record may hold", len(shape.Heap), maxHeap)
	}
	n := len(shape.Histograms)
	for _, iv := range shape.Intervals {
		n += len(iv.Histograms)
	}
	if n > maxHistograms {
		return fmt.Errorf("%d histograms, more than the %d a record may hold", n, maxHistograms)
	}
	return nil
}

// ReadFile reads one record. It never blocks on a special file: anything but
// a regular file is refused.
func ReadFile(path string) (*Run, error) {
	// Stat first: opening a FIFO for reading would block.
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, &FileError{path, fmt.Errorf("not a regular file (%s)", st.Mode().Type())}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &FileError{path, err}
	}
	if !st.Mode().IsRegular() {
		return nil, &FileError{path, fmt.Errorf("not a regular file (%s)", st.Mode().Type())}
	}
	if st.Size() > maxFileSize {
		return nil, &FileError{path, fmt.Errorf("%d bytes, larger than the %d byte limit", st.Size(), maxFileSize)}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, &FileError{path, err}
	}
	return unmarshal(path, b)
}

// WriteFile writes r to path atomically and never overwrites: the record
// appears complete at path or not at all, and if path exists WriteFile fails
// with an error matching fs.ErrExist.
func WriteFile(path string, r *Run) error {
	b, err := Marshal(r)
	if err != nil {
		return err
	}
	return writeNew(path, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(b))
		return err
	})
}

// writeNew writes a new file at path with write, atomically: write goes to a
// hidden temporary file in the same folder, which is synced, then hard-linked
// to path (link fails if path exists, so two writers cannot clobber each
// other) and removed. On any failure nothing is left behind.
func writeNew(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("write %s: %w", path, fs.ErrExist)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-"+base+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fsync(tmp); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if beforeLink != nil {
		beforeLink(tmp.Name())
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) && errors.Is(le.Err, fs.ErrExist) {
			return fmt.Errorf("write %s: %w", path, fs.ErrExist)
		}
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// Test hooks: beforeLink runs between the write and the link; fsync counts
// the syncs it makes.
var (
	beforeLink func(tmp string)
	syncs      int
)

func fsync(f *os.File) error {
	syncs++
	return f.Sync()
}

// syncDir makes a new directory entry durable; best effort, since not every
// file system supports syncing a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// ReadDir reads every record (*.json, not hidden) in dir, sorted by ID. A
// file that cannot be read is skipped and reported in errs, one *FileError
// or *VersionError per file; it never stops the others from being read.
// err is set only when dir itself cannot be listed.
func ReadDir(dir string) (runs []*Run, errs []error, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		path := filepath.Join(dir, name)
		r, err := ReadFile(path)
		if err != nil {
			var fe *FileError
			var ve *VersionError
			if !errors.As(err, &fe) && !errors.As(err, &ve) {
				err = &FileError{path, err}
			}
			errs = append(errs, err)
			continue
		}
		runs = append(runs, r)
	}
	SortRuns(runs)
	return runs, errs, nil
}

// SortRuns sorts runs by start time, then ID.
func SortRuns(runs []*Run) {
	slices.SortStableFunc(runs, func(a, b *Run) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Store is a results folder: one file per run, named ID.json.
type Store struct {
	Dir string
}

// Open returns the store in dir (DefaultDir when empty), creating the
// folder if needed. It checks that a record can be written there (a
// read-only folder would lose every run of a long suite).
func Open(dir string) (*Store, error) {
	if dir == "" {
		dir = DefaultDir
	}
	if err := CheckWritable(dir); err != nil {
		return nil, fmt.Errorf("results %w", err)
	}
	return &Store{Dir: dir}, nil
}

// CheckWritable creates dir if needed and checks a file can be created in
// it, so a long job finds out before it runs, not when it stores.
func CheckWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("folder %s cannot be made: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("folder %s is not writable: %w", dir, err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// fallbackDir is where SaveOrKeep keeps a record the store could not take.
func fallbackDir() string { return filepath.Join(os.TempDir(), "wslab-unsaved-results") }

// SaveOrKeep saves r like Save; when that fails (a full disk, a folder made
// read-only meanwhile) it keeps r in fallbackDir instead and returns that
// path with an error that says both. path is empty only when r could be
// written nowhere.
func (s *Store) SaveOrKeep(r *Run) (path string, err error) {
	p, err := s.Save(r)
	if err == nil {
		return p, nil
	}
	fb := &Store{Dir: fallbackDir()}
	if e := os.MkdirAll(fb.Dir, 0o755); e != nil {
		return "", fmt.Errorf("%w; keeping it in %s failed too: %v", err, fb.Dir, e)
	}
	kept, e := fb.Save(r)
	if e != nil {
		return "", fmt.Errorf("%w; keeping it in %s failed too: %v", err, fb.Dir, e)
	}
	return kept, fmt.Errorf("%w; the run is kept in %s", err, kept)
}

// path is where the run with that ID is stored.
func (s *Store) path(id string) string { return filepath.Join(s.Dir, id+".json") }

// Save writes r as a new file and returns its path. It fails (matching
// fs.ErrExist) if a run with the same ID is already stored.
func (s *Store) Save(r *Run) (string, error) {
	if r.ID == "" || strings.ContainsAny(r.ID, `/\`) || strings.HasPrefix(r.ID, ".") {
		return "", fmt.Errorf("run ID %q cannot name a file", r.ID)
	}
	p := s.path(r.ID)
	return p, WriteFile(p, r)
}

// Load reads the run with that ID.
func (s *Store) Load(id string) (*Run, error) { return ReadFile(s.path(id)) }
