// Package fidelity checks emulated boards against what real boards were
// measured to do: the published figures (../shared/published.md) are kept
// here as data with their sources, and Validate runs each preset that has
// them under the same load and compares point by point.
package fidelity

// Point is one published measurement: a closed-loop echo at Clients
// persistent WebSockets, one small text message in flight per client.
type Point struct {
	Clients    int
	MsgsPerSec float64
	MeanMs     float64
	P50Ms      float64
	P99Ms      float64
	Errors     int
}

// Series is a published curve for one preset family.
type Series struct {
	Model   string // the catalog preset it calibrates
	Library string
	Source  string
	Tool    string
	Size    int // message size in bytes (text)
	// Slots is the connection limit the measured firmware ran with when it
	// differs from the preset's default (0: the preset's).
	Slots  int
	Points []Point
	// Notes say what the measured setup fixes for the emulation.
	Notes string
}

const psychicSource = "hoeken/PsychicHttp benchmark/loadtest-websocket.sh and benchmark/results/*-websocket-loadtest.log (2023-12), esp32dev, Arduino core; ../shared/published.md §1"

// Published is published.md §1: WebSocket echo on an ESP32, closed loop,
// 60 s per point with the npm loadtest tool.
var Published = []Series{
	{
		Model: "esp32-async", Library: "ESPAsyncWebServer AsyncWebSocket", Source: psychicSource,
		Tool: "npm loadtest, one persistent WebSocket per client, 60 s per point", Size: 50,
		Notes: "message size: loadtest's default small text message, ~50 B",
		Points: []Point{
			{1, 71, 13.6, 10, 81, 0},
			{2, 99, 19.7, 15, 86, 0},
			{4, 161, 24.4, 19, 91, 0},
			{8, 219, 35.9, 30, 107, 0},
		},
	},
	{
		Model: "esp32-idf", Library: "PsychicHttp v1.0 over ESP-IDF esp_http_server", Source: psychicSource,
		Tool: "npm loadtest, one persistent WebSocket per client, 60 s per point", Size: 50, Slots: 8,
		Notes: "the run served 8 clients with 0 errors, so the firmware had at least 8 open sockets (esp_http_server's default is 7); benchmark/psychichttp/src/main.cpp turns WiFi power save off (WiFi.setSleep(false))",
		Points: []Point{
			{1, 38, 25.5, 22, 92, 0},
			{2, 61, 32.3, 28, 93, 0},
			{4, 88, 44.7, 40, 115, 0},
			{8, 117, 59.3, 54, 134, 0},
		},
	},
}

// Throughput is published.md §2, kept as a shape check (ESP32 iperf in a
// shielded box: throughput rises with the window, free heap falls).
type Throughput struct {
	Window     string
	SendMbit   float64
	RecvMbit   float64
	FreeHeapKB float64
}

// ThroughputSource names where Throughputs come from.
const ThroughputSource = "ESP-IDF docs, docs/en/api-guides/wifi-performance-and-power-save.rst, ESP32 rank table (iperf, shielded box); ../shared/published.md §2"

// Throughputs is published.md §2.
var Throughputs = []Throughput{
	{"8 KB class", 25.6, 27.8, 185},
	{"20 KB class", 44.2, 40.5, 144.5},
	{"65 KB class", 74.6, 63.6, 37},
}

// Targets are what a faithful emulation must land within (issue 11).
const (
	TargetRate = 0.25 // msgs/s within 25%
	TargetP50  = 0.30 // p50 within 30%
	TargetP99  = 1.5  // p99 within a factor of 1.5
)

// Lookup returns the published series for model.
func Lookup(model string) (Series, bool) {
	for _, s := range Published {
		if s.Model == model {
			return s, true
		}
	}
	return Series{}, false
}

// Ping is one published figure of the WiFi link's own round trip on an
// ESP32 (published.md §4): an ICMP echo, which the station's stack
// answers without the application's CPU, with its power save off or on.
type Ping struct {
	Model string // the preset whose link it checks
	// PowerSave: the station in modem sleep (ESP-IDF's default), behind
	// an AP's DTIM of DTIM beacons.
	PowerSave bool
	DTIM      int
	// LoMs, HiMs: the published range the emulated median must fall in;
	// MeanMs: the published average the emulated mean must meet within
	// TargetP50 (0: not published).
	LoMs, HiMs, MeanMs float64
	Source             string
	Says               string // the published figure in words
}

// Pings is published.md §4.
var Pings = []Ping{
	{Model: "esp32-idf", LoMs: 5.7, HiMs: 9.9,
		Source: "ESPAsyncWebServer issue 548; ../shared/published.md §4",
		Says:   "power save off (WIFI_PS_NONE): ping round trip 5.7-9.9 ms"},
	{Model: "esp32-idf", PowerSave: true, DTIM: 1, MeanMs: 64,
		Source: "arduino-esp32 issue 1484; ../shared/published.md §4",
		Says:   "power save on (modem sleep, the ESP-IDF default): minimum near 2 ms, average 64 ms, maximum above 1 s"},
}
