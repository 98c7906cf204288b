package catalog

import (
	"fmt"

	"github.com/wslab/wslab/firmware/host"
)

// TLSPreset is what terminating TLS costs a board model (wslab board
// --tls): the handshake on its processor by certificate key, the record
// layer per byte, and the heap one session holds. Figures marked as in
// the catalog: [V] read in the source, [E] estimates to calibrate.
type TLSPreset struct {
	// Key is the key type the board's usual certificate has (the
	// generated certificate's, unless --tls-key-type says otherwise).
	Key string
	// Handshake is the server's full handshake (ECDHE key exchange and
	// the certificate's signature; TLS 1.2 or 1.3) by key type, in ns.
	Handshake map[string]int64
	// Byte is ns per byte through the record layer (AES-GCM), either way.
	Byte float64
	// SessionRAM is the heap one TLS session holds (mbedTLS: the context
	// and its input and output record buffers).
	SessionRAM int
	// Unsupported, when set, says why the board's stack serves no TLS.
	Unsupported string
	// Source names where the figures come from.
	Source string
}

// mbedTLS sessions on ESP-IDF and the Pico SDK: ~40 KiB each with the
// default 16 KiB input buffer and 4 KiB output (CONFIG_MBEDTLS_SSL_IN/
// OUT_CONTENT_LEN) plus the context, the handshake's transient buffers
// and the peer's certificate chain.
const mbedtlsSource = "session RAM ~40 KiB [E]: mbedTLS needs ~30 KiB of record buffers (15 KiB each way) plus the context " +
	"(nkolban/esp32-snippets#527), ~50 KiB measured per session with 16 KiB buffers on an ESP32 " +
	"(cwi-dis/iotsa#218), ~30 KiB per connection in libesphttpd (chmorgan/libesphttpd#50)"

var tlsPresets = map[string]TLSPreset{
	"esp32-idf": {Key: "rsa-2048", Handshake: map[string]int64{"rsa-2048": 1200 * ms, "ecdsa-p256": 700 * ms}, Byte: 60, SessionRAM: 40 * kib,
		Source: "esp_https_server (mbedTLS, hardware AES, SHA and RSA/MPI; P-256 in software): an RSA-2048 server handshake " +
			"~1-2 s [E]: 1.04 s on average over 21,124 handshakes of an ESP32 (micropython/micropython-esp32#131) [V], up to " +
			"2.5 s with client certificates (espressif/esp-idf#8852) [V]; ECDSA P-256 faster [E]; a Cortex-M4 at 120 MHz with AES+ECC hardware takes 0.5-1.0 s (TLS 1.3), " +
			"an STM32F746 at 216 MHz 1.25 s with RSA key exchange (blog.stratifylabs.dev, mbedTLS handshake times); " + mbedtlsSource},
	"esp32-async": {Key: "rsa-2048", Handshake: map[string]int64{"rsa-2048": 1200 * ms, "ecdsa-p256": 700 * ms}, Byte: 60, SessionRAM: 40 * kib,
		Source: "as esp32-idf: the same mbedTLS on the same chip (AsyncTCP with TLS) [E]; " + mbedtlsSource},
	"esp32-arduinows": {Key: "rsa-2048", Handshake: map[string]int64{"rsa-2048": 1200 * ms, "ecdsa-p256": 700 * ms}, Byte: 60, SessionRAM: 40 * kib,
		Source: "as esp32-idf: the same mbedTLS on the same chip [E]; " + mbedtlsSource},
	"esp8266": {Key: "rsa-2048", Handshake: map[string]int64{"rsa-2048": 3000 * ms, "ecdsa-p256": 2000 * ms}, Byte: 400, SessionRAM: 24 * kib,
		Source: "BearSSL server (ESP8266WebServerSecure, no crypto hardware): ~24 KiB per connection [V] " +
			"(esp8266/Arduino#5061); server handshakes of 2-6 s at 160 MHz (esp8266/Arduino#6247) [V]; 2-4 s as a client, " +
			"up to 10 s (espressif/ESP8266_RTOS_SDK#1007) [V]; 3 s and 2 s [E from those]"},
	"picow-sdk": {Key: "ecdsa-p256", Handshake: map[string]int64{"ecdsa-p256": 2500 * ms, "rsa-2048": 4000 * ms}, Byte: 300, SessionRAM: 40 * kib,
		Source: "mbedTLS on the RP2040 (133 MHz Cortex-M0+, no crypto hardware): 2.6 s with an RSA-1024 certificate and 3.2 s " +
			"with ECC P-384 on the same chip (gershnik.github.io, HTTPS server on Arduino Nano RP2040) [V]; 23 s as a " +
			"server with RSA-4096 (micropython/micropython#13332) [V]; P-256 and RSA-2048 scaled from those [E]; " + mbedtlsSource},
	"picow-tinygo": {Key: "ecdsa-p256", Handshake: map[string]int64{"ecdsa-p256": 2500 * ms, "rsa-2048": 4000 * ms}, Byte: 300, SessionRAM: 40 * kib,
		Source: "as picow-sdk (the same chip; a Go TLS stack would be no faster) [E]; " + mbedtlsSource},
	"nano33-wifinina": {Unsupported: "WiFiNINA terminates TLS in the NINA-W102 module for client connections only (WiFiSSLClient): it has no TLS server",
		Source: "arduino-libraries/WiFiNINA: WiFiSSLClient, no SSL server class [E]"},
	"wioterminal": {Key: "ecdsa-p256", Handshake: map[string]int64{"ecdsa-p256": 1500 * ms, "rsa-2048": 2500 * ms}, Byte: 150, SessionRAM: 40 * kib,
		Source: "mbedTLS on the SAMD51 (120 MHz Cortex-M4F) or the RTL8720DN: 1.5-2 s (TLS 1.3) to 2-3 s (TLS 1.2) without " +
			"crypto hardware on a Cortex-M4 at 120 MHz (applied-ee.github.io, TLS on constrained devices) [E]; " + mbedtlsSource},
	"nucleo-f7-eth": {Key: "rsa-2048", Handshake: map[string]int64{"rsa-2048": 2500 * ms, "ecdsa-p256": 1000 * ms}, Byte: 150, SessionRAM: 40 * kib,
		Source: "mbedTLS on an STM32F746 at 216 MHz: 1.25 s with RSA key exchange, ~4.9 s with ECDHE-RSA with debugging on " +
			"(blog.stratifylabs.dev, handshake times by cipher) [V]; without the debug output [E]; " + mbedtlsSource},
	"linux-sbc": {Key: "ecdsa-p256", Handshake: map[string]int64{"ecdsa-p256": 5 * ms, "rsa-2048": 8 * ms}, Byte: 5, SessionRAM: 64 * kib,
		Source: "OpenSSL on a Cortex-A class core: a few ms per handshake (RSA-2048 signs at ~1400/s on a desktop core, " +
			"a Pi is ~5-10x slower) [E]; a session with its buffers ~64 KiB [E]"},
}

// TLSFor returns the TLS preset of a catalog model.
func TLSFor(model string) (TLSPreset, bool) {
	p, ok := tlsPresets[model]
	return p, ok
}

// ApplyTLS sets o up to terminate TLS as model does: the certificate's
// key (key overrides the preset's; "" keeps it), the session RAM and,
// when o's CPU is charged, the handshake and record costs. certFile and
// keyFile serve a given certificate instead of a generated one. A model
// without a preset (custom, a model file) terminates TLS at no cost.
func ApplyTLS(o *host.Options, model, key, certFile, keyFile string) (TLSPreset, error) {
	p, ok := tlsPresets[model]
	if ok && p.Unsupported != "" {
		return p, fmt.Errorf("%s: %s", model, p.Unsupported)
	}
	if key == "" {
		key = p.Key
	}
	if key == "" {
		key = "ecdsa-p256"
	}
	valid := false
	for _, k := range host.TLSKeys {
		valid = valid || k == key
	}
	if !valid {
		return p, fmt.Errorf("tls key type %q: want one of %v", key, host.TLSKeys)
	}
	p.Key = key
	o.TLS = &host.TLS{Key: key, CertFile: certFile, KeyFile: keyFile, SessionRAM: p.SessionRAM}
	if o.CPU.On() {
		o.CPU.TLSHandshake = p.Handshake[key]
		o.CPU.TLSByte = p.Byte
	}
	return p, nil
}
