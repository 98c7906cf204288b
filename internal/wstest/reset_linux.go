package wstest

import (
	"errors"
	"syscall"
)

func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }
