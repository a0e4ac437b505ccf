#!/usr/bin/env bash
# grad-identity.sh REV: shows that `chronograd grad` gives byte-identical gradient files at
# REV and in the working tree, for every algorithm of the registry (read from grad -h, with
# sample parameters) on every model and sequence under cmd/chronograd/testdata. A run
# that fails at both revisions must fail with the same message (the package prefix
# aside); an algorithm REV does not know is counted, not compared. Exit 0 when everything
# matches; it lists each difference otherwise.
#
#   scripts/grad-identity.sh fab01d6      # the end of the second session
set -euo pipefail
rev=${1:?usage: scripts/grad-identity.sh REV}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

git -C "$root" worktree add --detach "$tmp/base" "$rev" >/dev/null 2>&1
(cd "$tmp/base" && go build -o "$tmp/before" ./cmd/chronograd)
(cd "$root" && go build -o "$tmp/after" ./cmd/chronograd)

# Every -algo form, with its parameters filled in: S → 1 and 3, K1,K2 → 2,5 and 1,1,
# [:W] → none and 2, δ → 0.1.
forms=$("$tmp/after" grad -h 2>&1 | sed -n 's/.*algorithm: \(.*\) (default.*/\1/p' | tr -d ' ' | tr ',' '\n' | paste -sd, -)
specs=()
IFS=, read -ra parts <<<"$forms"
i=0
while [ $i -lt ${#parts[@]} ]; do
	f=${parts[$i]}
	case "$f" in
	*:K1) specs+=("${f%%:*}:2,5" "${f%%:*}:1,1"); i=$((i + 1)) ;; # K1,K2 was split at the comma
	*:S) specs+=("${f%%:*}:1" "${f%%:*}:3") ;;
	*"[:W]") specs+=("${f%%[*}" "${f%%[*}:2") ;;
	*:δ) specs+=("${f%%:*}:0.1") ;;
	*:K_TRUNC) specs+=("${f%%:*}:3") ;;
	*) specs+=("$f") ;;
	esac
	i=$((i + 1))
done

data="$root/cmd/chronograd/testdata"
bad=0 runs=0 new=0
for model in "$data"/grad_*.model.safetensors; do
	kind=$(basename "$model" .model.safetensors)
	for spec in "${specs[@]}"; do
		runs=$((runs + 1))
		for side in before after; do
			if "$tmp/$side" grad -model "$model" -data "$data/$kind.data.safetensors" -algo "$spec" \
				-out "$tmp/$side.st" 2>"$tmp/$side.err"; then echo ok >"$tmp/$side.rc"; else echo fail >"$tmp/$side.rc"; rm -f "$tmp/$side.st"; fi
		done
		if [ "$(cat "$tmp/before.rc")" = fail ] && grep -q ': unknown algorithm (want one of' "$tmp/before.err"; then
			new=$((new + 1)) # an algorithm REV does not have: nothing to compare
		elif [ "$(cat "$tmp/before.rc")" != "$(cat "$tmp/after.rc")" ]; then
			echo "DIFFERENT OUTCOME $kind $spec: before $(cat "$tmp/before.rc") ($(cat "$tmp/before.err")), after $(cat "$tmp/after.rc") ($(cat "$tmp/after.err"))"
			bad=1
		elif [ "$(cat "$tmp/after.rc")" = ok ]; then
			cmp -s "$tmp/before.st" "$tmp/after.st" || { echo "DIFFERENT GRADIENT $kind $spec"; bad=1; }
		elif [ "$(sed 's/ rtrl: / /' "$tmp/before.err")" != "$(cat "$tmp/after.err")" ]; then
			echo "DIFFERENT ERROR $kind $spec: $(cat "$tmp/before.err") / $(cat "$tmp/after.err")"
			bad=1
		fi
	done
done
echo "$runs runs of grad (${#specs[@]} specifications × every test model) compared with $rev ($new of algorithms $rev does not have): $([ $bad = 0 ] && echo all identical || echo differences above)"
exit $bad
