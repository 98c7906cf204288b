// Package catalog holds the board models wslab emulates: presets taken from
// real boards and the embedded servers people run on them, each figure with
// the source it comes from (../shared/boards.md, section 5, and the
// repositories and datasheets it cites). A preset is data: a
// firmware.Config for the board-side code plus the link the host emulates.
//
// Figures marked [V] were read in the cited source, [D] are datasheet
// values, [E] are estimates to calibrate against hardware.
package catalog

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/firmware/host"
)

// Preset is one board model.
type Preset struct {
	Name        string
	Description string
	Board       firmware.Config
	Link        host.Link
	// CPU is what the board's processor spends per unit of work (the
	// host charges it; zero: the host's own speed).
	CPU host.CPU
	// Sources names where each figure comes from, by field: "slots",
	// "buffers", "max_message", "queue", "budget", "link", "rtt", "fail",
	// "cpu", "tails".
	Sources map[string]string
}

const (
	kib = 1024
	ms  = int64(time.Millisecond)
	us  = int64(time.Microsecond)
)

// wifiTails is the tail of an ESP32-class WiFi link as the published echo
// runs show it (../shared/published.md §1: p50 10-55 ms, p99 80-130 ms at
// every load, mean above p50 by 3-6 ms): an exponential jitter of ~1 ms
// on every packet, and a heavy (Pareto) tail on a few percent of them;
// lost segments wait for lwIP's retransmission timer (TCP_SLOW_INTERVAL
// 500 ms ticks; RTO starts at 3 s and falls to a tick or two on a LAN).
// Power save (modem sleep) is off: with it on the published ping averages
// 64 ms, which the echo runs do not show.
func wifiTails(rto int64) host.Tails {
	return host.Tails{Seed: 1, Jitter: 1 * ms, TailP: 0.06, TailMin: 25 * ms, TailMax: 250 * ms, TailAlpha: 2,
		Loss: 0.0005, RTO: rto}
}

// airtime is one access to the shared 2.4 GHz channel (see host's
// channel): DIFS, backoff and contention with the network's other
// stations, the preamble, the block ACK. A frame alone pays it; frames
// that queue behind an access in the same direction join it as an
// aggregate. [V/E] published.md §4: a ping with power save off takes
// 5.7-9.9 ms, two accesses and a little work on the board: ~3 ms each.
// With it the echo runs of §1 come out right for both libraries (same
// board, same network, same airtime): one client pays two accesses per
// message, so the rate grows from 71 to 99 msgs/s, not double, at two
// clients, and more clients share accesses as their frames queue.
const airtime = 3000 * us

// wifiLink is a WiFi board's link: goodput, base round trip, the shared
// channel's airtime per frame and the tails.
func wifiLink(bps, rtt int64) host.Link {
	return host.Link{Bps: bps, RTT: rtt, Airtime: airtime, Tails: wifiTails(500 * ms)}
}

// cpuSources explains the CPU figures of the presets fitted to published
// measurements and how the others scale from them.
const (
	srcCPUAsync = "[V/E] fitted to PsychicHttp's AsyncWebSocket echo runs (published.md §1: 71-219 msgs/s, ~4.5 ms per message at saturation): per message in+out+2 segments ~4 ms on one busy core (costs vary message to message: Spread 1) (async_tcp callbacks, heap allocations, the tcpip_api_call round trips), the shared channel's airtime beside it; SHA-1 on the ESP32's hardware accelerator"
	srcCPUIDF   = "[V/E] fitted to PsychicHttp's esp_http_server echo runs (published.md §1: 38-117 msgs/s, ~8.5 ms per message at saturation): ~8 ms per message (Spread 1); BSD sockets through the tcpip task's mailbox, select() and httpd_ws_recv_frame twice per frame; a wake-up of 1.5 ms when the httpd task was idle (select() re-armed, the socket's event callback); an 8 ms hand-off delay that takes no CPU (tcpip task -> socket mailbox -> select() in the httpd task, and the reply queued back through httpd's control socket)"
)

// presets is the catalog. Buffers are the per-connection TCP window and
// send buffer of the board's stack (TCP_WND / TCP_SND_BUF), which is what
// bounds data in flight per connection on the real board.
var presets = []Preset{
	{
		Name:        "esp32-idf",
		Description: "ESP32 with ESP-IDF esp_http_server WebSocket support",
		Board: firmware.Config{Slots: 7, RxBuf: 5760, TxBuf: 5760, MaxMessage: 16 * kib,
			HeapBudget: 250 * kib, FailMode: firmware.FailBacklog, Backlog: 5},
		Link: wifiLink(20e6, 500*us),
		CPU:  host.CPU{Wake: 1500 * us, Accept: 1 * ms, Request: 2 * ms, Handshake: 300 * us, MsgIn: 3800 * us, MsgOut: 3300 * us, Close: 1 * ms, Segment: 450 * us, Handoff: 8 * ms, ByteIn: 40, ByteOut: 20, MSS: 1440, Spread: 1},
		Sources: map[string]string{
			"cpu":         srcCPUIDF,
			"tails":       "[V/E] published.md §1, §4; see wifiTails",
			"slots":       "[V] esp_http_server max_open_sockets default 7 (esp-idf#3183, idfxx defaults)",
			"buffers":     "[V] CONFIG_LWIP_TCP_WND/SND_BUF_DEFAULT 5760 in v5.x (4 x MSS 1440)",
			"max_message": "[E] app-chosen: httpd_ws_recv_frame probes the length; 16 KiB assumed",
			"budget":      "[V/E] ~284 KB free after WiFi start, 100-170 KB in real apps (arduino-esp32#5474, EMS-ESP32#894); 250 KB",
			"link":        "[V] Espressif WiFi guide: up to 20 Mbit/s TCP",
			"rtt":         "[E] 2-10 ms idle on a LAN (power save off: 5.7-9.9 ms ping, ESPAsyncWebServer#548, which includes the board's own work); 0.5 ms of wire; the two channel accesses (~3 ms each), the CPU and the tails are modelled apart",
			"fail":        "[V] esp_http_server: with max_open_sockets sessions open the server stops watching its listening socket; the newcomer's connect completes in the backlog (backlog_conn 5) and hangs until a session frees; lru_purge_enable (default false) closes the least recently used session instead (httpd_main.c httpd_accept_conn, httpd_sess.c httpd_sess_close_lru)",
		},
	},
	{
		Name:        "esp32-async",
		Description: "ESP32 with ESPAsyncWebServer's AsyncWebSocket (ESP32Async v3.12)",
		Board: firmware.Config{Slots: 8, RxBuf: 5744, TxBuf: 5744, MaxMessage: 16 * kib,
			HeapBudget: 200 * kib, FailMode: firmware.FailEvictOldest, QueueLen: 32},
		Link: wifiLink(20e6, 500*us),
		CPU:  host.CPU{Accept: 1 * ms, Request: 1500 * us, Handshake: 300 * us, MsgIn: 1500 * us, MsgOut: 1500 * us, Close: 800 * us, Segment: 500 * us, ByteIn: 40, ByteOut: 20, MSS: 1436, Spread: 1},
		Sources: map[string]string{
			"cpu":         srcCPUAsync,
			"tails":       "[V/E] published.md §1, §4; see wifiTails",
			"slots":       "[V] DEFAULT_MAX_WS_CLIENTS 8 on ESP32 (AsyncWebSocket.h)",
			"buffers":     "[V] Arduino lwIP TCP_WND/SND_BUF 5744 = 4 x MSS 1436 (lib-builder PR #325)",
			"max_message": "[E] fragments via onFragment; 16 KiB assumed for a reassembling app",
			"queue":       "[V] WS_MAX_QUEUED_MESSAGES 32 on ESP32, each message its own heap buffer apart from the TCP send buffer, kept until sent; a full queue drops new messages (closeWhenFull=false); [E] the queues share the heap the budget leaves, 64 B a message beyond its bytes",
			"budget":      "[V/E] ~170-250 KB for an Arduino app with WiFi (arduino-esp32#5474); 200 KB",
			"link":        "[V] Espressif WiFi guide: up to 20 Mbit/s TCP",
			"rtt":         "[E] 0.5 ms of wire; the channel's accesses (~3 ms each, published.md §4), the board's CPU and the tails are modelled apart",
			"fail":        "[V] no limit at accept; cleanupClients() closes the OLDEST client (client->close(): a close frame without a status) while more than DEFAULT_MAX_WS_CLIENTS 8 are connected (AsyncWebSocket.cpp); modelled at the upgrade, with one spare slot for the newcomer",
		},
	},
	{
		Name:        "esp32-arduinows",
		Description: "ESP32 with Links2004 arduinoWebSockets",
		Board: firmware.Config{Slots: 5, RxBuf: 5744, TxBuf: 5744, MaxMessage: 15 * kib,
			HeapBudget: 200 * kib, FailMode: firmware.FailAcceptClose},
		Link: wifiLink(20e6, 500*us),
		CPU:  host.CPU{Accept: 1 * ms, Request: 1500 * us, Handshake: 300 * us, MsgIn: 1300 * us, MsgOut: 1300 * us, Close: 800 * us, Segment: 550 * us, Handoff: 1 * ms, ByteIn: 40, ByteOut: 20, MSS: 1436},
		Sources: map[string]string{
			"cpu":         "[E] same ESP32 core and Arduino lwIP as esp32-async; arduinoWebSockets polls from loop() with less per-message heap work than AsyncWebSocket: per message a little cheaper",
			"tails":       "[E] as the ESP32 presets",
			"slots":       "[V] WEBSOCKETS_SERVER_CLIENT_MAX 5 (WebSockets.h)",
			"buffers":     "[V] Arduino lwIP TCP_WND/SND_BUF 5744",
			"max_message": "[V] WEBSOCKETS_MAX_DATA_SIZE 15 KB on ESP32; over it closes with 1009 (WebSockets.cpp)",
			"budget":      "[V/E] ~170-250 KB; 200 KB",
			"link":        "[V] Espressif WiFi guide: up to 20 Mbit/s TCP",
			"rtt":         "[E] 0.5 ms of wire; the channel's accesses (~3 ms each, published.md §4), the board's CPU and the tails are modelled apart",
			"fail":        "[V] handleNewClients: no free entry -> tcpClient.stop() right after accept (WebSocketsServer.cpp)",
		},
	},
	{
		Name:        "esp8266",
		Description: "ESP8266 (Arduino core, lwIP 2.1.3) with arduinoWebSockets",
		Board: firmware.Config{Slots: 5, RxBuf: 2144, TxBuf: 1072, MaxMessage: 15 * kib,
			HeapBudget: 40 * kib, FailMode: firmware.FailAcceptClose},
		Link: wifiLink(2.5e6, 500*us),
		CPU:  host.CPU{Accept: 2 * ms, Request: 3 * ms, Handshake: 2 * ms, MsgIn: 2500 * us, MsgOut: 2500 * us, Close: 1500 * us, Segment: 1100 * us, Handoff: 2 * ms, ByteIn: 100, ByteOut: 50, MSS: 536},
		Sources: map[string]string{
			"cpu":         "[E] one L106 core at 80 MHz (a third of one ESP32 core at 240 MHz, no SHA accelerator: SHA-1 in software), the WiFi stack sharing it: ~2x the ESP32 costs per unit",
			"tails":       "[E] as the ESP32 presets; 200 ms delayed-ACK stalls reported (esp8266/Arduino#1577) are in the tail",
			"slots":       "[V] WEBSOCKETS_SERVER_CLIENT_MAX 5 (arduinoWebSockets WebSockets.h; the maintainer's 'max where 6' incl. the listener, arduinoWebSockets#247)",
			"buffers":     "[E] lwIP defaults 4 x / 2 x MSS 536 = 2144 / 1072 (d-a-v linklayer: ~4 x MSS per connection)",
			"max_message": "[V] WEBSOCKETS_MAX_DATA_SIZE 15 KB on ESP8266",
			"budget":      "[V] 38-48 KB free heap (ESPAsyncWebServer#32, ESPAsyncTCP#136); 40 KB",
			"link":        "[V] ~2.5 Mbit/s reported (esp8266/Arduino#1853)",
			"rtt":         "[V/E] ~12 ms WebSocket echo on the maintainer's LAN (arduinoWebSockets#33): that is the whole echo, so 0.5 ms of wire here; the two channel accesses (~6 ms), the CPU (~7 ms) and the hand-off make the model's echo ~15 ms at p50, a little above the report",
			"fail":        "[V] arduinoWebSockets handleNewClients: no free entry -> the newcomer is accepted, then tcpClient.stop() (WebSocketsServer.cpp)",
		},
	},
	{
		Name:        "picow-sdk",
		Description: "Raspberry Pi Pico W, C SDK with pico_lwip (NO_SYS=1)",
		Board: firmware.Config{Slots: 4, RxBuf: 11680, TxBuf: 11680, MaxMessage: 16 * kib,
			HeapBudget: 200 * kib, FailMode: firmware.FailSynDrop},
		Link: wifiLink(5e6, 500*us),
		CPU:  host.CPU{Accept: 500 * us, Request: 1 * ms, Handshake: 400 * us, MsgIn: 600 * us, MsgOut: 600 * us, Close: 300 * us, Segment: 700 * us, Handoff: 1 * ms, ByteIn: 60, ByteOut: 30},
		Sources: map[string]string{
			"cpu":         "[E] Cortex-M0+ at 133 MHz, lwIP raw API with NO_SYS=1 (no task switches), software SHA-1; the CYW43439 is driven over half-duplex gSPI by PIO, so each segment costs a bus transfer: cheap per message, dear per segment",
			"tails":       "[E] WiFi tails as ESP32-class boards",
			"slots":       "[V/E] MEMP_NUM_TCP_PCB unset in pico-examples -> lwIP default 5, one for the listener: 4",
			"buffers":     "[V] TCP_WND / TCP_SND_BUF 8 x MSS = 11,680 (lwipopts_examples_common.h)",
			"max_message": "[E] server-defined; 16 KiB",
			"budget":      "[E] ~200 KB of the 264 KB SRAM",
			"link":        "[E] ~5 Mbit/s (no vendor figure; pico-examples#637, circuitpython#9837)",
			"rtt":         "[E] 5-20 ms echo in all; 0.5 ms of wire here, the channel's accesses (~6 ms), the CPU and the hand-off make the rest",
			"fail":        "[V] lwIP tcp_listen_input: no PCB can be allocated (tcp_alloc fails) -> the SYN is dropped silently; the client retransmits it after ~1 s, then ~3 s",
		},
	},
	{
		Name:        "picow-tinygo",
		Description: "Raspberry Pi Pico W under TinyGo with soypat/cyw43439 and lneto",
		Board: firmware.Config{Slots: 3, RxBuf: 512, TxBuf: 4380, MaxMessage: 4 * kib,
			HeapBudget: 230 * kib, FailMode: firmware.FailReset},
		Link: wifiLink(2e6, 500*us),
		CPU:  host.CPU{Accept: 500 * us, Request: 1500 * us, Handshake: 500 * us, MsgIn: 800 * us, MsgOut: 800 * us, Close: 300 * us, Segment: 900 * us, Handoff: 2500 * us, ByteIn: 80, ByteOut: 40},
		Sources: map[string]string{
			"cpu":         "[E] Cortex-M0+ at 133 MHz under TinyGo (no SIMD, software SHA-1), lneto in Go and cyw43439 over gSPI; the 5 ms poll loop shows as the wake-up cost",
			"tails":       "[E] WiFi tails as ESP32-class boards",
			"slots":       "[V] cyw43439 examples: maxConns=3",
			"buffers":     "[V/E] examples use Rx 256 B and Tx page+128 B; bench uses 3 x (MTU-40) = 4380; rx 512 here",
			"max_message": "[E] core-defined; 4 KiB",
			"budget":      "[E] 264 KB SRAM minus ~20 KB static (cyw43439#27) minus stacks: ~230 KB",
			"link":        "[E] 2 Mbit/s",
			"rtt":         "[E] 10 ms echo plus up to 5 ms poll-loop quantisation in all; 0.5 ms of wire here, the channel's accesses (~6 ms), the CPU and the 2.5 ms hand-off (half the poll period) make the rest",
			"fail":        "[V] lneto: with its connection pool empty the listener answers a new SYN with RST|ACK",
		},
	},
	{
		Name:        "nano33-wifinina",
		Description: "Arduino Nano 33 IoT (SAMD21, 32 KB SRAM) with WiFiNINA under TinyGo",
		Board: firmware.Config{Slots: 4, RxBuf: 1024, TxBuf: 1024, MaxMessage: 2 * kib,
			HeapBudget: 16 * kib, FailMode: firmware.FailAcceptClose},
		Link: wifiLink(1e6, 20*ms),
		CPU:  host.CPU{Accept: 3 * ms, Request: 3 * ms, Handshake: 1500 * us, MsgIn: 2 * ms, MsgOut: 2 * ms, Close: 2 * ms, Segment: 2 * ms, Handoff: 8 * ms, ByteIn: 150, ByteOut: 150, MSS: 1436},
		Sources: map[string]string{
			"cpu":         "[E] SAMD21 at 48 MHz; every socket call is an SPI command to the NINA module at 8 MHz (the TCP/IP stack runs there): per segment dearest of the presets",
			"tails":       "[E] WiFi tails as ESP32-class boards (the NINA is an ESP32)",
			"slots":       "[V] WiFiNINA NINA_MAX_SOCK_NUM 4 (WiFiNINA PR #8); 32 KB SRAM binds before TinyGo's '8 or 10'",
			"buffers":     "[E] 1 KiB each to fit the budget (the driver sends 1436-byte chunks)",
			"max_message": "[E] small, <= 2 KB",
			"budget":      "[E] <20 KB free of 32 KB SRAM after the TinyGo runtime and net: 16 KB",
			"link":        "[E] SPI at 8 MHz with per-command overhead: ~1 Mbit/s",
			"rtt":         "[E] 10-30 ms with bursty delivery (WiFiNINA#143); 20 ms",
			"fail":        "[E] the NINA module accepts, the host finds no socket and closes",
		},
	},
	{
		Name:        "wioterminal",
		Description: "Seeed Wio Terminal (SAMD51) with the RTL8720DN over eRPC/UART under TinyGo",
		Board: firmware.Config{Slots: 4, RxBuf: 2048, TxBuf: 2048, MaxMessage: 4 * kib,
			HeapBudget: 150 * kib, FailMode: firmware.FailAcceptClose},
		Link: wifiLink(0.45e6, 25*ms),
		CPU:  host.CPU{Accept: 3 * ms, Request: 2 * ms, Handshake: 600 * us, MsgIn: 1 * ms, MsgOut: 1 * ms, Close: 2 * ms, Segment: 3 * ms, Handoff: 2 * ms, ByteIn: 40, ByteOut: 40},
		Sources: map[string]string{
			"cpu":         "[E] SAMD51 at 120 MHz; each socket call is an eRPC over UART to the RTL8720DN: per segment costly",
			"tails":       "[E] WiFi tails as ESP32-class boards",
			"slots":       "[E] ~4, set by the RTL8720DN firmware",
			"buffers":     "[E] 2 KiB; the link is UART-serialised",
			"max_message": "[E] <= 4 KB",
			"budget":      "[E] ~150 KB of 192 KB SRAM",
			"link":        "[V/E] UART3 at 614,400 baud caps ~61 KB/s; minus RPC overhead: 0.45 Mbit/s",
			"rtt":         "[E] 25 ms plus ~24 ms serialisation per 1460 B segment",
			"fail":        "[E] accept, then close",
		},
	},
	{
		Name:        "nucleo-f7-eth",
		Description: "STM32 Nucleo-F767ZI, wired Ethernet with lwIP",
		Board: firmware.Config{Slots: 4, RxBuf: 2144, TxBuf: 1072, MaxMessage: 16 * kib,
			HeapBudget: 300 * kib, FailMode: firmware.FailSynDrop},
		Link: host.Link{Bps: 50e6, RTT: ms * 3 / 10},
		CPU:  host.CPU{Accept: 200 * us, Request: 300 * us, Handshake: 150 * us, MsgIn: 100 * us, MsgOut: 100 * us, Close: 100 * us, Segment: 60 * us, ByteIn: 8, ByteOut: 4},
		Sources: map[string]string{
			"cpu":         "[E] Cortex-M7 at 216 MHz with caches, Ethernet DMA (no WiFi driver): about a tenth of the ESP32 costs",
			"tails":       "[E] wired Ethernet: no WiFi tails",
			"slots":       "[E] lwIP default MEMP_NUM_TCP_PCB 5, one listening: 4",
			"buffers":     "[E] lwIP defaults 4 x / 2 x MSS 536",
			"max_message": "[E] server-defined; 16 KiB",
			"budget":      "[E] ~300 KB of 512 KB SRAM",
			"link":        "[E] 100 Mbit PHY; MCU stacks reach 70-95 Mbit/s; a default-tuned F7 ~50 Mbit/s",
			"rtt":         "[E] < 1 ms; 0.3 ms",
			"fail":        "[V] lwIP tcp_listen_input: no free PCB -> the SYN is dropped silently; the client retries after ~1 s, then ~3 s",
		},
	},
	{
		Name:        "linux-sbc",
		Description: "a Linux-class board or gateway running the host build itself",
		Board: firmware.Config{Slots: 10000, RxBuf: 1024, TxBuf: 1024, MaxMessage: 64 * kib,
			HeapBudget: 64 << 20, FailMode: firmware.FailReject503},
		Sources: map[string]string{
			"slots":       "[E] thousands of slots on one event loop",
			"buffers":     "[E] 1 KiB rx and tx",
			"max_message": "[E] 64 KiB, streamed through the small buffers",
			"budget":      "[E] 64 MiB",
			"link":        "off: the host's own network",
			"fail":        "[E] 503 from an HTTP server with a full connection table",
		},
	},
}

// Names returns the preset names in catalog order.
func Names() []string {
	n := make([]string, len(presets))
	for i, p := range presets {
		n[i] = p.Name
	}
	return n
}

// All returns every preset, in catalog order.
func All() []Preset {
	out := make([]Preset, len(presets))
	for i, p := range presets {
		out[i] = p.clone()
	}
	return out
}

// Get returns the preset called name (case-insensitive).
func Get(name string) (Preset, error) {
	for _, p := range presets {
		if strings.EqualFold(p.Name, name) {
			return p.clone(), nil
		}
	}
	if p, ok := getLoaded(name); ok { // a model file (AddModelFile)
		return p, nil
	}
	names := Names()
	sort.Strings(names)
	return Preset{}, fmt.Errorf("unknown board model %q; known models: %s", name, strings.Join(names, ", "))
}

func (p Preset) clone() Preset {
	q := p
	q.Board.Model = p.Name
	q.Sources = make(map[string]string, len(p.Sources))
	for k, v := range p.Sources {
		q.Sources[k] = v
	}
	return q
}
