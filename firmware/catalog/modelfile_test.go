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
