#!/usr/bin/env bash
# sab-copy.sh: the copy-task measurements of issue 16 (bench/RESULTS.md, "Attention and
# SAB"): an LSTM of 64 units on the copy task (10 symbols, delay 200; and a delay drawn
# from [100, 200] per sequence), trained with Adam (lr 2e-3, one sequence per update,
# clip 1) for 20000 sequences by
#   sab:10  on the LSTM with the attention component k_att=2, k_top=5, M=∞
#   bptt    on the same model (its exact gradient)
#   tbptt:10,10 and bptt on the LSTM without attention
# three seeds each, two runs at a time; then the curves as SVG. About 45 minutes on two
# cores.
#
#   scripts/sab-copy.sh            # writes bench/sabcopy/results/*.csv and bench/sab_copy*.svg
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/bench/sabcopy/results
mkdir -p "$out"
bin=$(mktemp -d)/sabcopy
(cd "$root" && go build -o "$bin" ./bench/sabcopy)
seqs=${SEQUENCES:-20000}
common="-cell lstm -hidden 64 -symbols 10 -lr 2e-3 -clip 1 -sequences $seqs -eval-every 1000 -eval 100"
jobs=()
for seed in 1 2 3; do
	jobs+=("-algo sab:10 -attention 2,5 -delay 200 -seed $seed -out $out/copy200.csv")
	jobs+=("-algo sab:10 -attention 2,5 -delay 200 -min-delay 100 -seed $seed -out $out/copyvar.csv")
done
for seed in 1 2 3; do
	jobs+=("-algo bptt -attention 2,5 -delay 200 -seed $seed -out $out/copy200.csv")
	jobs+=("-algo bptt -attention 2,5 -delay 200 -min-delay 100 -seed $seed -out $out/copyvar.csv")
	jobs+=("-algo bptt -delay 200 -seed $seed -out $out/copy200.csv")
	jobs+=("-algo tbptt:10,10 -delay 200 -seed $seed -out $out/copy200.csv")
	jobs+=("-algo tbptt:10,10 -delay 200 -min-delay 100 -seed $seed -out $out/copyvar.csv")
done
rm -f "$out/copy200.csv" "$out/copyvar.csv"
# Each job writes its rows to its own file first, so that parallel jobs do not interleave.
i=0
for j in "${jobs[@]}"; do
	dest=${j##*-out }
	echo "$bin $common ${j% -out *} -out $dest.part$i"
	i=$((i + 1))
done | xargs -P 2 -I{} bash -c '{}' || echo "a run stopped early (its error is above); its rows up to then are kept"
for f in copy200 copyvar; do
	{ echo "algo,model,task,seed,sequences,updates,train_seconds,steps,us_per_step,bytes,recall_acc,eval_loss"; cat "$out/$f.csv".part* | grep -v '^algo,'; } >"$out/$f.csv"
	rm -f "$out/$f.csv".part*
done
"$bin" -plot "$out/copy200.csv" -svg "$root/bench/sab_copy200.svg" -title "copy task, 10 symbols, delay 200: recall accuracy (LSTM, 64 units)"
"$bin" -plot "$out/copyvar.csv" -svg "$root/bench/sab_copyvar.svg" -title "copy task, 10 symbols, delay 100–200: recall accuracy (LSTM, 64 units)"
echo "wrote $out/copy200.csv, $out/copyvar.csv, bench/sab_copy200.svg, bench/sab_copyvar.svg"
