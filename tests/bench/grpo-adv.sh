#!/bin/sh
# grpo-adv against `cat | cat` and a Python json + PyTorch implementation of
# TRL's GRPOTrainer advantages (tests/bench/grpo_peer.py), on the same
# 1,000,000 completions in groups of 16 (about 92 MB of JSON Lines).  Both
# are timed as whole commands with their output thrown away; the peer also
# reports its time after `import torch`.  Then a check: the two outputs
# (TRL's eps 1e-4) agree to float32 precision on the first 160,000 lines.
#   usage: tests/bench/grpo-adv.sh BINDIR      (env PY: python with torch)
set -eu
bindir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-/usr/bin/python3}
peer="$here/grpo_peer.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

N=1000000 G=16
"$PY" "$peer" gen $N $G > "$tmp/in.jsonl"
bytes=$(wc -c < "$tmp/in.jsonl")

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? a : b }'; }

# best of three for the fast commands, one run of the slow peer
ours=999 cat_s=999
for run in 1 2 3; do
	t0=$(now); "$bindir/grpo-adv" --eps 1e-4 < "$tmp/in.jsonl" > /dev/null; ours=$(best "$ours" "$(since "$t0")")
	t0=$(now); cat "$tmp/in.jsonl" | cat > /dev/null; cat_s=$(best "$cat_s" "$(since "$t0")")
done
t0=$(now)
inner=$("$PY" "$peer" trl $G 1e-4 < "$tmp/in.jsonl" 2>&1 > /dev/null)
peer_s=$(since "$t0")

head -n 160000 "$tmp/in.jsonl" > "$tmp/small.jsonl"
"$bindir/grpo-adv" --eps 1e-4 < "$tmp/small.jsonl" > "$tmp/ours.jsonl"
"$PY" "$peer" trl $G 1e-4 < "$tmp/small.jsonl" > "$tmp/peer.jsonl" 2> /dev/null
diff=$("$PY" "$peer" compare "$tmp/ours.jsonl" "$tmp/peer.jsonl")
verdict=$(awk -v d="$diff" 'BEGIN { print (d + 0 <= 2e-6) ? "ok" : "FAIL" }')

mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "grpo-adv $N completions, groups of $G ($mb MB JSON Lines):"
echo "  grpo-adv        $ours s  $(rate "$bytes" "$ours") MB/s"
echo "  python (TRL)    $peer_s s  $(rate "$bytes" "$peer_s") MB/s  grpo-adv is $(ratio "$peer_s" "$ours")x faster (after imports: $inner s, $(ratio "$inner" "$ours")x)"
echo "  cat | cat       $cat_s s  $(rate "$bytes" "$cat_s") MB/s  grpo-adv/cat $(ratio "$ours" "$cat_s")x the time"
echo "  check: max |advantage - TRL's| $diff over 160000 lines: $verdict"
[ "$verdict" = ok ]
