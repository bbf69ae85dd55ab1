#!/usr/bin/env bash
# diffuse-noise benchmark: 8192 rows of 3072 float32 values (CIFAR-sized
# images, 101 MB) noised as an EDM training step does (sigma per row from
# ln sigma ~ N(-1.2, 1.2^2), x_t = x_0 + sigma eps), against
#   - NumPy doing the same formula in a stream of 1 MB chunks, with its own
#     generator (default_rng, PCG64 with ziggurat normals) in float32, the
#     fastest way NumPy offers;
#   - the same in float64, the precision diffuse-noise computes in;
#   - cat | cat over the same bytes.
# Every time is the whole process, file in and /dev/null out, best of 3;
# the peers pay Python's start (about 0.1 s), which is printed apart.
# diffuse-noise draws its normals from libsodium's ChaCha20 (16 bytes a
# Box-Muller pair); NumPy's generator is not cryptographic.
#   usage: tests/bench/diffuse-noise.sh BINDIR     (env PY: python3 with numpy)
set -eu
bindir=$(cd "$1" && pwd)
PY=${PY:-/usr/bin/python3}
ROWS=8192 D=3072
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

"$PY" - "$ROWS" "$D" <<'EOF'
import sys
import numpy as np
rows, d = int(sys.argv[1]), int(sys.argv[2])
np.random.default_rng(0).standard_normal((rows, d), dtype=np.float32).tofile("x0.f32")
EOF

cat > peer.py <<'EOF'
# EDM training noise (NVlabs/edm training/loss.py EDMLoss): per row
# sigma = exp(P_mean + P_std z), x_t = x_0 + sigma eps.
import sys
import numpy as np
d, dtype = int(sys.argv[1]), np.dtype(sys.argv[2])
rng = np.random.default_rng(1)
inp, out = sys.stdin.buffer, sys.stdout.buffer
chunk = max(1, (1 << 20) // (4 * d)) * 4 * d
while True:
    buf = inp.read(chunk)
    if not buf:
        break
    x0 = np.frombuffer(buf, dtype=np.float32).reshape(-1, d).astype(dtype, copy=False)
    sigma = np.exp(-1.2 + 1.2 * rng.standard_normal((x0.shape[0], 1), dtype=dtype))
    eps = rng.standard_normal(x0.shape, dtype=dtype)
    out.write((x0 + sigma * eps).astype(np.float32).tobytes())
EOF

now() { date +%s.%N; }
best_of_3() { # best_of_3 COMMAND: the shortest wall time of three runs
	local best="" t0 t1
	for _ in 1 2 3; do
		t0=$(now)
		bash -c "$1"
		t1=$(now)
		best=$(awk -v a="$t0" -v b="$t1" -v best="$best" 'BEGIN { d = b - a; if (best == "" || d < best) best = d; printf "%.4f", best }')
	done
	echo "$best"
}

ours=$(best_of_3 "'$bindir/diffuse-noise' --dim $D --seed 1 < x0.f32 > /dev/null")
np32=$(best_of_3 "'$PY' peer.py $D float32 < x0.f32 > /dev/null")
np64=$(best_of_3 "'$PY' peer.py $D float64 < x0.f32 > /dev/null")
start=$(best_of_3 "'$PY' -c 'import numpy' < /dev/null")
cats=$(best_of_3 "cat x0.f32 | cat > /dev/null")

# the outputs have the input's size, and x_t - x_0 is noise of the right
# scale (median |x_t - x_0| / sigma over a row is 0.674 for N(0, 1))
"$bindir/diffuse-noise" --dim "$D" --seed 1 --t-out t.f32 < x0.f32 > xt.f32
"$PY" peer.py "$D" float32 < x0.f32 > np.f32
check=$("$PY" - "$D" <<'EOF'
import sys
import numpy as np
d = int(sys.argv[1])
x0 = np.fromfile("x0.f32", dtype=np.float32).reshape(-1, d)
xt = np.fromfile("xt.f32", dtype=np.float32).reshape(-1, d)
peer = np.fromfile("np.f32", dtype=np.float32).reshape(-1, d)
sigma = np.fromfile("t.f32", dtype=np.float32).reshape(-1, 2)[:, 1:]
z = (xt.astype(np.float64) - x0) / sigma
med = float(np.median(np.abs(z)))
print("ok" if xt.shape == peer.shape and abs(med - 0.6745) < 0.01 else f"bad {xt.shape} {peer.shape} {med}")
EOF
)
[ "$check" = ok ] || { echo "diffuse-noise: bench: output check failed: $check" >&2; exit 1; }

awk -v rows="$ROWS" -v d="$D" -v ours="$ours" -v np32="$np32" -v np64="$np64" \
	-v start="$start" -v cats="$cats" 'BEGIN {
	n = rows * d; mb = n * 4 / 1e6
	printf "diffuse-noise: %d rows x %d f32 (%.0f MB), edm: %.3f s, %.1f M floats/s (best of 3)\n", rows, d, mb, ours, n / ours / 1e6
	printf "diffuse-noise vs numpy float32 (default_rng ziggurat, same formula): %.3f s, %.1f M floats/s; diffuse-noise %.2fx numpy'"'"'s speed (goal >= 1)\n", np32, n / np32 / 1e6, np32 / ours
	printf "diffuse-noise vs numpy float64: %.3f s, %.1f M floats/s; diffuse-noise %.2fx numpy'"'"'s speed\n", np64, n / np64 / 1e6, np64 / ours
	printf "  (python3 -c \"import numpy\" alone takes %.3f s of the numpy times)\n", start
	printf "diffuse-noise vs cat | cat on the same %.0f MB: cat %.3f s (%.0f MB/s); diffuse-noise takes %.1fx the time of cat | cat\n", mb, cats, mb / cats, ours / cats
}'
