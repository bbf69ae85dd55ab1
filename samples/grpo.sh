#!/bin/sh
# grpo.sh OUTDIR: group-relative advantages of a small rollout log
# (samples/grpo-rollouts.jsonl, one RL step of 5 prompts whose completions
# are interleaved) under each estimator, per-token advantages from process
# rewards (samples/grpo-steps.jsonl), and the curve behind Dr. GRPO's
# critique: the advantage of a correct answer against the number of correct
# answers in a group of 16.  PNG plots when gnuplot is installed.
# See grpo-adv(1) and grpo(7).
set -eu
out=${1:?usage: grpo.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

# 1. one table: group, reward, then the advantage under each estimator
for e in grpo dr-grpo rloo reinforce-baseline; do
	grpo-adv -e "$e" "$here/grpo-rollouts.jsonl" | sed 's/.*"advantage"://; s/}$//' > "$out/grpo-$e.txt"
done
grpo-adv -e kimi --length-penalty 0.5 "$here/grpo-rollouts.jsonl" |
	sed 's/.*"advantage"://; s/}$//' > "$out/grpo-kimi.txt"
sed 's/.*"group":"\([^"]*\)".*"reward":\([^,}]*\).*/\1 \2/' "$here/grpo-rollouts.jsonl" |
	paste -d' ' - "$out/grpo-grpo.txt" "$out/grpo-dr-grpo.txt" "$out/grpo-rloo.txt" \
		"$out/grpo-reinforce-baseline.txt" "$out/grpo-kimi.txt" | sort -s -k1,1 > "$out/grpo-table.txt"
echo "group reward grpo dr-grpo rloo reinforce-baseline kimi(w=0.5):"
cat "$out/grpo-table.txt"
grpo-adv --stats "$out/grpo-stats.json" "$here/grpo-rollouts.jsonl" > /dev/null
echo "stats: $(cat "$out/grpo-stats.json")"

# 2. process supervision: token t of each completion, its advantage
grpo-adv --process "$here/grpo-steps.jsonl" |
	sed 's/.*"advantages":\[//; s/\]}$//' | tr ',' ' ' |
	awk '{ for (t = 1; t <= NF; t++) print NR, t - 1, $t; print "" }' > "$out/grpo-process.txt"

# 3. k correct answers out of 16 (0/1 rewards): a correct answer's advantage
for k in $(seq 1 15); do
	awk -v k="$k" 'BEGIN { for (i = 0; i < 16; i++) printf "{\"group\":%d,\"reward\":%d}\n", k, i < k }'
done > "$out/grpo-k-of-16.jsonl"
for e in grpo dr-grpo rloo; do
	grpo-adv -e "$e" "$out/grpo-k-of-16.jsonl" | awk -F'[:,}]' '$4 == 1 && !seen[$2]++ { print $2, $6 }' > "$out/grpo-k-$e.txt"
done
paste -d' ' "$out/grpo-k-grpo.txt" "$out/grpo-k-dr-grpo.txt" "$out/grpo-k-rloo.txt" |
	awk '{ print $1, $2, $4, $6 }' > "$out/grpo-k.txt"
echo "k correct of 16: advantage of a correct answer (grpo dr-grpo rloo):"
awk '$1 == 1 || $1 == 8 || $1 == 15' "$out/grpo-k.txt"

if ! command -v gnuplot > /dev/null 2>&1; then
	echo "grpo: gnuplot not installed; tables in $out, no plots"
	exit 0
fi
gnuplot <<PLOT
set terminal png size 900,540
set output "$out/grpo-difficulty.png"
set title "Advantage of a correct answer, k of 16 correct (0/1 rewards)"
set xlabel "k: correct answers in the group"
set ylabel "advantage"
set key top right
set grid
plot "$out/grpo-k.txt" using 1:2 with linespoints title "grpo: (r - mean)/std", \
     "" using 1:3 with linespoints title "dr-grpo: r - mean", \
     "" using 1:4 with linespoints title "rloo: r - mean of the others"
set output "$out/grpo-process.png"
set title "Process supervision, group proof-0003: per-token advantages (DeepSeekMath 4.1.3)"
set xlabel "token"
set ylabel "advantage"
plot for [i=1:3] "$out/grpo-process.txt" using (\$1 == i ? \$2 : 1/0):3 with steps title sprintf("completion %d", i)
PLOT
echo "grpo: plots $out/grpo-difficulty.png and $out/grpo-process.png"
