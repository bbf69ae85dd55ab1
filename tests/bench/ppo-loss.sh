#!/usr/bin/env bash
# ppo-loss benchmark: 10M tokens (10000 sequences padded to 1000, response
# lengths 250..1000) in the binary frame --columns
# logp,old_logp,advantage,mask,seq (5 float32 columns, 200 MB), verl's
# defaults (clip 0.2, dual clip 3, token-mean), against
#   - PyTorch on one thread (as ppo-loss): verl's compute_policy_loss +
#     agg_loss on the padded [B, T] tensors (tests/bench/ppo-loss.py),
#     timed inside Python from reading the file to the loss;
#   - cat | cat over the same bytes.
# Ours is the whole process fed by cat (cat frame | ppo-loss), best of 3,
# so both pipelines move the bytes through a pipe.  The two losses must
# agree (PyTorch sums in float32, ppo-loss in double).
#   usage: tests/bench/ppo-loss.sh BINDIR     (env PY: python3 with numpy, torch)
set -eu
bindir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
PY=${PY:-/usr/bin/python3}
B=10000 T=1000
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

"$PY" - "$B" "$T" <<'EOF'
import sys
import numpy as np
B, T = (int(a) for a in sys.argv[1:3])
g = np.random.default_rng(0)
old = (-0.05 - 2.0 * g.random((B, T))).astype(np.float32)
logp = np.minimum(old + g.uniform(-0.3, 0.3, (B, T)).astype(np.float32), -1e-3).astype(np.float32)
adv = np.repeat(g.standard_normal((B, 1)).astype(np.float32), T, axis=1)
lens = g.integers(T // 4, T + 1, size=B)
mask = (np.arange(T)[None, :] < lens[:, None]).astype(np.float32)
seq = np.repeat(np.arange(B, dtype=np.float32)[:, None], T, axis=1)
np.stack([logp, old, adv, mask, seq], axis=-1).astype("<f4").tofile("frame.f32")
EOF

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" -v best="$3" 'BEGIN { d = b - a; if (best == "" || d < best) best = d; printf "%.4f", best }'; }
ours="" cat_time=""
for run in 1 2 3; do
	t0=$(now)
	cat frame.f32 | "$bindir/ppo-loss" --columns logp,old_logp,advantage,mask,seq --dual-clip 3 > summary.json
	t1=$(now)
	ours=$(elapsed "$t0" "$t1" "$ours")
	t0=$(now)
	cat frame.f32 | cat > /dev/null
	t1=$(now)
	cat_time=$(elapsed "$t0" "$t1" "$cat_time")
done
our_loss=$(tr , '\n' < summary.json | awk -F': ' '/"loss"/ { print $2 }')

set -- $("$PY" "$here/ppo-loss.py" frame.f32 "$B" "$T" --dual-clip 3)
torch_loss=$2 torch_time=${10}

awk -v n=$((B * T)) -v ours="$ours" -v cat_time="$cat_time" -v torch_t="$torch_time" \
	-v ol="$our_loss" -v tl="$torch_loss" 'BEGIN {
	mb = n * 5 * 4 / 1e6
	printf "ppo-loss: %d tokens, 5 f32 columns (%.0f MB): %.3f s, %.1f M tokens/s, %.0f MB/s (best of 3)\n", n, mb, ours, n / ours / 1e6, mb / ours
	printf "ppo-loss vs torch (verl compute_policy_loss + agg_loss, 1 thread, read + compute): %.3f s, %.1f M tokens/s; ppo-loss %.1fx faster; loss %s vs %s\n", torch_t, n / torch_t / 1e6, torch_t / ours, ol, tl
	printf "ppo-loss vs cat | cat on the same %.0f MB: cat %.3f s (%.0f MB/s); ppo-loss runs at %.2f of cat | cat (goal 0.5)\n", mb, cat_time, mb / cat_time, cat_time / ours
}'
awk -v a="$our_loss" -v b="$torch_loss" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= 1e-6 + 1e-4 * m) }' \
	|| { echo "ppo-loss: bench: loss $our_loss differs from PyTorch's $torch_loss" >&2; exit 1; }
