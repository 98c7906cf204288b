// Package maskseed seeds core's client mask generator on the host from
// crypto/rand. core has no random source of its own: a board only answers
// clients and never needs one, and TinyGo's baremetal crypto/rand panics on
// rp2040, ESP32 and ESP8266.
package maskseed

import (
	"crypto/rand"
	"encoding/binary"

	"github.com/wslab/wslab/core"
)

// New returns a mask generator (for client frames and handshake keys)
// seeded with 64 secret random bits.
func New() *core.MaskGen {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return core.NewMaskGen(binary.LittleEndian.Uint64(b[:]))
}
