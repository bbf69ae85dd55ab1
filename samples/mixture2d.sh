#!/bin/sh
# A 2-D mixture of three Gaussians (mixture2d.json: weights 0.5, 0.3, 0.2)
# sampled by three samplers of sample-ode: the probability-flow ODE (heun,
# 18 levels), ancestral sampling (euler-a, 40 levels) and annealed Langevin
# dynamics (10 levels from sigma 5, 100 steps each).  Prints, for each, the
# fraction of samples nearest each component (they should be near the
# weights) and writes the samples and their trajectories; with gnuplot
# installed, mixture2d.png draws 15 paths of each sampler over the samples.
# See sample-ode(1) and score-sde(7).
#   usage: samples/mixture2d.sh OUTDIR      (sample-ode on PATH)
set -eu
out=${1:?usage: mixture2d.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mix="$here/mixture2d.json"
mkdir -p "$out"
n=600

# name, then the sampler's options
set -- \
	"heun" "--sampler heun" \
	"euler-a" "--sampler euler-a --steps 40" \
	"langevin" "--sampler langevin --sigma-max 5"

printf '%-10s %6s %6s %6s   (weights 0.5 0.3 0.2)\n' sampler "A" "B" "C"
plots=""
while [ $# -ge 2 ]; do
	name=$1 opts=$2
	shift 2
	# shellcheck disable=SC2086 # the options are words
	sample-ode --gmm "$mix" -n "$n" --seed 1 $opts -O text -q \
		--trajectory "$out/mixture2d-$name-states.txt" > "$out/mixture2d-$name.txt"
	# the component whose mean is nearest each sample
	awk -v name="$name" '
		{ best = 0; bd = 1e300
		  for (k = 0; k < 3; k++) { dx = $1 - mx[k]; dy = $2 - my[k]; d = dx * dx + dy * dy
		    if (d < bd) { bd = d; best = k } }
		  c[best]++ }
		BEGIN { mx[0] = -1.5; my[0] = 0; mx[1] = 1.5; my[1] = 0.5; mx[2] = 0; my[2] = -1.5 }
		END { printf "%-10s %6.3f %6.3f %6.3f\n", name, c[0] / NR, c[1] / NR, c[2] / NR }' \
		"$out/mixture2d-$name.txt"
	# state k of sample j is row k n + j: regroup the first 15 samples'
	# paths into blocks that gnuplot draws as separate lines
	awk -v n="$n" '{ k = int((NR - 1) / n); j = (NR - 1) % n; if (j < 15) p[j, k] = $0; K = k }
		END { for (j = 0; j < 15; j++) { for (k = 0; k <= K; k++) print p[j, k]; print ""; print "" } }' \
		"$out/mixture2d-$name-states.txt" > "$out/mixture2d-$name-paths.txt"
	plots="$plots$name "
done

if command -v gnuplot >/dev/null 2>&1; then
	{
		echo "set terminal png size 1500,520"
		echo "set output '$out/mixture2d.png'"
		echo "set multiplot layout 1,3 title 'sample-ode on a 2-D mixture: 15 paths over $n samples'"
		echo "set xrange [-4:4]; set yrange [-4:4]; set size ratio -1; unset key"
		for name in $plots; do
			echo "set title '$name'"
			echo "plot '$out/mixture2d-$name.txt' using 1:2 with points pt 7 ps 0.4 lc rgb '#0072b2', \\"
			echo "     '$out/mixture2d-$name-paths.txt' using 1:2 with lines lw 1 lc rgb '#80e51e10'"
		done
		echo "unset multiplot"
	} > "$out/mixture2d.gp"
	gnuplot "$out/mixture2d.gp"
	echo "plot: $out/mixture2d.png"
fi
