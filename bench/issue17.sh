#!/usr/bin/env bash
# bench/issue17.sh [ROUNDS] [OLD]: the measurements behind bench/RESULTS.md's section
# "Sparse cells, SnAp-2 and RTRL at the Gemm roof (issue 17)". Every benchmark runs once
# per round, the rounds one after the other, so that a shared machine's load falls on
# every variant alike; with OLD (a revision) exact RTRL's step is timed at OLD too, in the
# same rounds. Benchmarks report cpu-ns/op or cpu-GFLOP/s (the process's CPU time), the
# two-worker update wall-clock GFLOP/s. Prints the raw benchmark lines, each prefixed with
# its round and variant, then the medians (bench/issue17_summary.py).
#
#   bench/issue17.sh 5 b9cef40^ > /tmp/issue17.txt
set -euo pipefail
rounds=${1:-5}
old=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

(cd "$root" && go test -c -o "$tmp/k.test" ./kernels && go test -c -o "$tmp/r.test" ./rtrl)
if [ -n "$old" ]; then
	git -C "$root" worktree add --detach "$tmp/old" "$old" >/dev/null 2>&1
	(cd "$tmp/old" && go test -c -o "$tmp/rold.test" ./rtrl)
fi

run() { # variant binary pattern benchtime
	"$2" -test.run '^$' -test.bench "$3" -test.benchtime "$4" 2>/dev/null | grep '^Benchmark' | sed "s/^/$r $1 /"
}

echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, $(go version | cut -d' ' -f3), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
	run new "$tmp/k.test" 'GemmMicroKernel/6x16' 300ms
	run new "$tmp/r.test" 'BenchmarkRTRL/rtrl/cell=(rnn_tanh|gru|lstm)/n=(64|128)$' 10x
	[ -n "$old" ] && run old "$tmp/rold.test" 'BenchmarkRTRL/rtrl/cell=(rnn_tanh|gru|lstm)/n=(64|128)$' 10x
	run new "$tmp/r.test" 'BenchmarkRTRLUpdate/cell=rnn_tanh/n=(64|128)/' 10x
	run new "$tmp/k.test" 'BenchmarkSparseMatT?Vec/(avx2|generic)/' 50ms
	run new "$tmp/r.test" 'BenchmarkSnAp2/' 10x
	run new "$tmp/r.test" 'BenchmarkRTRL/(rtrl|snap1|snap2)/cell=(rnn_tanh|gru)/n=(32|128)$' 10x
done
echo "# end $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
