// Package results holds what a wslab scenario run measured, and what can be
// done with it afterwards.
//
// It promises:
//
//   - Run, a versioned JSON record (SchemaVersion) of one scenario run: what
//     ran (scenario and parameters, board model and its full configuration,
//     target URL, host, commit, Go version, start and end) and what was
//     measured (counts, errors by kind, HDR latency histograms in
//     microseconds overall and per interval, per-interval throughput, and the
//     board's heap series sampled on the same clock). Reading checks the
//     schema version and names the file, the version found and the one
//     expected when they differ.
//   - Store, a folder with one file per run. Writes are atomic and never
//     overwrite: a record is either absent or complete, and two writers can
//     never clobber each other. Reading a folder skips truncated, corrupted or
//     foreign-version files and reports each by name, without stopping.
//   - Merge and MergeShards, which combine the shards of one run written by
//     several load generator processes: histograms merge exactly, counts add,
//     and runs of different scenarios are refused.
//   - Compare, which tells for each summary figure (throughput, p50, p99,
//     p99.9, errors, heap) the change between two sets of runs and whether it
//     is significant, with a Mann-Whitney U-test from golang.org/x/perf's
//     benchmath; with too few runs it says so instead of guessing.
//
// Latency values are microseconds everywhere in this package.
package results
