//go:build linux

package host_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wslab/wslab/core"
	"github.com/wslab/wslab/firmware"
	"github.com/wslab/wslab/internal/testenv"
)

// A real browser against the board: headless Chromium (Debian's chromium
// package) loads the board's page, uses its WebSocket console and uploads a
// file through its form. The test drives Chromium with the DevTools
// protocol over the DevTools WebSocket, using this package's own test
// client (core's codec), so it needs no Node, no Playwright and no
// browser download.

// chromiumPath finds Chromium or skips the test.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.SkipOrFail(t, "chromium not installed (Debian package chromium; .ci/run installs it): skipping the real-browser test")
	return ""
}

func TestChromiumPage(t *testing.T) {
	bin := chromiumPath(t)
	srv := startBoard(t, firmware.Config{Model: "browser", Slots: 16, RxBuf: 1024, TxBuf: 1024,
		MaxMessage: 64 << 10, MaxUpload: 1 << 20})
	br := launchChromium(t, bin)
	page := br.newPage(t)
	page.navigate(srv.URL() + "/")

	// The page loaded, with its console and its form.
	page.evalExpect(`document.title`, "wslab board")
	page.evalExpect(`[...document.querySelectorAll("#connect,#sendText,#sendBin,#upload,#file")].length`, 5.0)

	// The live view: the board's own /stats figures appear (no WebSocket
	// message yet) and the file list is empty.
	page.evalExpect(`waitFor(() => $("sMsgs").textContent === "0 in, 0 out, 0 dropped")`, true)
	page.evalExpect(`/^\d+ of 16 in use, peak \d+$/.test($("sSlots").textContent) &&
		/^buffers \d+(\.\d)? (B|KiB), heap in use \d+(\.\d)? (B|KiB)$/.test($("sRam").textContent) &&
		/^\d+ requests, 0 uploads$/.test($("sHttp").textContent) && /^\d+ s$/.test($("sUp").textContent)`, true)
	page.evalExpect(`waitFor(() => $("files").textContent === "no files")`, true)
	// They are live: the page refetches /stats every second.
	page.evalExpect(`(async () => { const r0 = parseInt($("sHttp").textContent);
		await waitFor(() => parseInt($("sHttp").textContent) > r0); return true; })()`, true)

	// The console: connect, send text and binary, see them echoed.
	page.evalExpect(`$("connect").click(); waitFor(() => $("status").textContent === "open")`, true)
	msg := "hello from chromium, \u00b5\u00df\u00f6 \u2713 \U0001F600"
	page.evalExpect(`$("msg").value = `+jsString(msg)+`; $("sendText").click();
		waitFor(() => $("log").textContent.includes('text  "#1 `+msg+`"'))`, true)
	page.evalExpect(`$("sendBin").click(); waitFor(() => $("log").textContent.includes("binary 16 B [2,0,2,3,4,5,6,7]"))`, true)
	page.evalExpect(`$("disconnect").click(); waitFor(() => $("log").textContent.includes("closed 1000"))`, true)
	// The live figures count the two echoes and the WebSocket connection.
	page.evalExpect(`waitFor(() => $("sMsgs").textContent === "2 in, 2 out, 0 dropped" && /, 1 WebSocket$/.test($("sConns").textContent))`, true)

	// Larger messages from the browser's own WebSocket: text with
	// multi-byte characters and binary, both larger than the board's
	// 1 KiB buffers, so the board streams them back in pieces.
	page.evalExpect(`new Promise((resolve, reject) => {
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
	src := filepath.Join(br.dir, "upload-source.bin")
	if err := os.WriteFile(src, want, 0o644); err != nil {
		t.Fatal(err)
	}
	input := page.evalObject(`document.getElementById("file")`)
	page.call("DOM.setFileInputFiles", map[string]any{"files": []string{src}, "objectId": input})
	page.evalExpect(`$("name").value = "from-browser.bin"; $("upload").requestSubmit();
		waitFor(() => $("uploadResult").textContent.startsWith("stored"))`, true)
	if got := page.eval(`$("uploadResult").textContent`); got != "stored from-browser.bin (200000 B)" {
		t.Fatalf("upload result: %v", got)
	}
	// The file list shows it, with a link to it; the upload counter too.
	page.evalExpect(`waitFor(() => $("files").textContent === "from-browser.bin 200000 B" &&
		$("files").querySelector("a").getAttribute("href") === "/files/from-browser.bin" &&
		$("sHttp").textContent.endsWith(" 1 uploads"))`, true)
	sum := sha256.Sum256(want)
	page.evalExpect(`fetch("/files/from-browser.bin").then(r => r.arrayBuffer()).then(b => crypto.subtle.digest("SHA-256", b))
		.then(d => [...new Uint8Array(d)].map(x => x.toString(16).padStart(2, "0")).join(""))`, hex.EncodeToString(sum[:]))
	r := get(t, srv.Addr().String(), "/files/from-browser.bin")
	if r.Status != 200 || !bytes.Equal(r.Body, want) {
		t.Fatalf("GET the uploaded file: %d, %d B, equal %v", r.Status, len(r.Body), bytes.Equal(r.Body, want))
	}
	if errs := page.exceptions(); len(errs) > 0 {
		t.Errorf("exceptions in the page: %q", errs)
	}
	st := srv.Stats()
	t.Logf("board: %d upgrades, %d messages in, %d out, %d uploads", st.Upgrades, st.MsgsIn, st.MsgsOut, st.Uploads)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// browser is a headless Chromium and its DevTools connection.
type browser struct {
	t    *testing.T
	cmd  *exec.Cmd
	dir  string
	ws   *wsClient
	mu   sync.Mutex
	id   int
	errs []string // page exceptions reported by Runtime.exceptionThrown
	logs *bytes.Buffer
}

// launchChromium starts Chromium with a throwaway profile and connects to
// its DevTools WebSocket, whose URL it prints on stderr.
func launchChromium(t *testing.T, bin string) *browser {
	dir, err := os.MkdirTemp("", "wslab-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--disable-extensions", "--no-default-browser-check", "--password-store=basic",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--remote-debugging-port=0", "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers stop with it
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("start chromium: %v", err)
	}
	b := &browser{t: t, cmd: cmd, dir: dir, logs: new(bytes.Buffer)}
	t.Cleanup(b.stop)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			b.mu.Lock()
			if b.logs.Len() < 64<<10 {
				b.logs.WriteString(line + "\n")
			}
			b.mu.Unlock()
			if u, ok := strings.CutPrefix(line, "DevTools listening on "); ok && !sent {
				found <- strings.TrimSpace(u)
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	var devtools string
	select {
	case devtools = <-found:
	case <-time.After(90 * time.Second): // a cold start on a loaded machine
	}
	if devtools == "" {
		t.Fatalf("chromium printed no DevTools URL; its stderr:\n%s", b.stderr())
	}
	u, err := url.Parse(devtools)
	if err != nil {
		t.Fatalf("DevTools URL %q: %v", devtools, err)
	}
	c, err := tryDialWS(u.Host, u.Path, 32<<20, nil)
	if err != nil {
		t.Fatalf("DevTools WebSocket %s: %v\n%s", devtools, err, b.stderr())
	}
	c.t = t
	b.ws = c
	return b
}

func (b *browser) stderr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.logs.String()
}

func (b *browser) stop() {
	if b.ws != nil {
		// Ask politely first; the process group is killed regardless.
		b.ws.sendMessage(core.OpText, []byte(`{"id":999999,"method":"Browser.close"}`), 1)
		b.ws.conn.Close()
	}
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL) // the group this test created
	<-done
	os.RemoveAll(b.dir)
}

type cdpMessage struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	Error     *struct{ Message string }
	SessionID string `json:"sessionId"`
}

// call sends a DevTools command (in session, if not empty) and waits for
// its result, collecting the events that arrive meanwhile.
func (b *browser) call(session, method string, params any) json.RawMessage {
	b.t.Helper()
	b.id++
	req := map[string]any{"id": b.id, "method": method, "params": params}
	if session != "" {
		req["sessionId"] = session
	}
	msg, _ := json.Marshal(req)
	if err := b.ws.sendMessage(core.OpText, msg, 1); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	// The in-page waits are bounded at 30 s; this bound only catches a
	// browser that stopped answering.
	deadline := time.Now().Add(90 * time.Second)
	for {
		b.ws.conn.SetReadDeadline(deadline)
		ev, err := b.ws.rd.Next()
		if err != nil {
			b.t.Fatalf("%s: DevTools connection: %v\n%s", method, err, b.stderr())
		}
		if ev.Kind != core.EventMessage {
			continue
		}
		var m cdpMessage
		if err := json.Unmarshal(ev.Payload, &m); err != nil {
			b.t.Fatalf("DevTools sent %q: %v", ev.Payload, err)
		}
		if m.Method == "Runtime.exceptionThrown" {
			b.errs = append(b.errs, string(m.Params))
		}
		if m.ID != b.id {
			continue
		}
		if m.Error != nil {
			b.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		return m.Result
	}
}

// pageSession is one tab.
type pageSession struct {
	b       *browser
	session string
}

func (b *browser) newPage(t *testing.T) *pageSession {
	var target struct{ TargetID string }
	json.Unmarshal(b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}), &target)
	var att struct{ SessionID string }
	json.Unmarshal(b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}), &att)
	if att.SessionID == "" {
		t.Fatal("no DevTools session for the new page")
	}
	p := &pageSession{b: b, session: att.SessionID}
	p.call("Page.enable", map[string]any{})
	p.call("Runtime.enable", map[string]any{})
	return p
}

func (p *pageSession) call(method string, params any) json.RawMessage {
	p.b.t.Helper()
	return p.b.call(p.session, method, params)
}

// navigate loads url and waits until the document is complete, then adds
// waitFor(cond), a promise that polls cond for up to 30 s.
func (p *pageSession) navigate(u string) {
	p.b.t.Helper()
	var nav struct{ ErrorText string }
	json.Unmarshal(p.call("Page.navigate", map[string]any{"url": u}), &nav)
	if nav.ErrorText != "" {
		p.b.t.Fatalf("navigate to %s: %s", u, nav.ErrorText)
	}
	p.evalExpect(`new Promise(resolve => {
		const done = () => document.readyState === "complete" && location.href === `+jsString(u)+`;
		const check = () => done() ? resolve(true) : setTimeout(check, 20);
		check();
	})`, true)
	p.evalExpect(`window.waitFor = (cond, ms = 30000) => new Promise((resolve, reject) => {
		const until = Date.now() + ms;
		const check = () => {
			if (cond()) return resolve(true);
			if (Date.now() > until) return reject(new Error("timed out: " + cond + "\nlog: " + ($("log") || {}).textContent));
			setTimeout(check, 20);
		};
		check();
	}); true`, true)
}

// eval evaluates expr (awaiting a promise) and returns its value.
func (p *pageSession) eval(expr string) any {
	p.b.t.Helper()
	var r struct {
		Result           struct{ Value any }
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	json.Unmarshal(p.call("Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true}), &r)
	if e := r.ExceptionDetails; e != nil {
		p.b.t.Fatalf("page script failed: %s %s\nscript: %s", e.Text, e.Exception.Description, expr)
	}
	return r.Result.Value
}

func (p *pageSession) evalExpect(expr string, want any) {
	p.b.t.Helper()
	if got := p.eval(expr); fmt.Sprint(got) != fmt.Sprint(want) {
		p.b.t.Fatalf("page script gave %v, want %v\nscript: %s", got, want, expr)
	}
}

// evalObject evaluates expr and returns a reference to the object.
func (p *pageSession) evalObject(expr string) string {
	p.b.t.Helper()
	var r struct{ Result struct{ ObjectID string } }
	json.Unmarshal(p.call("Runtime.evaluate", map[string]any{"expression": expr}), &r)
	if r.Result.ObjectID == "" {
		p.b.t.Fatalf("no object for %s", expr)
	}
	return r.Result.ObjectID
}

func (p *pageSession) exceptions() []string { return p.b.errs }
