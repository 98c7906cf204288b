package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/wslab/wslab/results"
)

// runMerge is `wslab merge`: read shard records, results.MergeShards them,
// and write the merged run to --out FILE or into the --results store
// (default results.DefaultDir), never overwriting. It prints the path
// written. Missing shards refuse the merge unless --partial. Exit status:
// 0 merged, 1 a file could not be read, shards are missing, the runs do
// not merge or the write failed, 2 usage.
func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the merged run to `FILE` (must not exist)")
	dir := fs.String("results", "", "save the merged run in the results folder `DIR` (default "+results.DefaultDir+")")
	partial := fs.Bool("partial", false, "write the merge even when shards are missing (it then covers only part of the load)")
	fromLogs := fs.Bool("from-logs", false, "the files are logs (kubectl logs output, - for stdin) holding the records that wslab load --out - printed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: wslab merge SHARD.json... [--out FILE | --results DIR]")
		fmt.Fprintln(stderr, "       wslab merge --from-logs POD.log|-... [--out FILE | --results DIR]\n\nflags:")
		fs.PrintDefaults()
	}
	files, err := flagsAnywhere(fs, args)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if len(files) == 0 || (*out != "" && *dir != "") {
		if *out != "" && *dir != "" {
			fmt.Fprintln(stderr, "wslab merge: give --out or --results, not both")
		}
		fs.Usage()
		return 2
	}
	read := readRunFiles
	if *fromLogs {
		read = readLogFiles // merge_logs.go
	}
	runs, bad := read(files)
	if len(bad) > 0 {
		for _, e := range bad {
			fmt.Fprintf(stderr, "wslab merge: %v\n", e)
		}
		return 1
	}
	m, err := results.MergeShards(runs)
	if err != nil {
		fmt.Fprintf(stderr, "wslab merge: %v\n", err)
		return 1
	}
	if miss := m.Merged.Missing(); len(miss) > 0 {
		if !*partial {
			fmt.Fprintf(stderr, "wslab merge: shards %v of %d are missing: the merge would cover %d of %d; nothing written (--partial writes it anyway)\n",
				miss, m.Merged.Of, len(m.Merged.Shards), m.Merged.Of)
			return 1
		}
		fmt.Fprintf(stderr, "wslab merge: warning: shards %v of %d are missing; the merged run covers %d of %d\n",
			miss, m.Merged.Of, len(m.Merged.Shards), m.Merged.Of)
		m.Notes = append(m.Notes, fmt.Sprintf("partial merge: shards %v of %d missing", miss, m.Merged.Of))
	}
	path := *out
	if path != "" {
		err = results.WriteFile(path, m)
	} else {
		var s *results.Store
		if s, err = results.Open(*dir); err == nil {
			path, err = s.Save(m)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "wslab merge: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, path)
	return 0
}
