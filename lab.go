package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wslab/wslab/lab"
)

func runLab(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wslab lab", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("models", strings.Join(lab.DefaultModels, ","), "emulated board models (see wslab board -list)")
	var targets listFlag
	fs.Var(&targets, "target", "a real board's WebSocket URL (ws://host:port, or wss://); repeat or comma-separate for several; replaces the emulated boards")
	slots := fs.Int("slots", 4, "slots to assume for a real board")
	insecure := fs.Bool("insecure", false, "wss targets: accept any certificate (a board with a self-signed one)")
	caFile := fs.String("ca", "", "wss targets: trust the certificates in this PEM file too")
	tlsOn := fs.Bool("tls", false, "emulated boards terminate TLS as their model does (wss://, a self-signed certificate the load generator accepts, the handshake on the board's CPU); models without TLS are refused")
	jf := registerJobFlags(fs)
	var ff foreignFlags // the suite on a foreign server under a model's limits (lab_exec.go)
	ff.register(fs)
	execModel := fs.String("exec-model", "esp32-idf", "the board model put around the -exec server")
	var lf liveFlags // --live, --live-hold (liveflag.go)
	lf.register(fs)
	var lh labHealth // load's --serial, --stats-free, ... on every step (lab_health.go)
	lh.register(fs)
	human, code, ok := jf.parse(fs, args, "lab", stdout, stderr)
	if !ok {
		return code
	}
	if *tlsOn {
		if err := checkLabTLS(len(targets) > 0 || ff.exec != "", splitList(*models)); err != nil {
			fmt.Fprintln(stderr, "wslab lab:", err)
			return exitUsage
		}
	}
	if jf.twin != "" && len(targets) > 0 {
		fmt.Fprintln(stderr, "wslab lab: --model-file is an emulated board; --target replaces the emulated boards: drop one")
		return exitUsage
	}
	if jf.twin != "" && !flagSet(fs, "exec-model") {
		*execModel = jf.twin // the twin's limits around the -exec server
	}
	var probe lab.Options
	if err := lh.apply(&probe, len(targets) > 0 || ff.exec != "", human); err != nil {
		fmt.Fprintln(stderr, "wslab lab:", err)
		return exitUsage
	}
	if ff.exec != "" {
		b, n, err := startForeignTarget(&ff, *execModel, *jf.linkOff, stdout, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "wslab lab:", err)
			return 2
		}
		defer b.Close()
		if !flagSet(fs, "slots") {
			*slots = n
		}
		targets = append(targets, "ws://"+b.Addr().String()+"/ws")
	}
	ctx, stop := interruptible()
	defer stop()
	o := lab.Options{Targets: targets, Slots: *slots, LinkOff: *jf.linkOff, Results: *jf.results, Out: *jf.out,
		BoardExe: boardExe(*jf.inProcess), Status: human, Progress: progressWriter(stderr, *jf.quiet), Watch: probe.Watch,
		Insecure: *insecure, CAFile: *caFile, TLS: *tlsOn}
	if len(targets) == 0 {
		o.Models = jf.models(fs, *models)
	}
	lv, err := lf.start("lab", "wslab lab: "+strings.Join(append(append([]string{}, o.Models...), targets...), ", "), human, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "wslab lab:", err)
		return exitUsage
	}
	defer lf.stop(ctx, lv, stderr)
	if lv != nil {
		o.Observer = lv
	}
	start := time.Now()
	oc, err := lab.Lab(ctx, o)
	if lv != nil {
		lv.Done(err)
	}
	if oc != nil && len(oc.Runs) > 0 {
		fmt.Fprint(human, "\n== headline ==\n")
		lab.WriteHeadlines(human, oc.Runs)
	}
	return jf.finish(stdout, stderr, human, "lab", start, oc, err)
}

// checkLabTLS refuses --tls where it cannot apply, before anything runs:
// with real boards (or --exec), and with models whose boards serve no TLS.
func checkLabTLS(real bool, models []string) error {
	if real {
		return fmt.Errorf("--tls is for emulated boards: give a real board's wss:// URL to --target (with --insecure or --ca for a self-signed one)")
	}
	return lab.CheckTLS(models)
}
