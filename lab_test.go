package main

import (
	"github.com/wslab/wslab/internal/testenv"

	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNewcomerPath is the README's first command on a fresh checkout: build
// wslab, run "wslab lab" with no flags in an empty folder, and check that
// it stores the runs and writes a report with every plot and a summary per
// board, and that the report opens in headless Chromium with every image
// loaded.
func TestNewcomerPath(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole lab (about 2 minutes)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "wslab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "lab")
	cmd.Dir = work
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("wslab lab took %v", time.Since(start).Round(time.Second))
	if err != nil {
		t.Fatalf("wslab lab: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, model := range []string{"esp32-idf", "picow-tinygo", "esp8266"} {
		if !strings.Contains(out, "] "+model+": ") {
			t.Errorf("no progress lines for %s:\n%s", model, out)
		}
	}
	report := filepath.Join(work, "wslab-report", "index.html")
	if !strings.Contains(out, "report: wslab-report/index.html") {
		t.Errorf("the lab does not say where its report is:\n%s", out)
	}
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	// A headline per board, first on the page and in the console, with
	// how many clients it held and how it turned the next away.
	page := string(html)
	runsAt := strings.Index(page, "<h2>Runs by board")
	for _, model := range []string{"esp32-idf", "picow-tinygo", "esp8266"} {
		i := strings.Index(page, `<section class="headline"><h3>`+model+"</h3>")
		if i < 0 || runsAt < i {
			t.Errorf("no headline for %s before the runs", model)
			continue
		}
		h := page[i:]
		h = h[:strings.Index(h, "</section>")]
		for _, want := range []string{"<li>clients held: ", "; the next turned away: 2 ", "<li>RAM: ", " budget ("} {
			if !strings.Contains(h, want) {
				t.Errorf("%s headline lacks %q:\n%s", model, want, h)
			}
		}
		if !strings.Contains(out, "\n"+model+": ") {
			t.Errorf("the console has no headline for %s", model)
		}
	}
	if !strings.Contains(out, "== headline ==") {
		t.Errorf("no headline in the console:\n%s", out)
	}
	imgs := regexp.MustCompile(`<img[^>]+src="([^"]+)"`).FindAllStringSubmatch(string(html), -1)
	if len(imgs) < 5 {
		t.Fatalf("report shows %d figures", len(imgs))
	}
	for _, m := range imgs {
		if st, err := os.Stat(filepath.Join(work, "wslab-report", m[1])); err != nil || st.Size() == 0 {
			t.Errorf("figure %s: %v", m[1], err)
		}
	}
	runs, _ := filepath.Glob(filepath.Join(work, "wslab-results", "*.json"))
	if len(runs) < 20 {
		t.Errorf("%d runs stored, want the suite on three boards", len(runs))
	}
	checkImagesInChromium(t, report, len(imgs))
}

// checkImagesInChromium opens the report inside a frame of a small page
// whose script counts the images that loaded, and reads the count from the
// DOM Chromium dumps.
func checkImagesInChromium(t *testing.T, report string, want int) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		testenv.SkipOrFail(t, "chromium not installed (Debian package chromium; .ci/run installs it)")
	}
	probe := filepath.Join(filepath.Dir(report), "probe.html")
	page := `<!doctype html><body><iframe id="r" src="index.html" style="width:1200px;height:800px"></iframe>
<pre id="out">waiting</pre><script>
document.getElementById("r").onload = () => {
  const imgs = [...document.getElementById("r").contentDocument.images];
  const check = () => {
    if (!imgs.every(i => i.complete)) { setTimeout(check, 50); return; }
    const ok = imgs.filter(i => i.naturalWidth > 0).length;
    document.getElementById("out").textContent = "IMAGES " + ok + " OF " + imgs.length;
  };
  check();
};
</script></body>`
	if err := os.WriteFile(probe, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--allow-file-access-from-files", "--user-data-dir="+t.TempDir(), "--virtual-time-budget=20000",
		"--dump-dom", "file://"+probe)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`IMAGES (\d+) OF (\d+)`).FindStringSubmatch(string(dom))
	if m == nil {
		t.Fatalf("the probe page did not report; DOM:\n%s", dom)
	}
	if m[1] != m[2] || m[2] != strconv.Itoa(want) {
		t.Fatalf("Chromium loaded %s of %s images (the report has %d)", m[1], m[2], want)
	}
}
