#!/bin/sh
# rope-encode against `cat | cat` and a PyTorch implementation of Hugging
# Face's formula (tests/bench/rope_peer.py), on the same 128 MiB of float32
# (--dim 128 --heads 8: 32768 tokens).  First a correctness pass: every
# layout and scaling against the peer computing in float64, on random
# vectors and random fractional positions; the largest row-wise relative
# error must be at most 3e-6.
#   usage: tests/bench/rope-encode.sh BINDIR      (env PY: python with torch)
set -eu
bindir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-/usr/bin/python3}
peer="$here/rope_peer.py"
rope="$bindir/rope-encode"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---- correctness: every layout x scaling against the peer, 3e-6 ----------
"$PY" -c "
import numpy as np
r = np.random.default_rng(7)
r.standard_normal(600 * 4 * 72, dtype=np.float32).tofile('$tmp/small.f32')
np.savetxt('$tmp/pos.txt', r.uniform(0, 20000, 600))
print(repr(np.loadtxt('$tmp/pos.txt').max() + 1))" > "$tmp/seqlen"
seqlen=$(cat "$tmp/seqlen")
failed=0

# check STYLE BASE SCALING POSITIONS(pos|seq) "rope-encode options" [peer key=value...]
check() {
	style=$1 base=$2 name=$3 where=$4 opts=$5
	shift 5
	if [ "$where" = pos ]; then
		set -- 0 0 "$tmp/pos.txt" "$@"
		opts="$opts --positions $tmp/pos.txt"
	else
		set -- 5 250 - "$@"
		opts="$opts --offset 5 --seq-len 250"
	fi
	# shellcheck disable=SC2086
	"$rope" --dim 72 --heads 4 --rotary-dim 64 --style "$style" --base "$base" $opts \
		< "$tmp/small.f32" > "$tmp/got.f32"
	err=$("$PY" "$peer" check "$tmp/small.f32" "$tmp/got.f32" 72 4 "$style" 64 "$base" "$name" "$@")
	verdict=$(awk -v e="$err" 'BEGIN { print (e + 0 <= 3e-6) ? "ok" : "FAIL" }')
	shift 3
	printf 'rope-encode check: %-11s %-7s %-3s rel err %-8s %s  %s\n' \
		"$style" "$name" "$where" "$err" "$verdict" "$(echo "$opts" | sed "s|$tmp/||")"
	[ "$verdict" = ok ] || failed=1
}

yarn_all="--mscale 0.707 --mscale-all-dim 1 --no-truncate --beta-fast 16 --beta-slow 2"
yarn_all_kv="mscale=0.707 mscale_all_dim=1 truncate=0 beta_fast=16 beta_slow=2"
for style in interleaved neox; do
	check "$style" 10000 none seq ""
	check "$style" 10000 none pos ""
	check "$style" 10000 linear seq "--scaling linear --factor 4" factor=4
	check "$style" 10000 ntk pos "--scaling ntk --factor 4" factor=4
	check "$style" 10000 dynamic pos "--scaling dynamic --factor 4 --original-max-pos 2048" \
		factor=4 original_max_pos=2048 seq_len="$seqlen"
	check "$style" 10000 dynamic seq "--scaling dynamic --factor 4 --original-max-pos 100" \
		factor=4 original_max_pos=100 seq_len=255
	check "$style" 10000 yarn pos "--scaling yarn --factor 8 --original-max-pos 4096" \
		factor=8 original_max_pos=4096
	# shellcheck disable=SC2086
	check "$style" 10000 yarn pos "--scaling yarn --factor 8 --original-max-pos 4096 $yarn_all" \
		factor=8 original_max_pos=4096 $yarn_all_kv
	check "$style" 500000 llama3 pos "--scaling llama3 --factor 8 --original-max-pos 8192" \
		factor=8 original_max_pos=8192
done

# ---- throughput ------------------------------------------------------------
"$PY" -c "import numpy as np; np.random.default_rng(0).standard_normal(32 << 20, dtype=np.float32).tofile('$tmp/x.f32')"
bytes=$(wc -c < "$tmp/x.f32")

now_ns() { date +%s%N; }
# time_ms CMD: the best of 5 wall-clock times, in milliseconds
time_ms() {
	best=""
	for _ in 1 2 3 4 5; do
		t0=$(now_ns)
		sh -c "$1"
		t1=$(now_ns)
		ms=$(( (t1 - t0) / 1000000 ))
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
	done
	echo "$best"
}
mbps() { awk -v b="$bytes" -v ms="$1" 'BEGIN { printf "%.0f", b / 1e6 / (ms > 0 ? ms : 1) * 1000 }'; }

x="$tmp/x.f32"
cat_ms=$(time_ms "cat '$x' | cat > /dev/null")
inter_ms=$(time_ms "'$rope' --dim 128 --heads 8 < '$x' | cat > /dev/null")
neox_ms=$(time_ms "'$rope' --dim 128 --heads 8 --style neox < '$x' | cat > /dev/null")
# cat|cat again, after, to see how steady the machine was
cat2_ms=$(time_ms "cat '$x' | cat > /dev/null")
if [ "$cat2_ms" -lt "$cat_ms" ]; then cat_ms=$cat2_ms; fi
# The peer times itself from reading the file to writing /dev/null, without
# the interpreter's start and torch's import; best of 3.
peer_ms=""
for _ in 1 2 3; do
	s=$("$PY" "$peer" bench "$x" /dev/null 128 8)
	ms=$(awk -v s="$s" 'BEGIN { printf "%d", s * 1000 }')
	if [ -z "$peer_ms" ] || [ "$ms" -lt "$peer_ms" ]; then peer_ms=$ms; fi
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / (a > 0 ? a : 1) }'; }
echo "rope-encode bench: 128 MiB float32, --dim 128 --heads 8, best of 5"
printf 'rope-encode interleaved: %5s MB/s  %s of cat|cat (%s MB/s)  %sx the PyTorch peer (%s MB/s)\n' \
	"$(mbps "$inter_ms")" "$(ratio "$inter_ms" "$cat_ms")" "$(mbps "$cat_ms")" \
	"$(ratio "$inter_ms" "$peer_ms")" "$(mbps "$peer_ms")"
printf 'rope-encode neox:        %5s MB/s  %s of cat|cat (%s MB/s)  %sx the PyTorch peer (%s MB/s)\n' \
	"$(mbps "$neox_ms")" "$(ratio "$neox_ms" "$cat_ms")" "$(mbps "$cat_ms")" \
	"$(ratio "$neox_ms" "$peer_ms")" "$(mbps "$peer_ms")"
exit "$failed"
