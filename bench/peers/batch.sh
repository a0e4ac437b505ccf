#!/usr/bin/env bash
# Minibatches side by side: for each case PyTorch 1.13 (Debian's python3-torch, one
# thread) and chronograd's full BPTT run one after the other, forward and backward of a
# minibatch of B sequences of T = 100 steps (input size n, one output, a target at every
# step), ROUNDS times (default 3) alternately. Prints the medians, the ratio of the medians,
# the lowest and highest of the rounds' own ratios (PyTorch's time over chronograd's in the
# same round: how far the host moves the ratio), chronograd's GFLOP/s (its FLOP model,
# 3(F + R) per step and sequence) and, for LSTM n = 512 at B = 32, chronograd on two
# workers (its median over the same rounds).
#   bash bench/peers/batch.sh            (from the repository root)
#   CELLS="lstm" SIZES="512" BATCHES="32" bash bench/peers/batch.sh
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
if ! $py -c 'import torch' 2>/dev/null; then
	echo "(torch is not installed for $py: apt-get install python3-torch)"
	exit 1
fi
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-9s %4s %3s  %16s  %16s  %7s  %13s  %9s  %16s\n' cell n B "pytorch ms/batch" "chronograd ms" ratio "round ratios" "GFLOP/s" "2 workers ms"
for cell in ${CELLS:-rnn_tanh gru lstm}; do
	for n in ${SIZES:-128 512}; do
		for B in ${BATCHES:-1 8 32}; do
			# ROUNDS alternations of the two, medians of each: single runs of either move
			# by up to 30% on a shared machine.
			# LSTM n = 512, B = 32 also runs on two workers in every round, after the
			# single worker, so that the two see the same hour of the host.
			pts=() cgs=() gfs=() twos=()
			for _ in $(seq "${ROUNDS:-3}"); do
				pts+=("$($py bench/peers/peers.py torchbatch "$cell" "$n" "$B" | jq -r .ms_per_minibatch)")
				row=$("$bin" bench -cell "$cell" -hidden "$n" -input "$n" -T 100 -batch "$B" -algo bptt -json -repeats 5 -min-time 300ms)
				cgs+=("$(jq -r '.ns_per_step * 100 / 1e6' <<<"$row")")
				gfs+=("$(jq -r .gflops <<<"$row")")
				if [ "$cell" = lstm ] && [ "$n" = 512 ] && [ "$B" = 32 ]; then
					twos+=("$("$bin" bench -cell "$cell" -hidden "$n" -input "$n" -T 100 -batch "$B" -workers 2 -algo bptt -json -repeats 5 -min-time 300ms | jq -r '.ns_per_step * 100 / 1e6')")
				fi
			done
			pt=$(median "${pts[@]}"); cg=$(median "${cgs[@]}"); gf=$(median "${gfs[@]}")
			rounds=$(paste -d' ' <(printf '%s\n' "${pts[@]}") <(printf '%s\n' "${cgs[@]}") |
				awk '{ r = $1 / $2; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r } END { printf "%.2f-%.2fx", lo, hi }')
			two="-"
			if [ ${#twos[@]} -gt 0 ]; then
				two=$(printf '%.3f' "$(median "${twos[@]}")")
			fi
			printf '%-9s %4s %3s  %16.3f  %16.3f  %6.2fx  %13s  %9.1f  %16s\n' "$cell" "$n" "$B" "$pt" "$cg" "$(awk -v a="$pt" -v b="$cg" 'BEGIN { print a / b }')" "$rounds" "$gf" "$two"
		done
	done
done
