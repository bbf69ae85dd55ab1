#!/usr/bin/env bash
# gae benchmark: 4M steps x 8 environments in the binary [T, E] layout of
# CleanRL / Stable-Baselines3 (float32 rewards, values, dones: 384 MB in,
# 256 MB out), against
#   - a NumPy loop: Stable-Baselines3's RolloutBuffer.compute_returns_and_advantage
#     recursion, one row of 8 envs per Python iteration;
#   - a PyTorch loop: verl's compute_gae_advantage_return (core_algos.py),
#     one column of the [E, T] tensor per iteration, mask all ones;
#   - cat | cat over the same input bytes (best of 3).
# The Python loops take minutes on 4M steps, so each runs on a slice of the
# first rows and its time is scaled to 4M (printed as "scaled"); gae's
# output on the NumPy slice (bootstrapped from the row after it) is checked
# against NumPy's.  Our time is the whole process
# (reading, checking, computing, writing both outputs to /dev/null), best
# of 3; the peers' times count the loop only, not loading.
#   usage: tests/bench/gae.sh BINDIR     (env PY: python3 with numpy, torch)
set -eu
bindir=$(cd "$1" && pwd)
PY=${PY:-/usr/bin/python3}
T=4000000 E=8
NUMPY_SLICE=250000 TORCH_SLICE=100000
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

"$PY" - "$T" "$E" "$NUMPY_SLICE" <<'EOF'
import sys
import numpy as np
T, E, ns = (int(a) for a in sys.argv[1:4])
g = np.random.default_rng(0)
g.standard_normal((T, E), dtype=np.float32).tofile("rewards.f32")
g.standard_normal((T, E), dtype=np.float32).tofile("values.f32")
# dones[t] = 1 when observation t starts an episode: about 100-step episodes
(g.random((T, E)) < 0.01).astype(np.float32).tofile("dones.f32")
g.standard_normal(E, dtype=np.float32).tofile("last_values.f32")
np.zeros(E, dtype=np.float32).tofile("last_dones.f32")
# the slice of the NumPy check: rows [0, ns), bootstrapped from row ns
for name in ("rewards", "values", "dones"):
    a = np.fromfile(name + ".f32", dtype=np.float32).reshape(T, E)
    a[:ns].tofile(name + "-slice.f32")
    if name != "rewards":
        a[ns].tofile("last-" + name + "-slice.f32")
EOF

now() { date +%s.%N; }
best=""
for run in 1 2 3; do
	t0=$(now)
	"$bindir/gae" --gamma 0.99 --lambda 0.95 --envs "$E" --rewards rewards.f32 \
		--values values.f32 --dones dones.f32 --last-values last_values.f32 \
		--last-dones last_dones.f32 --returns-out /dev/null > /dev/null
	t1=$(now)
	best=$(awk -v a="$t0" -v b="$t1" -v best="$best" 'BEGIN { d = b - a; if (best == "" || d < best) best = d; printf "%.4f", best }')
done
# the slice, for the check against NumPy
"$bindir/gae" --envs "$E" --rewards rewards-slice.f32 --values values-slice.f32 \
	--dones dones-slice.f32 --last-values last-values-slice.f32 \
	--last-dones last-dones-slice.f32 > advantages-slice.f32

cat_time=""
for run in 1 2 3; do
	t0=$(now)
	cat rewards.f32 values.f32 dones.f32 | cat > /dev/null
	t1=$(now)
	cat_time=$(awk -v a="$t0" -v b="$t1" -v best="$cat_time" 'BEGIN { d = b - a; if (best == "" || d < best) best = d; printf "%.4f", best }')
done

peers=$("$PY" - "$T" "$E" "$NUMPY_SLICE" "$TORCH_SLICE" <<'EOF'
import sys, time
import numpy as np
import torch
T, E, ns, ts = (int(a) for a in sys.argv[1:5])
gamma, lam = 0.99, 0.95
rewards = np.fromfile("rewards.f32", dtype=np.float32).reshape(T, E)
values = np.fromfile("values.f32", dtype=np.float32).reshape(T, E)
starts = np.fromfile("dones.f32", dtype=np.float32).reshape(T, E)
ours = np.fromfile("advantages-slice.f32", dtype=np.float32).reshape(ns, E)

# Stable-Baselines3 compute_returns_and_advantage on rows [0, ns): the
# observation after the slice is row ns, with its value and start flag.
def sb3(r, v, s, last_values, dones):
    n = r.shape[0]
    adv = np.zeros_like(r)
    last_gae_lam = 0
    for step in reversed(range(n)):
        if step == n - 1:
            next_non_terminal = 1.0 - dones
            next_values = last_values
        else:
            next_non_terminal = 1.0 - s[step + 1]
            next_values = v[step + 1]
        delta = r[step] + gamma * next_values * next_non_terminal - v[step]
        last_gae_lam = delta + gamma * lam * next_non_terminal * last_gae_lam
        adv[step] = last_gae_lam
    return adv, adv + v

t0 = time.perf_counter()
adv, ret = sb3(rewards[:ns], values[:ns], starts[:ns], values[ns], starts[ns])
numpy_time = (time.perf_counter() - t0) * T / ns
err = float(np.max(np.abs(adv - ours)))

# verl compute_gae_advantage_return on [E, ts] tensors (no done flags in
# verl: token sequences end with the response), response_mask all ones
r = torch.from_numpy(np.ascontiguousarray(rewards[:ts].T))
v = torch.from_numpy(np.ascontiguousarray(values[:ts].T))
mask = torch.ones_like(r)
t0 = time.perf_counter()
with torch.no_grad():
    nextvalues, lastgaelam, reversed_adv = 0, 0, []
    for t in reversed(range(ts)):
        delta = r[:, t] + gamma * nextvalues - v[:, t]
        lastgaelam_ = delta + gamma * lam * lastgaelam
        nextvalues = v[:, t] * mask[:, t] + (1 - mask[:, t]) * nextvalues
        lastgaelam = lastgaelam_ * mask[:, t] + (1 - mask[:, t]) * lastgaelam
        reversed_adv.append(lastgaelam)
    tadv = torch.stack(reversed_adv[::-1], dim=1)
    tret = tadv + v
torch_time = (time.perf_counter() - t0) * T / ts
print(f"{numpy_time:.3f} {torch_time:.3f} {err:.3g}")
EOF
)
set -- $peers
numpy_time=$1 torch_time=$2 err=$3

awk -v T="$T" -v E="$E" -v ours="$best" -v cat_time="$cat_time" -v np_t="$numpy_time" \
	-v torch_t="$torch_time" -v err="$err" -v ns="$NUMPY_SLICE" -v ts="$TORCH_SLICE" 'BEGIN {
	steps = T * E; mb = 3 * steps * 4 / 1e6
	printf "gae: %d steps x %d envs, f32 [T, E]: %.3f s, %.1f M steps/s (best of 3; goal 100)\n", T, E, ours, steps / ours / 1e6
	printf "gae vs numpy loop (SB3 recursion; %d-step slice scaled to %d): %.2f s, %.1f M steps/s, gae %.0fx faster (goal 50x); max |diff| on the slice %s\n", ns, T, np_t, steps / np_t / 1e6, np_t / ours, err
	printf "gae vs torch loop (verl recursion; %d-step slice scaled to %d): %.2f s, %.2f M steps/s, gae %.0fx faster\n", ts, T, torch_t, steps / torch_t / 1e6, torch_t / ours
	printf "gae vs cat | cat on the same %.0f MB (best of 3): cat %.3f s (%.0f MB/s), gae takes %.2fx the time of cat | cat\n", mb, cat_time, mb / cat_time, ours / cat_time
}'
awk -v err="$err" 'BEGIN { exit !(err < 1e-4) }' || { echo "gae: bench: output differs from the NumPy loop by $err" >&2; exit 1; }
