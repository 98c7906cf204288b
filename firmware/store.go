package firmware

// Store keeps the board's files. On a microcontroller it is flash (a
// LittleFS partition, say); on Linux it is a directory (package host). Names
// reach it already checked by ValidName. Implementations must make an
// upload visible only when Commit succeeds, so an interrupted upload never
// replaces a good file.
type Store interface {
	// Open opens the named file for reading and returns its size.
	Open(name []byte) (File, int64, error)
	// Create starts an upload of size bytes under name.
	Create(name []byte, size int64) (Upload, error)
	// Remove deletes the named file.
	Remove(name []byte) error
}

// File is a stored file being read.
type File interface {
	Read(p []byte) (int, error)
	Close() error
}

// Upload is a file being written; nothing is visible under its name until
// Commit returns nil, and Abort discards it.
type Upload interface {
	Write(p []byte) (int, error)
	Commit() error
	Abort()
}

// ErrNotExist is what a Store returns for a missing file. It is an error
// variable (boxed once, at start), so comparing with it converts nothing.
var ErrNotExist error = storeError("file does not exist")

// ErrNoSpace is what a Store returns when an upload does not fit.
var ErrNoSpace error = storeError("no space left for the upload")

type storeError string

func (e storeError) Error() string { return string(e) }

// MaxNameLen is the longest file name a board accepts.
const MaxNameLen = 64

// ValidName reports whether name may name a stored file: 1 to MaxNameLen
// bytes of letters, digits, '.', '_' and '-', not starting with '.'. That
// refuses every way out of the store: "..", absolute paths, slashes (plain
// or %-encoded, since '%' is refused), backslashes and NUL.
func ValidName(name []byte) bool {
	if len(name) == 0 || len(name) > MaxNameLen || name[0] == '.' {
		return false
	}
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '_' || c == '-':
		default:
			return false
		}
	}
	return true
}

// Lister is a Store that can list its files, for GET /files. A Store
// without it answers GET /files with 501.
type Lister interface {
	// File copies the name of file i (0-based, in an order that stays the
	// same while no file changes) into name and returns the name's length
	// and the file's size; ok is false past the last file. A name longer
	// than name is not copied and its length is returned, so the caller
	// can tell. Only names ValidName accepts are listed by the board.
	File(i int, name []byte) (n int, size int64, ok bool)
}
