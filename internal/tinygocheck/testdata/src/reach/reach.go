package reach // want package:"reaches crypto/rand, fmt, math/big, reflect"

import (
	"leaf"
	"lib" // want `reach: lib reaches crypto/rand, fmt, math/big, reflect \(lib -> crypto/rand\): TinyGo.s baremetal crypto/rand panics`
)

func use() (byte, bool) { return lib.Seed(), leaf.Valid(nil) }
