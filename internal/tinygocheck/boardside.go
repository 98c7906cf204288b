package tinygocheck

// BoardPackages are the packages that run on a board: the analyzer and the
// dependency allow-list check them (board_test.go). firmware/host and
// firmware/catalog are host-side and are not listed.
var BoardPackages = []string{
	"github.com/wslab/wslab/core",
	"github.com/wslab/wslab/firmware",
	"github.com/wslab/wslab/firmware/poll",
}

// AllowedDeps is every package the board-side packages may reach, directly
// or transitively, on the gc toolchain (`go list -deps ./core ./firmware`).
// A package outside this list fails TestBoardDeps, so a new dependency is a
// decision made here, in review. Most of the list is what crypto/sha1 (the
// handshake's accept key) brings along on gc: its FIPS 140 module reaches
// os, syscall, time and sync; TinyGo ships its own, smaller crypto.
//
// Never in the list, and named in the failure when they appear: fmt,
// reflect, math/big, crypto/rand (TinyGo's baremetal rand panics on rp2040,
// ESP32 and ESP8266), encoding/json, encoding/binary (it imports reflect),
// net, net/http, maps.
var AllowedDeps = []string{
	// The board-side packages themselves.
	"github.com/wslab/wslab/core",
	"github.com/wslab/wslab/firmware",
	"github.com/wslab/wslab/firmware/poll",

	// What core and firmware import.
	"crypto/sha1",     // the handshake's accept key
	"encoding/base64", // the handshake's accept key
	"embed",           // firmware's page
	"math/bits",
	"runtime", // firmware reads the heap figures (ReadMemStats)
	"unicode/utf8",

	// What those reach on gc.
	"bytes", "cmp", "crypto", "crypto/cipher", "crypto/fips140", "crypto/subtle",
	"errors", "hash", "io", "io/fs", "iter", "math", "os", "path", "slices",
	"strconv", "strings", "sync", "sync/atomic", "syscall", "time", "unicode",
	"unsafe",
}

// AllowedDepPrefixes are the standard library's internal packages, which
// differ by GOOS and GOARCH and are reached only through the packages above.
var AllowedDepPrefixes = []string{"internal/", "crypto/internal/", "vendor/"}

// SansIOImports are imports the firmware package itself must not have
// (doc.go's promise: the host drives the board), though core's standard
// library dependencies reach some of them.
var SansIOImports = map[string]string{
	"net":     "the board does no socket I/O",
	"os":      "the board has no OS",
	"time":    "the host passes the time in",
	"syscall": "the board does no I/O",
	"sync":    "one event loop drives the board",
}
