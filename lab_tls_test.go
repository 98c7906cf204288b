package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `wslab lab --tls` refuses, before anything runs, a model whose board
// serves no TLS (naming why) and real boards (which bring their own).
func TestLabTLSRefusals(t *testing.T) {
	dir := t.TempDir()
	jobs := []string{"--results", filepath.Join(dir, "r"), "--out", filepath.Join(dir, "o")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"lab", "--tls", "--models", "esp32-idf,nano33-wifinina"}, "model nano33-wifinina serves no TLS: WiFiNINA"},
		{[]string{"lab", "--models", "nano33-wifinina", "--tls"}, "serves no TLS"},
		{[]string{"lab", "--tls", "--target", "wss://127.0.0.1:9/ws"}, "--tls is for emulated boards"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append(tc.args, jobs...), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), exitUsage, tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "r")); err == nil {
			t.Fatalf("%v: refused after it created the results folder", tc.args)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"lab", "-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-tls") {
		t.Errorf("lab -h: exit %d, no -tls in the usage", code)
	}
}
