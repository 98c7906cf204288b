package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// parseStatus is the exit status for a flag set's parse error: 0 for -h
// or --help (the usage was asked for, and printed), exitUsage otherwise.
func parseStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return exitUsage
}

// flagsAnywhere parses fs from args, allowing flags after positional
// arguments (`wslab plot a.json --out x`), and returns the positional ones.
// "--" ends the flags.
func flagsAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// listFlag collects a repeatable flag whose values may also be lists,
// separated by commas or spaces (--models a,b --pkg './x ./y').
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, splitList(s)...)
	return nil
}

// splitList splits a flag's list at commas and spaces, dropping empty
// items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

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
