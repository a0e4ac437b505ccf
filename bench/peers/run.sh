#!/usr/bin/env bash
# Peers side by side, in one go on one machine: PyTorch 1.13 (Debian's python3-torch, one
# thread, batch 1) forward + backward per sequence against chronograd's BPTT, and a numpy
# exact RTRL per step against chronograd's. Prints a table of medians and ratios.
#   bash bench/peers/run.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
# Without a high mmap threshold glibc returns PyTorch's backward buffers to the kernel
# after every sequence and the page faults dominate its backward time.
export GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
py=/usr/bin/python3
bin=$(mktemp -d)/chronograd
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/chronograd
. bench/peers/header.sh
peers_header
printf '%-9s %5s  %14s  %14s  %7s\n' cell n "pytorch ms/seq" "chronograd ms" ratio
torch_out=$(mktemp)
if $py bench/peers/peers.py torch >"$torch_out"; then
	while read -r line; do
		cell=$(jq -r .cell <<<"$line"); n=$(jq -r .hidden <<<"$line"); pt=$(jq -r .ms_per_sequence <<<"$line")
		ns=$("$bin" bench -cell "$cell" -hidden "$n" -input "$n" -T 100 -algo bptt -json -repeats 5 -min-time 200ms | jq -r .ns_per_step)
		cg=$(awk -v ns="$ns" 'BEGIN { printf "%.3f", ns * 100 / 1e6 }')
		printf '%-9s %5s  %14.3f  %14s  %6.1fx\n' "$cell" "$n" "$pt" "$cg" "$(awk -v a="$pt" -v b="$cg" 'BEGIN { print a / b }')"
	done <"$torch_out"
else
	echo "(torch is not installed for $py: PyTorch rows skipped; apt-get install python3-torch)"
fi
rm -f "$torch_out"
# Exact RTRL on one core (rtrl) and with its update split over the machine's two
# (rtrl:2); numpy's OpenBLAS runs one thread.
printf '\n%-9s %5s  %14s  %14s  %7s  %14s  %7s\n' cell n "numpy ms/step" "chronograd ms" ratio "2 workers ms" ratio
$py bench/peers/peers.py numpy | while read -r line; do
	n=$(jq -r .hidden <<<"$line"); in=$(jq -r .input <<<"$line"); np_ms=$(jq -r .ms_per_step <<<"$line")
	row=$(printf '%-9s %5s  %14.3f' rnn_tanh "$n" "$np_ms")
	for algo in rtrl rtrl:2; do
		ns=$("$bin" bench -cell rnn_tanh -hidden "$n" -input "$in" -T 50 -algo "$algo" -json -repeats 5 -min-time 200ms | jq -r .ns_per_step)
		cg=$(awk -v ns="$ns" 'BEGIN { printf "%.4f", ns / 1e6 }')
		row+=$(printf '  %14s  %6.1fx' "$cg" "$(awk -v a="$np_ms" -v b="$cg" 'BEGIN { print a / b }')")
	done
	echo "$row"
done
