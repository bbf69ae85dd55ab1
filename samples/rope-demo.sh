#!/bin/sh
# rope-encode: rotate 4 tokens x 2 heads of dimension 8, then undo it.
#   usage: samples/rope-demo.sh OUTDIR   (rope-encode on PATH)
# Writes OUTDIR/rope-rotated.txt, OUTDIR/rope-table.txt and, with gnuplot,
# OUTDIR/rope-table.png (cos of each pair against the position).
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

# Rotate: the two heads of a token share its position; pair 0 turns by one
# radian per token, pair 3 by 0.001.
rope-encode -I text --heads 2 "$here/rope-q.txt" > "$out/rope-rotated.txt"
echo "rope-demo: rotated (token 0 is unchanged, position 0):"
sed 's/^/    /' "$out/rope-rotated.txt"

# Undo it through float32 and compare with the input: rotation then
# --inverse is the identity, up to float32 rounding.
rope-encode -I text -O f32 --heads 2 "$here/rope-q.txt" |
	rope-encode --dim 8 --heads 2 --inverse -O text |
	awk 'NR == FNR { if ($0 !~ /^#/) { n++; for (i = 1; i <= NF; i++) want[n, i] = $i }; next }
	{ m++; for (i = 1; i <= NF; i++) { d = $i - want[m, i]; if (d < 0) d = -d; if (d > worst) worst = d } }
	END { printf "rope-demo: encode then --inverse: %d rows, largest difference %.2g\n", m, worst
	      exit !(m == n && worst < 1e-6) }' "$here/rope-q.txt" -

# The cos/sin table of the first 200 positions, and a plot of it.
rope-encode --table 200 --dim 8 > "$out/rope-table.txt"
if command -v gnuplot > /dev/null 2>&1; then
	gnuplot <<GP
set terminal png size 800,480 noenhanced
set key bottom left
set output "$out/rope-table.png"
set title "RoPE, D = 8, base 10000: cos(p theta_i) against the position p"
set xlabel "position p"
set ylabel "cos"
plot for [i=1:4] "$out/rope-table.txt" using 0:i with lines title sprintf("pair %d", i-1)
GP
	echo "rope-demo: plot in $out/rope-table.png"
fi
