#!/bin/sh
# Measures issue 16's event-loop figures in one run, on a 2-core machine:
# servers pinned to CPU 0, clients to CPU 1, everything interleaved over
# PASSES passes (default 3), in CPU time (counting, not wall time: the
# machine may be shared).
#
#   bench/peers/loopcpu.sh [passes]
#
# board:     the emulated board (wslab board, CPU model, link and tails
#            off) and gobwas (goroutine per connection on the net poller,
#            zero-allocation path) each echo 64 B to a plain Go client on
#            16 connections for DUR seconds (default 4): server CPU per
#            message (its threads' schedstat) and messages/s.
# generator: wslab load --scenario echo and the plain Go client against the
#            board: generator CPU per message (getrusage via /usr/bin/time,
#            process start-up included).
# pacing:    wslab load --scenario rate --rate 5000: send lateness, beside
#            the scheduler's floor on the same core (a thread spinning to
#            each due time), which bounds what any pacer can do there.
# ramp:      wslab load --scenario connect --conns 1000: the generator's
#            ramp figure; with PERF=1 also the server-observed span (first
#            accept4 to the last 101 written, from perf tracepoints).
# STRACE=1 adds system calls per message of each server (strace -c -f,
# which slows it: counts only).
set -eu
cd "$(dirname "$0")"
passes=${1:-3}
dur=${DUR:-4}
bin=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$bin"
}
trap cleanup EXIT
"${GO:-go}" build -o "$bin/loopcpu" ./loopcpu
(cd ../.. && "${GO:-go}" build -o "$bin/wslab" .)
L=$bin/loopcpu
W=$bin/wslab
board() { taskset -c 0 "$W" board --model custom --slots 1100 --link off --cpu off --tails off --listen "$1" >/dev/null 2>&1 & pids="$pids $!"; }
board 127.0.0.1:19101
BP=$!
taskset -c 0 "$L" -mode gobwas -addr 127.0.0.1:19100 & pids="$pids $!"
GP=$!
sleep 1
cpu() { "$L" -mode cpu -pid "$1"; }
echo "load average: $(cat /proc/loadavg)"
echo "== board vs gobwas: server CPU per 64 B echo, 16 conns, server on CPU 0, client on CPU 1"
i=0
while [ "$i" -lt "$passes" ]; do
	i=$((i + 1))
	for who in board gobwas; do
		if [ $who = board ]; then P=$BP A=127.0.0.1:19101; else P=$GP A=127.0.0.1:19100; fi
		c0=$(cpu $P)
		n=$(taskset -c 1 "$L" -mode client -addr $A -conns 16 -size 64 -d "${dur}s")
		c1=$(cpu $P)
		echo "pass $i $who: $n msgs, $((n / dur)) msgs/s, server CPU $(((c1 - c0) / 1000000)) ms, $(((c1 - c0) / n)) ns/msg"
	done
done
if [ "${STRACE:-}" = 1 ]; then
	for who in board gobwas; do
		if [ $who = board ]; then P=$BP A=127.0.0.1:19101; else P=$GP A=127.0.0.1:19100; fi
		strace -c -f -q -p $P -o "$bin/st" &
		S=$!
		sleep 1
		n=$(taskset -c 1 "$L" -mode client -addr $A -conns 16 -size 64 -d 2s)
		kill -INT $S
		wait $S || true
		echo "$who under strace ($n msgs): $(awk -v n="$n" 'NR>2 && $NF!="total" && $4+0>0 {printf "%s %.4f/msg  ", $NF, $4/n}' "$bin/st")"
	done
fi
echo "== generator CPU per message: wslab load vs the plain Go client, 64 B echo x 16 against the board"
# User and kernel time apart: one write and one read per message is the
# fewest a socket client can make, and the kernel's share of them (the
# write carries the segment through loopback into the board's socket) is
# the floor no user-space change moves. STRACE=1 counts the calls.
split='{printf "%.2f µs/msg (user %.2f, kernel %.2f)", ($1+$2)*1e6/n, $1*1e6/n, $2*1e6/n}'
i=0
while [ "$i" -lt "$passes" ]; do
	i=$((i + 1))
	/usr/bin/time -f "%U %S" -o "$bin/t" taskset -c 1 "$W" load --target ws://127.0.0.1:19101/ws --scenario echo --conns 16 --size 64 --duration "${dur}s" >"$bin/out" 2>&1
	n=$(awk '/^messages/{print $4}' "$bin/out")
	echo "pass $i wslab load: $n msgs, $(tail -1 "$bin/t" | awk -v n="$n" "$split")"
	/usr/bin/time -f "%U %S" -o "$bin/t" taskset -c 1 "$L" -mode client -addr 127.0.0.1:19101 -conns 16 -size 64 -d "${dur}s" >"$bin/out"
	n=$(cat "$bin/out")
	echo "pass $i plain Go:   $n msgs, $(tail -1 "$bin/t" | awk -v n="$n" "$split")"
done
if [ "${STRACE:-}" = 1 ]; then
	strace -c -f -q -o "$bin/st" taskset -c 1 "$W" load --target ws://127.0.0.1:19101/ws --scenario echo --conns 16 --size 64 --duration 2s >"$bin/out" 2>&1
	n=$(awk '/^messages/{print $4}' "$bin/out")
	echo "wslab load under strace ($n msgs): $(awk -v n="$n" 'NR>2 && $NF!="total" && $4+0>0 {printf "%s %.4f/msg  ", $NF, $4/n}' "$bin/st")"
	strace -c -f -q -o "$bin/st" taskset -c 1 "$L" -mode client -addr 127.0.0.1:19101 -conns 16 -size 64 -d 2s >"$bin/out"
	n=$(cat "$bin/out")
	echo "plain Go under strace ($n msgs): $(awk -v n="$n" 'NR>2 && $NF!="total" && $4+0>0 {printf "%s %.4f/msg  ", $NF, $4/n}' "$bin/st")"
fi
echo "== send lateness at 5,000 msgs/s (16 conns, 64 B) beside the scheduler's floor on CPU 1"
i=0
while [ "$i" -lt "$passes" ]; do
	i=$((i + 1))
	taskset -c 1 "$W" load --target ws://127.0.0.1:19101/ws --scenario rate --rate 5000 --conns 16 --size 64 --duration "${dur}s" >"$bin/out" 2>&1
	echo "pass $i wslab load: $(grep send_lateness "$bin/out" | sed 's/  */ /g')"
	echo "pass $i $(taskset -c 1 "$L" -mode floor -d "${dur}s")"
	echo "pass $i load average: $(cat /proc/loadavg)"
done
echo "== 1,000 connections"
i=0
while [ "$i" -lt "$passes" ]; do
	i=$((i + 1))
	if [ "${PERF:-}" = 1 ]; then
		perf record -q -m 2048 -o "$bin/perf.data" -e syscalls:sys_exit_accept4 -e syscalls:sys_enter_write -p $BP >/dev/null 2>&1 &
		S=$!
		sleep 1.5
	fi
	taskset -c 1 "$W" load --target ws://127.0.0.1:19101/ws --scenario connect --conns 1000 --duration 1s >"$bin/out" 2>&1
	srv=""
	if [ "${PERF:-}" = 1 ]; then
		kill -INT $S
		wait $S || true
		# The 101 the board writes is 129 bytes (0x81).
		srv=$(perf script -i "$bin/perf.data" -F time,event,trace 2>/dev/null | awk '
			/sys_exit_accept4/ { if ($NF !~ /^0xf/ && !f) f = $1 + 0 }
			/sys_enter_write/ && $NF == "0x00000081" { n++; l = $1 + 0 }
			END { printf "; server-observed: %d upgrades, first accept to last 101 %.1f ms", n, (l - f) * 1000 }')
	fi
	echo "pass $i $(grep -o 'ramp: [0-9]* connections opened in [^ ]*' "$bin/out")$srv"
	sleep 1
done
