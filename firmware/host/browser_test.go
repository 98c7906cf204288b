//go:build linux

package host_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/internal/chromium"
)

// A real browser against the board: headless Chromium (Debian's chromium
// package) loads the board's page, uses its WebSocket console and uploads a
// file through its form. internal/chromium drives it with the DevTools
// protocol (core's codec), so it needs no Node, no Playwright and no
// browser download.

func TestChromiumPage(t *testing.T) {
	bin := chromium.Path(t)
	srv := startBoard(t, firmware.Config{Model: "browser", Slots: 16, RxBuf: 1024, TxBuf: 1024,
		MaxMessage: 64 << 10, MaxUpload: 1 << 20})
	br := chromium.Launch(t, bin)
	page := br.NewPage()
	page.Navigate(srv.URL() + "/")

	// The page loaded, with its console and its form.
	page.EvalExpect(`document.title`, "wslab board")
	page.EvalExpect(`[...document.querySelectorAll("#connect,#sendText,#sendBin,#upload,#file")].length`, 5.0)

	// The live view: the board's own /stats figures appear (no WebSocket
	// message yet) and the file list is empty.
	page.EvalExpect(`waitFor(() => $("sMsgs").textContent === "0 in, 0 out, 0 dropped")`, true)
	page.EvalExpect(`/^\d+ of 16 in use, peak \d+$/.test($("sSlots").textContent) &&
		/^buffers \d+(\.\d)? (B|KiB), heap in use \d+(\.\d)? (B|KiB)$/.test($("sRam").textContent) &&
		/^\d+ requests, 0 uploads$/.test($("sHttp").textContent) && /^\d+ s$/.test($("sUp").textContent)`, true)
	page.EvalExpect(`waitFor(() => $("files").textContent === "no files")`, true)
	// They are live: the page refetches /stats every second.
	page.EvalExpect(`(async () => { const r0 = parseInt($("sHttp").textContent);
		await waitFor(() => parseInt($("sHttp").textContent) > r0); return true; })()`, true)

	// The console: connect, send text and binary, see them echoed.
	page.EvalExpect(`$("connect").click(); waitFor(() => $("status").textContent === "open")`, true)
	msg := "hello from chromium, \u00b5\u00df\u00f6 \u2713 \U0001F600"
	page.EvalExpect(`$("msg").value = `+chromium.JSString(msg)+`; $("sendText").click();
		waitFor(() => $("log").textContent.includes('text  "#1 `+msg+`"'))`, true)
	page.EvalExpect(`$("sendBin").click(); waitFor(() => $("log").textContent.includes("binary 16 B [2,0,2,3,4,5,6,7]"))`, true)
	page.EvalExpect(`$("disconnect").click(); waitFor(() => $("log").textContent.includes("closed 1000"))`, true)
	// The live figures count the two echoes and the WebSocket connection.
	page.EvalExpect(`waitFor(() => $("sMsgs").textContent === "2 in, 2 out, 0 dropped" && /, 1 WebSocket$/.test($("sConns").textContent))`, true)

	// Larger messages from the browser's own WebSocket: text with
	// multi-byte characters and binary, both larger than the board's
	// 1 KiB buffers, so the board streams them back in pieces.
	page.EvalExpect(`new Promise((resolve, reject) => {
		const ws = new WebSocket("ws://" + location.host + "/ws");
		ws.binaryType = "arraybuffer";
		const text = "\u00e9\u4e16\u754c".repeat(3000);
		const bin = new Uint8Array(40000);
		for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919) & 255;
		const got = [];
		ws.onopen = () => { ws.send(text); ws.send(bin); };
		ws.onerror = () => reject("websocket error");
		ws.onmessage = e => {
			got.push(e.data);
			if (got.length < 2) return;
			const b = new Uint8Array(got[1]);
			const ok = got[0] === text && b.length === bin.length && b.every((v, i) => v === bin[i]);
			ws.close(1000);
			resolve(ok ? "echoed" : "mismatch: " + typeof got[0] + " " + (got[0].length) + ", " + b.length);
		};
	})`, "echoed")

	// The form: choose a file, upload it, fetch it back.
	want := payload(200_000, false)
	src := filepath.Join(br.Dir, "upload-source.bin")
	if err := os.WriteFile(src, want, 0o644); err != nil {
		t.Fatal(err)
	}
	input := page.EvalObject(`document.getElementById("file")`)
	page.Call("DOM.setFileInputFiles", map[string]any{"files": []string{src}, "objectId": input})
	page.EvalExpect(`$("name").value = "from-browser.bin"; $("upload").requestSubmit();
		waitFor(() => $("uploadResult").textContent.startsWith("stored"))`, true)
	if got := page.Eval(`$("uploadResult").textContent`); got != "stored from-browser.bin (200000 B)" {
		t.Fatalf("upload result: %v", got)
	}
	// The file list shows it, with a link to it; the upload counter too.
	page.EvalExpect(`waitFor(() => $("files").textContent === "from-browser.bin 200000 B" &&
		$("files").querySelector("a").getAttribute("href") === "/files/from-browser.bin" &&
		$("sHttp").textContent.endsWith(" 1 uploads"))`, true)
	sum := sha256.Sum256(want)
	page.EvalExpect(`fetch("/files/from-browser.bin").then(r => r.arrayBuffer()).then(b => crypto.subtle.digest("SHA-256", b))
		.then(d => [...new Uint8Array(d)].map(x => x.toString(16).padStart(2, "0")).join(""))`, hex.EncodeToString(sum[:]))
	r := get(t, srv.Addr().String(), "/files/from-browser.bin")
	if r.Status != 200 || !bytes.Equal(r.Body, want) {
		t.Fatalf("GET the uploaded file: %d, %d B, equal %v", r.Status, len(r.Body), bytes.Equal(r.Body, want))
	}
	if errs := page.Exceptions(); len(errs) > 0 {
		t.Errorf("exceptions in the page: %q", errs)
	}
	st := srv.Stats()
	t.Logf("board: %d upgrades, %d messages in, %d out, %d uploads", st.Upgrades, st.MsgsIn, st.MsgsOut, st.Uploads)
}
