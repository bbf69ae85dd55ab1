#!/usr/bin/env bash
# sample-ode benchmark: the ideal denoiser of N data points in D = 16
# dimensions, n samples, 18 Heun steps (35 evaluations: EDM Algorithm 1,
# Karras grid 0.002 .. 80), against
#   - PyTorch in float32 doing the same loop the way one writes it:
#     logits = (x Y^T - |Y|^2 / 2) / sigma^2, softmax, times Y, with
#     torch.set_num_threads(1) to match our single thread;
#   - cat | cat over the same input bytes.
# Both read the same points and the same x_T rows (float32 files) and write
# float32 samples; the peer's time excludes Python's and torch's start.
# The issue's size is n = N = 10000: 3.5e9 (sample, point) pairs, about
# two minutes of the peer on one thread, so the default is n = 2000 (a
# fifth of the work); BENCH_FULL=1 runs the full size.
#   usage: tests/bench/sample-ode.sh BINDIR     (env PY: python3 with torch)
set -eu
bindir=$(cd "$1" && pwd)
PY=${PY:-/usr/bin/python3}
N=10000 D=16 STEPS=18
if [ "${BENCH_FULL:-0}" = 1 ]; then n=10000; else n=2000; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

"$PY" - "$n" "$N" "$D" <<'EOF'
import sys
import numpy as np
n, N, d = (int(a) for a in sys.argv[1:4])
g = np.random.default_rng(0)
g.standard_normal((N, d), dtype=np.float32).tofile("points.f32")
(80.0 * g.standard_normal((n, d))).astype(np.float32).tofile("xT.f32")
EOF

cat > peer.py <<'EOF'
# Heun (EDM Algorithm 1; k-diffusion sample_heun) with the ideal denoiser
# of a data set, float32, one thread.
import sys, time
import numpy as np
import torch
d, steps = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(1)
Y = torch.from_numpy(np.fromfile("points.f32", dtype=np.float32).reshape(-1, d))
x = torch.from_numpy(np.fromfile("xT.f32", dtype=np.float32).reshape(-1, d))
half_sq = 0.5 * (Y * Y).sum(1)
def denoise(x, sigma):
    w = torch.softmax((x @ Y.T - half_sq) / (sigma * sigma), dim=1)
    return w @ Y
smin, smax, rho = 0.002, 80.0, 7.0
i = torch.arange(steps, dtype=torch.float64)
sig = (smax ** (1 / rho) + i / (steps - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
sig = torch.cat([sig, torch.zeros(1, dtype=torch.float64)]).tolist()
t0 = time.perf_counter()
with torch.no_grad():
    for s, s_next in zip(sig[:-1], sig[1:]):
        dx = (x - denoise(x, s)) / s
        x_next = x + (s_next - s) * dx
        if s_next > 0:
            dx2 = (x_next - denoise(x_next, s_next)) / s_next
            x_next = x + (s_next - s) * 0.5 * (dx + dx2)
        x = x_next
t1 = time.perf_counter()
x.numpy().astype(np.float32).tofile("peer.f32")
print(f"{t1 - t0:.4f}")
EOF

now() { date +%s.%N; }
t0=$(now)
"$bindir/sample-ode" --data points.f32 --dim "$D" --sampler heun --steps "$STEPS" -q < xT.f32 > ours.f32
t1=$(now)
ours=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
peer=$("$PY" peer.py "$D" "$STEPS")
t0=$(now); cat xT.f32 | cat > /dev/null; t1=$(now)
cats=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')

# the two agree: samples of the ideal denoiser are (nearly) data points
agree=$("$PY" - "$D" <<'EOF'
import sys
import numpy as np
d = int(sys.argv[1])
a = np.fromfile("ours.f32", dtype=np.float32).reshape(-1, d)
b = np.fromfile("peer.f32", dtype=np.float32).reshape(-1, d)
print(f"{np.mean(np.all(np.abs(a - b) < 1e-3, axis=1)):.3f}")
EOF
)

pairs=$(awk -v n="$n" -v N="$N" 'BEGIN { printf "%.3g", n * N * 35 }')
awk -v n="$n" -v N="$N" -v D="$D" -v ours="$ours" -v peer="$peer" -v cats="$cats" -v pairs="$pairs" -v agree="$agree" 'BEGIN {
	printf "sample-ode: heun 18 steps, %d samples x %d points x %d: %.3g (sample, point) evaluations\n", n, N, D, pairs
	printf "sample-ode:   ours (double, 1 thread)  %8.3f s  %6.2f G pairs/s\n", ours, pairs / ours / 1e9
	printf "sample-ode:   torch float32, 1 thread  %8.3f s  %6.2f G pairs/s  ratio %.1fx\n", peer, pairs / peer / 1e9, peer / ours
	printf "sample-ode:   cat | cat (input)        %8.3f s\n", cats
	printf "sample-ode:   rows that agree to 1e-3: %s\n", agree
}'
