package catalog

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestModelFileRoundTrip(t *testing.T) {
	for _, name := range []string{"esp32-idf", "picow-tinygo", "esp32-async"} {
		p, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		m := NewModelFile(p, map[string]string{"slots": "measured: connect ramp"})
		path := filepath.Join(t.TempDir(), "m.json")
		if err := WriteModelFile(path, m); err != nil {
			t.Fatal(err)
		}
		q, err := LoadModelFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(q.Board, p.Board) || q.Link != p.Link || q.CPU != p.CPU {
			t.Errorf("%s: round trip changed the model:\n got %+v %+v %+v\nwant %+v %+v %+v", name, q.Board, q.Link, q.CPU, p.Board, p.Link, p.CPU)
		}
		if q.Sources["slots"] != "measured: connect ramp" || !strings.HasPrefix(q.Sources["buffers"], "preset "+name+": ") {
			t.Errorf("%s: provenance %v", name, q.Sources)
		}
	}
}

func TestModelFileBadInput(t *testing.T) {
	p, _ := Get("esp8266")
	good := NewModelFile(p, nil)
	cases := map[string]func(m *ModelFile){
		"fail mode": func(m *ModelFile) { m.Board.FailMode = "explode" },
		"schema":    func(m *ModelFile) { m.Schema = 99 },
		"slots":     func(m *ModelFile) { m.Board.Slots = 0 },
		"name":      func(m *ModelFile) { m.Name = "" },
	}
	for want, mut := range cases {
		m := *good
		mut(&m)
		path := filepath.Join(t.TempDir(), "m.json")
		if err := WriteModelFile(path, &m); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadModelFile(path); err == nil || !strings.Contains(err.Error(), want) && want != "slots" {
			t.Errorf("%s: err %v", want, err)
		}
	}
	path := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(path, []byte(`{"schema":1,"name":"x","bogus":1}`), 0o644)
	if _, err := LoadModelFile(path); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown field: %v", err)
	}
}

// TestAddModelFile: a registered model file resolves by name with the
// file's figures, never shadows a preset, and a second, different file
// under the same name is refused.
func TestAddModelFile(t *testing.T) {
	p, _ := Get("esp8266")
	p.Name = "twin-of-test"
	p.Board.Slots, p.Link.Bps, p.CPU.MsgIn = 3, 777_000, 123_456
	dir := t.TempDir()
	path := filepath.Join(dir, "twin.json")
	if err := WriteModelFile(path, NewModelFile(p, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := Get("twin-of-test"); err == nil {
		t.Fatal("known before it was added")
	}
	if _, err := AddModelFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := AddModelFile(path); err != nil {
		t.Errorf("the same file twice: %v", err)
	}
	b, err := Resolve("TWIN-of-test", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Config.Model != "twin-of-test" || b.Config.Slots != 3 || b.Link.Bps != 777_000 || b.CPU.MsgIn != 123_456 {
		t.Errorf("resolved %+v %+v %+v, not the file's figures", b.Config, b.Link, b.CPU)
	}
	p.Board.Slots = 5
	other := filepath.Join(dir, "other.json")
	WriteModelFile(other, NewModelFile(p, nil))
	if _, err := AddModelFile(other); err == nil || !strings.Contains(err.Error(), "already loaded") {
		t.Errorf("a different twin under the same name: %v", err)
	}
	p.Name = "ESP32-IDF"
	shadow := filepath.Join(dir, "shadow.json")
	WriteModelFile(shadow, NewModelFile(p, nil))
	if _, err := AddModelFile(shadow); err == nil || !strings.Contains(err.Error(), "preset") {
		t.Errorf("a twin named like a preset: %v", err)
	}
	if q, _ := Get("esp32-idf"); q.Board.Slots == 5 {
		t.Error("the preset was shadowed")
	}
}
