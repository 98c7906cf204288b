package foreign

// cpuShares is each board model's CPU as a share of one host core, from
// CoreMark per core against about 25,000 for a current x86 core. All are
// estimates [E] to calibrate against hardware.
//
// TODO: take the figure from the catalog once the board model carries its
// CPU (the fidelity work adds one).
var cpuShares = map[string]struct {
	share  float64
	source string
}{
	"esp32-idf":       {0.04, "[E] ESP32 LX6 240 MHz, ~1000 CoreMark per core: 4% of a host core"},
	"esp32-async":     {0.04, "[E] ESP32 LX6 240 MHz, ~1000 CoreMark per core: 4% of a host core"},
	"esp32-arduinows": {0.04, "[E] ESP32 LX6 240 MHz, ~1000 CoreMark per core: 4% of a host core"},
	"esp8266":         {0.01, "[E] ESP8266 L106 80 MHz, ~250 CoreMark: 1% of a host core"},
	"picow-sdk":       {0.012, "[E] RP2040 M0+ 133 MHz, ~300 CoreMark: 1.2% of a host core"},
	"picow-tinygo":    {0.012, "[E] RP2040 M0+ 133 MHz, ~300 CoreMark: 1.2% of a host core"},
	"nano33-wifinina": {0.005, "[E] SAMD21 M0+ 48 MHz, ~110 CoreMark: 0.5% of a host core"},
	"wioterminal":     {0.016, "[E] SAMD51 M4 120 MHz, ~400 CoreMark: 1.6% of a host core"},
	"nucleo-f7-eth":   {0.04, "[E] STM32F767 M7 216 MHz, ~1080 CoreMark: 4% of a host core"},
	"linux-sbc":       {0, "a Linux SBC: no CPU cap"},
}

// CPUShare returns a board model's CPU as a share of one host core (0: no
// cap) and where the figure comes from.
func CPUShare(model string) (float64, string) {
	c, ok := cpuShares[model]
	if !ok {
		return 0, "no CPU figure for this model: no cap"
	}
	return c.share, c.source
}
