package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseShare(t *testing.T) {
	for in, want := range map[string]float64{"25%": 0.25, "0.25": 0.25, "4%": 0.04, "off": 0, "150%": 1.5} {
		got, err := parseShare(in)
		if err != nil || got != want {
			t.Errorf("parseShare(%q) = %g, %v; want %g", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "-5%", "0%x"} {
		if _, err := parseShare(in); err == nil {
			t.Errorf("parseShare(%q): no error", in)
		}
	}
}

func TestBoardExecBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-exec", "true"}, "-exec-port"},
		{[]string{"-exec", "true", "-exec-port", "9", "-cpu-quota", "lots"}, "-cpu-quota"},
		{[]string{"-exec", "true", "-exec-port", "9", "-mem-limit", "big"}, "-mem-limit"},
		{[]string{"-exec", "true", "-exec-port", "9", "-model", "nosuch"}, "nosuch"},
	} {
		var out, errb bytes.Buffer
		if code := runBoard(c.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("board %v: exit %d, stderr %q; want 2 and a message naming %s", c.args, code, errb.String(), c.want)
		}
	}
}
