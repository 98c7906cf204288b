// Package k8s tests the deployment files: the Indexed Job manifest decoded
// strictly with Kubernetes' own types, and the image's Dockerfile parsed with
// BuildKit's own parser. It is a nested module so that the main module does
// not depend on k8s.io or BuildKit; `make test` runs it.
package k8s

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const manifest = "loadgen-job.yaml"

// decodeJob decodes b as a batch/v1 Job the way the API server does, and
// strictly (kubectl apply --validate=strict): field names are
// case-sensitive, and an unknown or misspelt field, or a duplicate one, is
// an error. (sigs.k8s.io/yaml's UnmarshalStrict alone goes through
// encoding/json, which takes "fieldpath" for "fieldPath".)
func decodeJob(b []byte) (*batchv1.Job, error) {
	j, err := yaml.YAMLToJSONStrict(b)
	if err != nil {
		return nil, err
	}
	var job batchv1.Job
	strict, err := sigsjson.UnmarshalStrict(j, &job, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, errors.Join(strict...)
	}
	if job.APIVersion != "batch/v1" || job.Kind != "Job" {
		return nil, fmt.Errorf("apiVersion %q kind %q, want batch/v1 Job", job.APIVersion, job.Kind)
	}
	return &job, nil
}

// startAt fills the manifest's start-time placeholder as its header says
// (sed "s/__START_AT__/$START/").
func startAt(t *testing.T, b []byte) []byte {
	t.Helper()
	if !bytes.Contains(b, []byte("__START_AT__")) {
		t.Fatal("the manifest has no __START_AT__ placeholder for its header's sed line")
	}
	return bytes.ReplaceAll(b, []byte("__START_AT__"), []byte(time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC).Format(time.RFC3339)))
}

func readJob(t *testing.T) *batchv1.Job {
	t.Helper()
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	job, err := decodeJob(startAt(t, b))
	if err != nil {
		t.Fatalf("%s: %v", manifest, err)
	}
	return job
}

func env(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// The Job is Indexed, runs every shard at once and tells each its index,
// the shard count, the target and a start time, all through variables
// Kubernetes expands (the image has no shell).
func TestJobManifest(t *testing.T) {
	job := readJob(t)
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || s.Parallelism == nil || *s.Completions != *s.Parallelism || *s.Completions < 1 {
		t.Fatalf("completions %v parallelism %v: the shards must all run at once", s.Completions, s.Parallelism)
	}
	if p := s.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q: a restarted shard would measure twice", p)
	}
	cs := s.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("%d containers, want 1", len(cs))
	}
	c := cs[0]
	if len(c.Command) != 0 {
		t.Errorf("command %q overrides the image's wslab entrypoint", c.Command)
	}
	if len(c.VolumeMounts) != 0 || len(s.Template.Spec.Volumes) != 0 {
		t.Errorf("volumes: results go to the pod log (--out -), no shared volume is needed")
	}
	ev := env(c)
	if n, err := strconv.Atoi(ev["SHARDS"].Value); err != nil || int32(n) != *s.Completions {
		t.Errorf("SHARDS=%q, completions %d: they must be equal", ev["SHARDS"].Value, *s.Completions)
	}
	idx := ev["SHARD_INDEX"].ValueFrom
	if idx == nil || idx.FieldRef == nil || idx.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("SHARD_INDEX must come from the completion index annotation, got %+v", idx)
	}
	if _, err := time.Parse(time.RFC3339, ev["START_AT"].Value); err != nil {
		t.Errorf("START_AT after the sed line: %v", err)
	}
	args := strings.Join(c.Args, " ")
	for _, m := range varRef.FindAllStringSubmatch(args, -1) {
		if _, ok := ev[m[1]]; !ok {
			t.Errorf("args use $(%s), which env does not define (Kubernetes would leave it as is)", m[1])
		}
	}
	for _, want := range []string{"--shard=$(SHARD_INDEX)/$(SHARDS)", "--start-at=$(START_AT)", "--out=-", "--target=$(TARGET)"} {
		if !slices.Contains(c.Args, want) {
			t.Errorf("args lack %s: %q", want, c.Args)
		}
	}
	if len(c.Args) == 0 || c.Args[0] != "load" {
		t.Errorf("args %q: want wslab load", c.Args)
	}
}

// The strict decoding bites: misspelt, unknown, mistyped and duplicate
// fields all fail, as would a manifest that is not a Job.
func TestJobManifestStrict(t *testing.T) {
	orig, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	good := startAt(t, orig)
	for name, edit := range map[string]func(string) string{
		"misspelt spec field":      func(s string) string { return strings.Replace(s, "parallelism:", "paralellism:", 1) },
		"misspelt container field": func(s string) string { return strings.Replace(s, "          args:", "          arg:", 1) },
		"misspelt env field":       func(s string) string { return strings.Replace(s, "fieldPath:", "fieldpath:", 1) },
		"wrong type":               func(s string) string { return strings.Replace(s, "completions: 4", "completions: four", 1) },
		"duplicate field": func(s string) string {
			return strings.Replace(s, "  backoffLimit: 0", "  backoffLimit: 0\n  backoffLimit: 1", 1)
		},
		"field in the wrong place": func(s string) string {
			return strings.Replace(s, "      restartPolicy: Never", "      restartPolicy: Never\n      completions: 4", 1)
		},
		"not a Job": func(s string) string { return strings.Replace(s, "kind: Job", "kind: CronJob", 1) },
	} {
		bad := edit(string(good))
		if bad == string(good) {
			t.Errorf("%s: the edit changed nothing; fix the test", name)
			continue
		}
		if _, err := decodeJob([]byte(bad)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// The Dockerfile parses with BuildKit's own parser, every instruction is
// one BuildKit knows, the build is multi-stage with a static binary built by
// the Makefile's own command, on a Go image new enough for go.mod.
func TestDockerfile(t *testing.T) {
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var lintErrs []string
	lint := linter.New(&linter.Config{Warn: func(rule, desc, url, msg string, loc []parser.Range) {
		lintErrs = append(lintErrs, rule+": "+msg)
	}})
	stages, _, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		lintErrs = append(lintErrs, w.Short)
	}
	if len(lintErrs) > 0 {
		t.Errorf("BuildKit warnings: %q", lintErrs)
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}

	makeBuild := makefileBuild(t)
	build, final := stages[0], stages[len(stages)-1]
	var runs []string
	static := false
	for _, c := range build.Commands {
		switch c := c.(type) {
		case *instructions.RunCommand:
			runs = append(runs, strings.Join(c.CmdLine, " "))
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Key == "CGO_ENABLED" && kv.Value == "0" {
					static = true
				}
			}
		}
	}
	if !static {
		t.Errorf("the build stage does not set CGO_ENABLED=0: the binary would not be static")
	}
	if !slices.ContainsFunc(runs, func(r string) bool { return strings.Contains(r, makeBuild) }) {
		t.Errorf("no RUN in the build stage runs the Makefile's build command %q; RUNs: %q", makeBuild, runs)
	}
	goMod := goDirective(t)
	if !strings.HasPrefix(build.BaseName, "golang:") || !atLeast(strings.TrimPrefix(build.BaseName, "golang:"), goMod) {
		t.Errorf("build stage FROM %s: want golang:X with X >= go.mod's go %s", build.BaseName, goMod)
	}
	var copied, entry bool
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			copied = copied || c.From == build.Name && slices.Contains(c.SourcePaths, "/src/bin/wslab")
		case *instructions.EntrypointCommand:
			entry = len(c.CmdLine) == 1 && !c.PrependShell && strings.HasSuffix(c.CmdLine[0], "/wslab")
		}
	}
	if !copied || !entry {
		t.Errorf("the last stage must copy /src/bin/wslab from %q (%v) and run it as the exec-form ENTRYPOINT (%v)", build.Name, copied, entry)
	}
}

// makefileBuild returns the Makefile's build command with $(GO) as go.
func makefileBuild(t *testing.T) string {
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "\nbuild:\n\t")
	if !ok {
		t.Fatal("Makefile has no build target")
	}
	line, _, _ := strings.Cut(after, "\n")
	return strings.ReplaceAll(line, "$(GO)", "go")
}

func goDirective(t *testing.T) string {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

// atLeast reports whether the image tag (1.26, 1.26.3, 1.26-bookworm)
// provides go version want (1.26.0): a tag without a patch is the newest
// patch release.
func atLeast(tag, want string) bool {
	tag, _, _ = strings.Cut(tag, "-")
	tv, wv := strings.Split(tag, "."), strings.Split(want, ".")
	for i := range wv {
		if i >= len(tv) {
			return true
		}
		a, err1 := strconv.Atoi(tv[i])
		b, err2 := strconv.Atoi(wv[i])
		if err1 != nil || err2 != nil {
			return false
		}
		if a != b {
			return a > b
		}
	}
	return true
}

func TestAtLeast(t *testing.T) {
	for _, c := range []struct {
		tag, want string
		ok        bool
	}{{"1.26", "1.26.0", true}, {"1.26.3", "1.26.0", true}, {"1.25", "1.26.0", false}, {"1.26.0", "1.26.2", false},
		{"1.27-bookworm", "1.26.0", true}, {"latest", "1.26.0", false}, {"2", "1.26.0", true}} {
		if got := atLeast(c.tag, c.want); got != c.ok {
			t.Errorf("atLeast(%q, %q) = %v", c.tag, c.want, got)
		}
	}
}
