#!/bin/sh
# Runs the peer comparison and prints benchstat's table with one column per
# library (gobwas first: the base the others are compared with).
#
#   bench/peers/bench.sh [count]    (default 6; any extra go test flags via GOFLAGS)
#
# Needs benchstat: go install golang.org/x/perf/cmd/benchstat@latest
set -eu
cd "$(dirname "$0")"
out=${PEERS_OUT:-/tmp/peers.txt}
go test -run '^$' -bench . -count "${1:-6}" | tee "$out"
benchstat -col /impl "$out"
