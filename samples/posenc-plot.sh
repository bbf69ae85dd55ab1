#!/bin/sh
# posenc-plot.sh OUTDIR: RoPE's long-range decay bound for two bases, and the
# causal ALiBi bias of two of 8 heads, as text tables and (when gnuplot is
# installed) PNG plots.  See posenc(1) and positional-encoding(7).
set -eu
out=${1:?usage: posenc-plot.sh OUTDIR}
mkdir -p "$out"

# rope-decay writes one value per row; number the rows r = 0 .. N.
for base in 10000 500000; do
	posenc rope-decay --dim 128 --max-dist 4096 --base "$base" -O text |
		awk '{ print NR - 1, $1 }' > "$out/rope-decay-$base.txt"
done
awk 'NR == 1 || NR == 101 || NR == 1001 || NR == 4097 { printf "rope-decay base 10000: r = %d: %s\n", $1, $2 }' \
	"$out/rope-decay-10000.txt"

# alibi writes H*T rows of T.  Keep head 0 whole, with the masked entries
# set to +1, a value no bias takes, which the plot leaves blank; and the
# last query's row of every head, as columns "distance bias_0 .. bias_7".
T=32
posenc alibi --heads 8 --len "$T" --causal --mask-value 1 -O text |
	awk -v T="$T" -v out="$out" '
		NR <= T { print > (out "/alibi-head0.txt") }
		NR % T == 0 { for (j = 1; j <= T; j++) last[NR / T, j] = $j }
		END {
			for (j = T; j >= 1; j--) {
				line = T - j
				for (h = 1; h <= 8; h++) line = line " " last[h, j]
				print line > (out "/alibi-last-row.txt")
			}
		}'
echo "alibi: bias at distance 1 of heads 0 .. 7: $(sed -n 2p "$out/alibi-last-row.txt" | cut -d' ' -f2-)"

if ! command -v gnuplot > /dev/null 2>&1; then
	echo "posenc-plot: gnuplot not installed; tables in $out, no plots"
	exit 0
fi
gnuplot <<EOF
set terminal png size 900,540
set output "$out/rope-decay.png"
set title "RoPE long-range decay bound, D = 128 (RoFormer 3.4.3); 1 at r = 0, off the log axis"
set xlabel "relative distance r"
set ylabel "(1/(D/2)) sum_j |S_j(r)|, normalised"
set logscale x
set xrange [1:4096]
set grid
plot "$out/rope-decay-10000.txt" using 1:2 with lines title "base 10000", \
     "$out/rope-decay-500000.txt" using 1:2 with lines title "base 500000"

set output "$out/alibi-bias.png"
set terminal png size 1000,480
unset logscale
unset grid
set multiplot layout 1,2 title "Causal ALiBi bias -m_h |i - j|, 8 heads"
set title "head 0 (m = 1/2); blank: masked"
set xlabel "key j"
set ylabel "query i"
set xrange [-0.5:$T - 0.5]
set yrange [$T - 0.5:-0.5]
set size ratio -1
plot "$out/alibi-head0.txt" matrix using 1:2:(\$3 > 0 ? NaN : \$3) with image notitle
set title "every head, bias against distance"
set size noratio
set autoscale
set xlabel "distance i - j"
set ylabel "bias"
set key bottom left
plot for [h = 2:9] "$out/alibi-last-row.txt" using 1:h with lines title sprintf("head %d", h - 2)
unset multiplot
EOF
echo "posenc-plot: $out/rope-decay.png $out/alibi-bias.png"
