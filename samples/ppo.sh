#!/bin/sh
# Policy losses on eight GRPO completions (samples/ppo-rollout.jsonl): the
# same batch scored by PPO, GRPO, DAPO, Dr.GRPO and Kimi k1.5 and by the
# presets of verl, TRL, OpenRLHF and CleanRL; the weight of each token
# under two aggregation modes; PPO's clipped loss as a function of the ratio
# (Schulman et al. 2017, figure 1, with the dual clip); and TRPO's step on
# the score vectors of a softmax policy.  Plots with gnuplot when present.
#   usage: samples/ppo.sh OUTDIR      (ppo-loss, trpo-step on PATH)
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
rollout="$here/ppo-rollout.jsonl"
field() { tr , '\n' | grep "\"$1\"" | sed 's/.*: //; s/}//'; }

# 1. One batch, five published losses.
{
	printf 'ppo      %s\n' "$(ppo-loss "$rollout" | field loss)"
	printf 'grpo     %s\n' "$(ppo-loss --kl k3 --beta 0.04 --agg seq-mean-token-mean "$rollout" | field loss)"
	printf 'dapo     %s\n' "$(ppo-loss --clip-high 0.28 "$rollout" | field loss)"
	printf 'dr-grpo  %s\n' "$(ppo-loss --agg seq-mean-token-sum-norm --max-len 9 "$rollout" | field loss)"
	printf 'kimi     %s\n' "$(ppo-loss -o kimi --tau 0.1 "$rollout" | field loss)"
} > "$out/ppo-objectives.txt"

# 2. The frameworks' defaults; CleanRL needs a critic, so its own batch.
for p in verl trl openrlhf; do
	printf '%-9s %s\n' "$p" "$(ppo-loss --preset "$p" "$rollout")"
done > "$out/ppo-presets.txt"
printf '%-9s %s\n' cleanrl "$(ppo-loss --preset cleanrl "$here/ppo-critic.jsonl")" >> "$out/ppo-presets.txt"

# 3. The weight each token gets in the loss under token-mean and
#    seq-mean-token-mean: with every advantage set to 1, the pg objective's
#    d loss / d logp is minus that weight.  Under the second, the tokens of
#    short completions weigh more (the length bias of Dr.GRPO).  Columns:
#    token, its sequence's length (masked tokens included), weight under
#    each mode.
sed 's/"advantage": [^,}]*/"advantage": 1/' "$rollout" > "$out/ppo-unit-adv.jsonl"
awk '{ match($0, /"logp": \[[^]]*\]/); logp = substr($0, RSTART, RLENGTH)
	len = gsub(/,/, ",", logp) + 1
	for (t = 0; t < len; t++) print len }' "$rollout" > "$out/ppo-lengths.txt"
ppo-loss -o pg --per-token "$out/ppo-g-token.txt" -O text "$out/ppo-unit-adv.jsonl" > /dev/null
ppo-loss -o pg --agg seq-mean-token-mean --per-token "$out/ppo-g-seq.txt" -O text \
	"$out/ppo-unit-adv.jsonl" > /dev/null
paste -d' ' "$out/ppo-lengths.txt" "$out/ppo-g-token.txt" "$out/ppo-g-seq.txt" |
	awk '{ print NR - 1, $1, -$3, -$5 }' > "$out/ppo-weights.txt"

# 4. PPO's loss of one token against its ratio, for A = +1 and A = -1,
#    with and without the dual clip (C = 3): every token its own sequence,
#    all summed (seq-mean-token-sum-norm with L = 1), so that a token's
#    share of the loss is its own loss.
awk 'BEGIN { for (i = 1; i <= 200; i++) { r = i * 0.025;
	printf "{\"logp\":[%.17g],\"old_logp\":[0],\"advantage\":1}\n", log(r);
	printf "{\"logp\":[%.17g],\"old_logp\":[0],\"advantage\":-1}\n", log(r) } }' > "$out/ppo-sweep.jsonl"
ppo-loss --agg seq-mean-token-sum-norm --max-len 1 --per-token "$out/ppo-sweep.txt" -O text "$out/ppo-sweep.jsonl" > /dev/null
ppo-loss --agg seq-mean-token-sum-norm --max-len 1 --dual-clip 3 --per-token "$out/ppo-sweep-dual.txt" -O text "$out/ppo-sweep.jsonl" > /dev/null
paste -d' ' "$out/ppo-sweep.txt" "$out/ppo-sweep-dual.txt" |
	awk 'NR % 2 == 1 { pos = $1; next } { print (NR / 2) * 0.025, pos, $1, $3 }' > "$out/ppo-clip.txt"

# 5. TRPO's step and its statistics.
trpo-step -I text -p 4 -a "$here/trpo-adv.txt" -O text --stats "$out/trpo-stats.json" \
	"$here/trpo-scores.txt" > "$out/trpo-step.txt"

if command -v gnuplot > /dev/null 2>&1; then
	gnuplot <<EOF
set terminal png size 800,500
set termoption noenhanced
set output "$out/ppo-clip.png"
set title "PPO loss of one token against its ratio r (eps 0.2)"
set xlabel "r = pi / pi_old"; set ylabel "loss"; set key top left; set grid
plot "$out/ppo-clip.txt" using 1:2 with lines lw 2 title "A = +1", \
     "$out/ppo-clip.txt" using 1:3 with lines lw 2 title "A = -1", \
     "$out/ppo-clip.txt" using 1:4 with lines lw 2 dt 2 title "A = -1, dual clip 3"
set output "$out/ppo-weights.png"
set title "weight of a token in the loss, by the length of its sequence (masked tokens: 0)"
set xlabel "length of the token's sequence"; set ylabel "weight"; set key top right
plot "$out/ppo-weights.txt" using (\$2 - 0.1):3 with points pt 7 title "token-mean", \
     "$out/ppo-weights.txt" using (\$2 + 0.1):4 with points pt 5 title "seq-mean-token-mean"
EOF
fi
