package host

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/wslab/wslab/firmware"
)

// DirStore is a firmware.Store in a directory. An upload is written to a
// hidden temporary file in the same directory, synced, and renamed over the
// old file only on Commit, so a reader sees the old file or the new one,
// never a part.
type DirStore struct{ Dir string }

func (d DirStore) path(name []byte) string { return filepath.Join(d.Dir, string(name)) }

// Open implements firmware.Store. It serves regular files only: it opens
// without following a symlink (which could lead out of the store) and
// without blocking (opening a FIFO would block the board's one event loop),
// and refuses anything that is not a regular file as missing.
func (d DirStore) Open(name []byte) (firmware.File, int64, error) {
	f, err := os.OpenFile(d.path(name), os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP) {
			return nil, 0, firmware.ErrNotExist
		}
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, firmware.ErrNotExist
	}
	return f, st.Size(), nil
}

// Create implements firmware.Store.
func (d DirStore) Create(name []byte, size int64) (firmware.Upload, error) {
	f, err := os.CreateTemp(d.Dir, ".upload-*")
	if err != nil {
		return nil, err
	}
	return &upload{f: f, final: d.path(name)}, nil
}

// Remove implements firmware.Store. It removes files only (unlink, never
// rmdir): a directory's name is missing as far as the store is concerned.
func (d DirStore) Remove(name []byte) error {
	err := syscall.Unlink(d.path(name))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EISDIR) {
		return firmware.ErrNotExist
	}
	if err != nil {
		return &fs.PathError{Op: "remove", Path: d.path(name), Err: err}
	}
	return nil
}

type upload struct {
	f     *os.File
	final string
}

func (u *upload) Write(p []byte) (int, error) {
	n, err := u.f.Write(p)
	if errors.Is(err, syscall.ENOSPC) {
		err = firmware.ErrNoSpace
	}
	return n, err
}

func (u *upload) Commit() error {
	if err := u.f.Sync(); err != nil {
		u.Abort()
		return err
	}
	if err := u.f.Close(); err != nil {
		os.Remove(u.f.Name())
		return err
	}
	if err := os.Rename(u.f.Name(), u.final); err != nil {
		os.Remove(u.f.Name())
		return err
	}
	return nil
}

func (u *upload) Abort() {
	u.f.Close()
	os.Remove(u.f.Name())
}

// File implements firmware.Lister: the directory's regular files whose
// names firmware.ValidName accepts (so not the hidden uploads in progress),
// sorted by name.
func (d DirStore) File(i int, name []byte) (n int, size int64, ok bool) {
	ents, err := os.ReadDir(d.Dir)
	if err != nil {
		return 0, 0, false
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !firmware.ValidName([]byte(e.Name())) {
			continue
		}
		if i > 0 {
			i--
			continue
		}
		info, err := e.Info()
		if err != nil {
			return 0, 0, false
		}
		if len(e.Name()) <= len(name) {
			copy(name, e.Name())
		}
		return len(e.Name()), info.Size(), true
	}
	return 0, 0, false
}
