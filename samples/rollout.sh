#!/bin/sh
# A small two-environment rollout (samples/rollout.jsonl): advantages and
# returns by GAE from JSON Lines, the same numbers from the binary [T, E]
# layout of CleanRL / Stable-Baselines3, DDPG's exploration noise and a soft
# target update.  Plots with gnuplot when it is installed.
#   usage: samples/rollout.sh OUTDIR      (gae, ou-noise, soft-update on PATH)
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

# 1. GAE(0.99, 0.95) on the records: env 0 reaches its goal at t = 11
#    (terminated), env 1 hits a time limit at t = 9 (truncated: it
#    bootstraps from next_value), and both streams stop mid-episode.
gae --gamma 0.99 --lambda 0.95 "$here/rollout.jsonl" > "$out/rollout-gae.jsonl"

# one table per env: step, reward, value, advantage, return
for e in 0 1; do
	grep "^{\"env\":$e," "$out/rollout-gae.jsonl" |
	sed -E 's/.*"reward":([^,]*),"value":([^,}]*).*"advantage":([^,]*),"return":([^}]*)}/\1 \2 \3 \4/' |
	awk '{ print NR - 1, $0 }' > "$out/rollout-env$e.txt"
done

# 2. The same rollout in the CleanRL layout: rows are time steps, columns
#    envs; dones[t] = 1 when observation t starts a new episode, i.e. the
#    done flag of step t - 1.  The binary layout has no truncation flag, so
#    the truncated step gets gamma * next_value added to its reward, as
#    Stable-Baselines3 does (its issue #633).
awk -v gamma=0.99 -v dir="$out" '
function field(name,   m) {
	if (match($0, "\"" name "\":[^,}]*")) { m = substr($0, RSTART, RLENGTH); sub(/^[^:]*:/, "", m); return m }
	return ""
}
{
	e = field("env"); t = n[e]++
	r = field("reward"); v = field("value"); nv = field("next_value")
	ended = field("done") == "true" || field("truncated") == "true"
	if (field("truncated") == "true" && field("done") != "true") r += gamma * nv
	R[t, e] = r; V[t, e] = v; D[t, e] = (t == 0) ? 0 : end_prev[e]
	end_prev[e] = ended; last_v[e] = (nv == "" || ended) ? 0 : nv
	if (e + 1 > E) E = e + 1
}
END {
	T = n[0]
	for (t = 0; t < T; t++) {
		lr = lv = ld = ""
		for (e = 0; e < E; e++) { lr = lr (e ? " " : "") R[t, e]; lv = lv (e ? " " : "") V[t, e]; ld = ld (e ? " " : "") D[t, e] }
		print lr > (dir "/rewards.txt"); print lv > (dir "/values.txt"); print ld > (dir "/dones.txt")
	}
	for (e = 0; e < E; e++) { printf "%s%s", (e ? " " : ""), last_v[e] > (dir "/last-values.txt"); printf "%s%d", (e ? " " : ""), end_prev[e] > (dir "/last-dones.txt") }
	print "" > (dir "/last-values.txt"); print "" > (dir "/last-dones.txt")
}' "$here/rollout.jsonl"
gae -I text -O text --envs 2 --rewards "$out/rewards.txt" --values "$out/values.txt" \
	--dones "$out/dones.txt" --last-values "$out/last-values.txt" \
	--last-dones "$out/last-dones.txt" --returns-out "$out/returns.txt" > "$out/advantages.txt"

# the two layouts agree (to float32 text precision)
tr ' ' '\n' < "$out/advantages.txt" > "$out/adv-binary.txt"
sed -E 's/.*"advantage":([^,]*),.*/\1/' "$out/rollout-gae.jsonl" > "$out/adv-jsonl.txt"
paste "$out/adv-binary.txt" "$out/adv-jsonl.txt" | awk '
	{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-6) bad++ }
	END { if (bad) { print "rollout: the layouts disagree on " bad " steps"; exit 1 }
	      print "rollout: JSON Lines and [T, E] layouts agree on " NR " advantages" }'

# 3. DDPG: exploration noise, OU against plain Gaussian, and one soft update
ou-noise --dim 1 --n 500 --theta 0.15 --sigma 0.2 --dt 0.01 --seed 1 -O text > "$out/ou.txt"
ou-noise --dim 1 --n 500 --gaussian --sigma 0.02 --seed 1 -O text > "$out/gaussian.txt"
printf '1 2 3 4\n' > "$out/target.txt"
printf '0 0 10 4\n' > "$out/online.txt"
soft-update --tau 0.005 -I text -O text "$out/target.txt" "$out/online.txt" > "$out/target-new.txt"
echo "rollout: soft update of (1 2 3 4) toward (0 0 10 4): $(cat "$out/target-new.txt")"

if command -v gnuplot >/dev/null 2>&1; then
	gnuplot <<EOF
set terminal png size 900,700
set output "$out/rollout.png"
set multiplot layout 2,1 title "GAE(0.99, 0.95) on samples/rollout.jsonl"
set key outside right
set xlabel "step"
set title "env 0: terminated at step 11, then stops mid-episode"
plot "$out/rollout-env0.txt" using 1:2 with impulses lw 3 title "reward", \
     "" using 1:3 with linespoints title "value", \
     "" using 1:4 with linespoints title "advantage"
set title "env 1: truncated at step 9 (bootstraps), terminated at step 19"
plot "$out/rollout-env1.txt" using 1:2 with impulses lw 3 title "reward", \
     "" using 1:3 with linespoints title "value", \
     "" using 1:4 with linespoints title "advantage"
unset multiplot
set output "$out/ou-noise.png"
set title "exploration noise: OU (theta .15, sigma .2, dt .01) vs Gaussian (sigma .02)"
set xlabel "step"
plot "$out/ou.txt" using 0:1 with lines title "Ornstein-Uhlenbeck", \
     "$out/gaussian.txt" using 0:1 with lines title "Gaussian"
EOF
	echo "rollout: plots in $out/rollout.png and $out/ou-noise.png"
else
	echo "rollout: gnuplot not found, plots skipped"
fi
