package a

import (
	"crypto/rand"   // want `import: crypto/rand on the board: TinyGo's baremetal crypto/rand panics`
	"encoding/json" // want `import: encoding/json on the board`
	"fmt"           // want `import: fmt on the board`
	"reflect"       // want `import: reflect on the board`
	"sync"          // want `import: sync on the board`
	"time"
	"unicode/utf8"
)

var (
	_ = rand.Reader
	_ = json.Valid
	_ = fmt.Sprint
	_ = reflect.TypeOf
	_ sync.Mutex
	_ = utf8.RuneLen
)

func timers(now time.Time) time.Duration {
	t := time.NewTimer(time.Second) // want `timer: time.NewTimer on the board`
	t.Stop()
	time.AfterFunc(time.Second, nil) // want `timer: time.AfterFunc on the board`
	var tk *time.Ticker              // want `timer: time.Ticker on the board`
	_ = tk
	return now.Sub(now) + time.Millisecond // time values and durations are fine
}
