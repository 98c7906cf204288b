package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The CI recipes (examples/github, deploy/k8s) call wslab; these tests keep
// them in step with the commands and flags that exist.

var flagLine = regexp.MustCompile(`(?m)^\s+-([A-Za-z0-9][A-Za-z0-9-]*)`)

// commandFlags returns the flags `wslab cmd -h` lists, or nil and false if
// there is no such command.
func commandFlags(t *testing.T, cmd string) (map[string]bool, bool) {
	t.Helper()
	if _, ok := commands[cmd]; !ok {
		return nil, false
	}
	var stdout, stderr bytes.Buffer
	run([]string{cmd, "-h"}, &stdout, &stderr)
	flags := map[string]bool{"h": true, "help": true}
	for _, m := range flagLine.FindAllStringSubmatch(stdout.String()+stderr.String(), -1) {
		flags[m[1]] = true
	}
	if len(flags) == 2 {
		t.Fatalf("wslab %s -h lists no flags:\n%s%s", cmd, stdout.String(), stderr.String())
	}
	return flags, true
}

// invocation is one `wslab CMD --flag value ...` found in a script.
type invocation struct {
	where string
	cmd   string
	flags map[string]string // name without dashes -> value ("" for a bare flag)
}

var shellEnd = map[string]bool{"|": true, "||": true, "&&": true, ";": true, "2>&1": true, ">": true, ">>": true}

// findInvocations finds the wslab commands in shell text (backslash
// continuations joined).
func findInvocations(where, script string) []invocation {
	script = strings.ReplaceAll(script, "\\\n", " ")
	var out []invocation
	for line := range strings.Lines(script) {
		f := strings.Fields(line)
		for i := 0; i < len(f); i++ {
			if f[i] != "wslab" || i+1 >= len(f) || (i > 0 && !shellEnd[f[i-1]] && f[i-1] != "then" && f[i-1] != "do") {
				continue
			}
			inv := invocation{where: where, cmd: f[i+1], flags: map[string]string{}}
			for j := i + 2; j < len(f) && !shellEnd[f[j]]; j++ {
				if !strings.HasPrefix(f[j], "-") || f[j] == "-" {
					continue
				}
				name, val, eq := strings.Cut(strings.TrimLeft(f[j], "-"), "=")
				if !eq && j+1 < len(f) && !strings.HasPrefix(f[j+1], "-") && !shellEnd[f[j+1]] {
					val = f[j+1]
				}
				inv.flags[name] = strings.Trim(val, `"'`)
			}
			out = append(out, inv)
		}
	}
	return out
}

// checkInvocations fails the test for a command or flag wslab lacks.
func checkInvocations(t *testing.T, invs []invocation) {
	t.Helper()
	for _, inv := range invs {
		flags, ok := commandFlags(t, inv.cmd)
		if !ok {
			t.Errorf("%s: wslab %s: no such command", inv.where, inv.cmd)
			continue
		}
		for name := range inv.flags {
			if !flags[name] {
				t.Errorf("%s: wslab %s has no flag --%s", inv.where, inv.cmd, name)
			}
		}
	}
}

type workflow struct {
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []step `yaml:"steps"`
	} `yaml:"jobs"`
}

type step struct {
	Name            string            `yaml:"name"`
	Uses            string            `yaml:"uses"`
	Run             string            `yaml:"run"`
	Shell           string            `yaml:"shell"`
	If              string            `yaml:"if"`
	With            map[string]string `yaml:"with"`
	Env             map[string]string `yaml:"env"`
	ContinueOnError bool              `yaml:"continue-on-error"`
}

const workflowFile = "examples/github/wslab.yml"

func readWorkflow(t *testing.T) workflow {
	t.Helper()
	b, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&wf); err != nil {
		t.Fatalf("%s: %v", workflowFile, err)
	}
	return wf
}

// The users' workflow parses, runs on pull requests, calls only commands
// and flags wslab has, runs the lab and the gate, uploads the folder the
// lab writes even when a step failed, comments the lab's output, and keeps
// the exit status of every piped wslab command.
func TestGitHubWorkflow(t *testing.T) {
	wf := readWorkflow(t)
	if _, ok := wf.On["pull_request"]; !ok {
		t.Errorf("the workflow does not run on pull_request: on = %v", wf.On)
	}
	if len(wf.Jobs) == 0 {
		t.Fatal("no jobs")
	}
	var invs []invocation
	ran := map[string]invocation{}
	var uploads, teed []string
	var commented bool
	for name, job := range wf.Jobs {
		for i, s := range job.Steps {
			where := workflowFile + ": job " + name + " step " + s.Name
			if s.Uses != "" {
				action, ver, ok := strings.Cut(s.Uses, "@")
				if !ok || !regexp.MustCompile(`^v\d+$`).MatchString(ver) {
					t.Errorf("%s: uses %q: pin an action to a major version (@v4)", where, s.Uses)
				}
				if action == "actions/upload-artifact" {
					if !strings.Contains(s.If, "always()") && !strings.Contains(s.If, "!cancelled()") {
						t.Errorf("%s: uploads only when every step passed (if: %q); a failed lab's report is the one to look at", where, s.If)
					}
					uploads = append(uploads, strings.Fields(s.With["path"])...)
				}
				if action == "actions/setup-go" {
					if f := s.With["go-version-file"]; f != "" {
						if _, err := os.Stat(f); err != nil {
							t.Errorf("%s: go-version-file: %v", where, err)
						}
					}
				}
			}
			if s.Run == "" {
				continue
			}
			found := findInvocations(where, s.Run)
			invs = append(invs, found...)
			for _, inv := range found {
				ran[inv.cmd] = inv
			}
			// GitHub runs `run` with bash -e, without pipefail, unless
			// the step names its shell: `wslab ... | tee` would then pass
			// whatever wslab exits with.
			if strings.Contains(s.Run, "| tee") && len(found) > 0 && s.Shell != "bash" && !strings.Contains(s.Run, "pipefail") {
				t.Errorf("%s: pipes wslab into tee without pipefail (set shell: bash)", where)
			}
			for _, m := range regexp.MustCompile(`\| tee (\S+)`).FindAllStringSubmatch(s.Run, -1) {
				teed = append(teed, m[1])
			}
			if strings.Contains(s.Run, "gh pr comment") {
				commented = true
				if s.Env["GH_TOKEN"] == "" {
					t.Errorf("%s: gh needs GH_TOKEN", where)
				}
				if !strings.Contains(s.Run, "lab.txt") {
					t.Errorf("%s: the comment does not carry the lab's output", where)
				}
				if i == 0 {
					t.Errorf("%s: comments before anything ran", where)
				}
			}
		}
	}
	checkInvocations(t, invs)

	lab, ok := ran["lab"]
	if !ok {
		t.Fatal("the workflow does not run wslab lab")
	}
	if _, ok := ran["gate"]; !ok {
		t.Error("the workflow does not run wslab gate")
	} else if !strings.Contains(ran["gate"].flags["against"], "GITHUB_BASE_REF") {
		t.Errorf("the gate is not against the pull request's base: --against %q", ran["gate"].flags["against"])
	}
	out := lab.flags["out"]
	if out == "" {
		out = "wslab-report" // the lab's default
	}
	if !slices.Contains(uploads, out) {
		t.Errorf("the artifact holds %q, not the lab's report folder %q", uploads, out)
	}
	if !slices.Contains(teed, "lab.txt") || !commented {
		t.Errorf("the lab's output is not kept in lab.txt (%q) for the comment (%v)", teed, commented)
	}
}

// The findInvocations and flag checks bite: a command or flag that does not
// exist is found.
func TestRecipeCheckBites(t *testing.T) {
	invs := findInvocations("x", "set -e\nwslab labb --quiet | tee x\nfoo && wslab lab --modles a --out=r 2>&1\n"+
		"go install github.com/wslab/wslab@latest\n  wslab merge --from-logs - \\\n  --out m.json\n")
	if len(invs) != 3 || invs[0].cmd != "labb" || invs[1].flags["out"] != "r" || invs[2].flags["out"] != "m.json" {
		t.Fatalf("found %+v", invs)
	}
	var errs []string
	for _, inv := range invs {
		flags, ok := commandFlags(t, inv.cmd)
		if !ok {
			errs = append(errs, "no command "+inv.cmd)
			continue
		}
		for f := range inv.flags {
			if !flags[f] {
				errs = append(errs, "no flag "+f)
			}
		}
	}
	slices.Sort(errs)
	if strings.Join(errs, ";") != "no command labb;no flag modles" {
		t.Errorf("errors %q", errs)
	}
}

// The command lines in the recipes' READMEs and in the Job manifest (its
// header and its args) name commands and flags that exist.
func TestRecipeDocs(t *testing.T) {
	var invs []invocation
	for _, f := range []string{"examples/github/README.md", "deploy/k8s/loadgen-job.yaml", "deploy/Dockerfile"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			// Commands are indented: by four spaces in Markdown, by "#   "
			// in a comment.
			code, comment := strings.CutPrefix(line, "#")
			if comment && !strings.HasPrefix(code, "   ") || !comment && !strings.HasPrefix(code, "    ") {
				continue
			}
			invs = append(invs, findInvocations(f+":"+strconv.Itoa(i+1), strings.TrimSpace(code))...)
		}
	}
	// Paths the recipes name exist in this repository.
	for _, f := range []string{"examples/github/README.md", workflowFile, "deploy/k8s/loadgen-job.yaml", "deploy/Dockerfile", "README.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range regexp.MustCompile(`\b(?:examples|deploy)/[A-Za-z0-9_./-]*[A-Za-z0-9_]`).FindAllString(string(b), -1) {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s names %s: %v", f, p, err)
			}
		}
	}

	var mergeLogs bool
	for _, inv := range invs {
		_, ok := inv.flags["from-logs"]
		mergeLogs = mergeLogs || inv.cmd == "merge" && ok
	}
	if !mergeLogs {
		t.Error("the Job manifest does not say how to merge the shards from the pod logs")
	}
	checkInvocations(t, invs)

	// The Job's container args are `wslab load` flags (the image's
	// entrypoint is wslab).
	var job struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Args []string `yaml:"args"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	b, err := os.ReadFile(filepath.Join("deploy", "k8s", "loadgen-job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	cs := job.Spec.Template.Spec.Containers
	if len(cs) != 1 || len(cs[0].Args) == 0 {
		t.Fatalf("containers %+v", cs)
	}
	checkInvocations(t, findInvocations("deploy/k8s/loadgen-job.yaml args", "wslab "+strings.Join(cs[0].Args, " ")))
}
