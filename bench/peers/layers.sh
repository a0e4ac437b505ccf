#!/usr/bin/env bash
# Stacks side by side: PyTorch 1.13 (one thread, batch 1) and chronograd's full BPTT over
# T = 100 steps (I = n = 128, one output), one layer and two, case by case. Prints each
# one's time per sequence, its two-layer/one-layer ratio, and chronograd's speed-up over
# PyTorch at one and two layers.
#   bash bench/peers/layers.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
py=/usr/bin/python3
bin=$(mktemp -d)/chronograd
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/chronograd
. bench/peers/header.sh
peers_header
n=${N:-128}
printf '%-9s %4s  %10s %10s %6s  %10s %10s %6s  %8s %8s\n' cell n "pt L=1 ms" "pt L=2 ms" ratio "cg L=1 ms" "cg L=2 ms" ratio "x L=1" "x L=2"
for cell in rnn_tanh gru lstm; do
	declare -A pt cg
	for L in 1 2; do
		pt[$L]=$($py bench/peers/peers.py torchlayers "$cell" "$n" "$L" | jq -r .ms_per_sequence)
		ns=$("$bin" bench -cell "$cell" -hidden "$n" -input "$n" -T 100 -layers "$L" -algo bptt -json -repeats 5 -min-time 300ms | jq -r .ns_per_step)
		cg[$L]=$(awk -v ns="$ns" 'BEGIN { printf "%.3f", ns * 100 / 1e6 }')
	done
	awk -v c="$cell" -v n="$n" -v p1="${pt[1]}" -v p2="${pt[2]}" -v c1="${cg[1]}" -v c2="${cg[2]}" \
		'BEGIN { printf "%-9s %4s  %10.3f %10.3f %5.2fx  %10.3f %10.3f %5.2fx  %7.1fx %7.1fx\n", c, n, p1, p2, p2/p1, c1, c2, c2/c1, p1/c1, p2/c2 }'
done
