package main

import (
	"fmt"
	"strconv"
	"strings"
)

// checkDurationArgs refuses a duration flag given a bare number ("--duration
// 5"), before the flag package would answer "parse error" and the usage:
// durations need a unit.
func checkDurationArgs(args []string, names ...string) error {
	is := map[string]bool{}
	for _, n := range names {
		is[n] = true
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "--" {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !is[name] {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				continue
			}
			i++
			val = args[i]
		}
		if _, err := strconv.ParseFloat(val, 64); err == nil {
			return fmt.Errorf("-%s %s: durations need a unit, e.g. %ss or %sms", name, val, val, val)
		}
	}
	return nil
}

// checkTarget refuses a board URL without a scheme, saying what to type.
func checkTarget(u string) error {
	if strings.Contains(u, "://") {
		return nil
	}
	return fmt.Errorf("target %q has no scheme: did you mean ws://%s ?", u, strings.TrimPrefix(u, "//"))
}

// loadDurationFlags are the duration flags of load (and of the jobs).
var loadDurationFlags = []string{"duration", "hold", "settle", "interval", "heap-every", "dial-timeout", "drain-timeout", "close-timeout", "timeout", "spin"}
