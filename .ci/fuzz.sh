#!/usr/bin/env bash
# Runs every Fuzz target of the given packages for FUZZTIME each (go test
# -fuzz takes one target at a time). A target that fails only with the
# fuzzer's own "context deadline exceeded" (the fuzz time ran out while the
# coordinator was still minimizing a new input; no failing input written)
# is run once more; any other failure fails at once.
set -uo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5s}
for p in "$@"; do
  for f in $($GO test -list '^Fuzz' "$p" | grep '^Fuzz'); do
    echo "== $p $f"
    for try in 1 2; do
      out=$($GO test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 5s "$p" 2>&1)
      rc=$?
      echo "$out"
      [ $rc -eq 0 ] && break
      if [ $try -eq 1 ] && grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
        echo "== $p $f: the fuzzer's own deadline, no failing input: once more"
        continue
      fi
      exit 1
    done
  done
done
