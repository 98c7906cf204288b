//go:build linux

// Package chromium drives a headless Chromium (Debian's chromium package)
// over the DevTools protocol, for tests of wslab's pages: a browser with a
// throwaway profile, tabs, navigation and script evaluation. It talks to
// the DevTools WebSocket with wstest (core's codec), so it needs no Node,
// no Playwright and no browser download. The helpers are those of
// firmware/host's browser test, made shareable.
package chromium

import (
	"bufio"
	"bytes"
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
	"github.com/wslab/wslab/internal/testenv"
	"github.com/wslab/wslab/internal/wstest"
)

// Path finds Chromium, or skips the test (fails it in CI).
func Path(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.SkipOrFail(t, "chromium not installed (Debian package chromium; .ci/run installs it): skipping the real-browser test")
	return ""
}

// JSString quotes s as a JavaScript string literal.
func JSString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Browser is a headless Chromium and its DevTools connection.
type Browser struct {
	t    testing.TB
	cmd  *exec.Cmd
	Dir  string // a scratch folder, removed with the browser
	ws   *wstest.Conn
	mu   sync.Mutex
	id   int
	errs []string // page exceptions reported by Runtime.exceptionThrown
	logs *bytes.Buffer
}

// Launch starts Chromium with a throwaway profile and connects to its
// DevTools WebSocket, whose URL it prints on stderr. The test's cleanup
// stops it (its whole process group).
func Launch(t testing.TB, bin string) *Browser {
	t.Helper()
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
	b := &Browser{t: t, cmd: cmd, Dir: dir, logs: new(bytes.Buffer)}
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
	c, err := wstest.Dial(u.Host, u.Path, 10*time.Second)
	if err != nil {
		t.Fatalf("DevTools WebSocket %s: %v\n%s", devtools, err, b.stderr())
	}
	b.ws = c
	return b
}

func (b *Browser) stderr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.logs.String()
}

func (b *Browser) stop() {
	if b.ws != nil {
		// Ask politely first; the process group is killed regardless.
		b.ws.SetWriteDeadline(time.Now().Add(time.Second))
		b.ws.W.WriteMessage(core.OpText, []byte(`{"id":999999,"method":"Browser.close"}`))
		b.ws.Close()
	}
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL) // the group Launch created
	<-done
	os.RemoveAll(b.Dir)
}

type cdpMessage struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	Error     *struct{ Message string }
	SessionID string `json:"sessionId"`
}

// Call sends a DevTools command (in session, if not empty) and waits for
// its result, collecting the events that arrive meanwhile.
func (b *Browser) Call(session, method string, params any) json.RawMessage {
	b.t.Helper()
	b.id++
	req := map[string]any{"id": b.id, "method": method, "params": params}
	if session != "" {
		req["sessionId"] = session
	}
	msg, _ := json.Marshal(req)
	b.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := b.ws.W.WriteMessage(core.OpText, msg); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
	// The in-page waits are bounded at 30 s; this bound only catches a
	// browser that stopped answering.
	deadline := time.Now().Add(90 * time.Second)
	for {
		ev, err := b.ws.Next(time.Until(deadline))
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

// Page is one tab.
type Page struct {
	b       *Browser
	session string
}

// NewPage opens a blank tab with the Page and Runtime domains enabled.
func (b *Browser) NewPage() *Page {
	b.t.Helper()
	var target struct{ TargetID string }
	json.Unmarshal(b.Call("", "Target.createTarget", map[string]any{"url": "about:blank"}), &target)
	var att struct{ SessionID string }
	json.Unmarshal(b.Call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}), &att)
	if att.SessionID == "" {
		b.t.Fatal("no DevTools session for the new page")
	}
	p := &Page{b: b, session: att.SessionID}
	p.Call("Page.enable", map[string]any{})
	p.Call("Runtime.enable", map[string]any{})
	return p
}

// Call sends a DevTools command in the page's session.
func (p *Page) Call(method string, params any) json.RawMessage {
	p.b.t.Helper()
	return p.b.Call(p.session, method, params)
}

// Navigate loads u and waits until the document is complete, then adds
// waitFor(cond, ms), a promise that polls cond for up to ms (30 s).
func (p *Page) Navigate(u string) {
	p.b.t.Helper()
	var nav struct{ ErrorText string }
	json.Unmarshal(p.Call("Page.navigate", map[string]any{"url": u}), &nav)
	if nav.ErrorText != "" {
		p.b.t.Fatalf("navigate to %s: %s", u, nav.ErrorText)
	}
	p.EvalExpect(`new Promise(resolve => {
		const done = () => document.readyState === "complete" && location.href === `+JSString(u)+`;
		const check = () => done() ? resolve(true) : setTimeout(check, 20);
		check();
	})`, true)
	p.EvalExpect(`window.waitFor = (cond, ms = 30000) => new Promise((resolve, reject) => {
		const until = Date.now() + ms;
		const check = () => {
			if (cond()) return resolve(true);
			if (Date.now() > until) return reject(new Error("timed out: " + cond + "\npage: " + document.body.innerText.slice(0, 2000)));
			setTimeout(check, 20);
		};
		check();
	}); true`, true)
}

// Eval evaluates expr (awaiting a promise) and returns its value.
func (p *Page) Eval(expr string) any {
	p.b.t.Helper()
	var r struct {
		Result           struct{ Value any }
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	json.Unmarshal(p.Call("Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true}), &r)
	if e := r.ExceptionDetails; e != nil {
		p.b.t.Fatalf("page script failed: %s %s\nscript: %s", e.Text, e.Exception.Description, expr)
	}
	return r.Result.Value
}

// EvalExpect evaluates expr and fails the test unless it prints as want.
func (p *Page) EvalExpect(expr string, want any) {
	p.b.t.Helper()
	if got := p.Eval(expr); fmt.Sprint(got) != fmt.Sprint(want) {
		p.b.t.Fatalf("page script gave %v, want %v\nscript: %s", got, want, expr)
	}
}

// Exceptions are the uncaught exceptions the pages reported so far.
func (p *Page) Exceptions() []string { return p.b.errs }

// EvalObject evaluates expr and returns a reference to the object (for
// commands that take one, such as DOM.setFileInputFiles).
func (p *Page) EvalObject(expr string) string {
	p.b.t.Helper()
	var r struct{ Result struct{ ObjectID string } }
	json.Unmarshal(p.Call("Runtime.evaluate", map[string]any{"expression": expr}), &r)
	if r.Result.ObjectID == "" {
		p.b.t.Fatalf("no object for %s", expr)
	}
	return r.Result.ObjectID
}
