#!/bin/sh
# The noise schedules of diffuse-noise side by side: log-SNR against the
# fraction of each schedule's time range, one curve per schedule
# (diffusion(7), "The signal-to-noise ratio").  Writes a table per schedule
# and, when gnuplot is installed, schedules.png.
#   usage: samples/schedules.sh OUTDIR      (diffuse-noise on PATH)
set -eu
out=${1:?usage: schedules.sh OUTDIR}
mkdir -p "$out"
n=201

# name, then the diffuse-noise options of the schedule
set -- \
	"ddpm-linear" "--schedule ddpm" \
	"ddpm-scaled-linear" "--schedule ddpm --beta-schedule scaled-linear" \
	"ddpm-cosine" "--schedule ddpm --beta-schedule cosine" \
	"ddpm-linear-zero-snr" "--schedule ddpm --zero-terminal-snr" \
	"vp" "--schedule vp" \
	"ve" "--schedule ve" \
	"edm" "--schedule edm" \
	"flow" "--schedule flow" \
	"flow-shift-3" "--schedule flow --shift 3"

plot=""
k=0
printf '%-22s %12s %12s\n' schedule "first" "last"
while [ $# -ge 2 ]; do
	name=$1 opts=$2
	shift 2
	# shellcheck disable=SC2086 # the options are words
	diffuse-noise $opts --table "$n" |
		awk -v n="$n" 'NR > 1 { print (NR - 2) / (n - 1), $6 }' > "$out/logsnr-$name.txt"
	awk -v name="$name" 'NR == 1 { first = $2 } { last = $2 }
		END { printf "%-22s %12s %12s\n", name, first, last }' "$out/logsnr-$name.txt"
	# gnuplot cannot draw the infinite ends (flow, zero terminal SNR)
	grep -v inf "$out/logsnr-$name.txt" > "$out/logsnr-$name.plot" || true
	k=$((k + 1))
	color=$(echo "#9400d3 #009e73 #56b4e9 #e69f00 #f0e442 #0072b2 #e51e10 #000000 #ff69b4" | cut -d ' ' -f "$k")
	plot="$plot${plot:+, }'$out/logsnr-$name.plot' using 1:2 with lines lw 2 lc rgb '$color' title '$name'"
done

if ! command -v gnuplot > /dev/null 2>&1; then
	echo "schedules: gnuplot not installed; tables in $out, no plot"
	exit 0
fi
gnuplot <<EOF
set terminal png size 1000,650
set output '$out/schedules.png'
set title 'log-SNR = -2 ln sigma against t (as a fraction of each range)'
set xlabel 't'
set ylabel 'log-SNR'
set yrange [-16:16]
set grid
set key outside right
plot $plot
EOF
echo "schedules: $out/schedules.png"
