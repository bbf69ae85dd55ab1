#!/bin/sh
# posenc throughput against its Python peers and cat|cat, in one run:
#   sinusoidal 32768 x 1024 (float32 out) against NumPy computing the same
#   table in float64 (Vaswani et al. 3.5), and t5-bucket 4096 x 4096 against
#   torch running T5Attention._relative_position_bucket (Hugging Face).
# Every timed run writes to /dev/null; the outputs are then compared with
# the peers' as a check.  usage: posenc.sh BINDIR
set -eu
bindir=$(cd "$1" && pwd)
PY=${PY:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
# elapsed CMD...: seconds CMD takes with its output thrown away
elapsed() {
	t0=$(now)
	"$@" > /dev/null
	awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }'
}
# catcat FILE: seconds of cat FILE | cat, the floor of any filter
catcat() {
	t0=$(now)
	cat "$1" | cat > /dev/null
	awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }'
}
# rate BYTES SECONDS -> MB/s
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

T=32768 D=1024
ours=$(elapsed "$bindir/posenc" sinusoidal --len $T --dim $D)
"$bindir/posenc" sinusoidal --len $T --dim $D > "$tmp/pe.f32"
bytes=$(wc -c < "$tmp/pe.f32")

peer=$("$PY" - "$tmp/pe.f32" $T $D <<'EOF'
import sys, time
import numpy as np
path, T, D = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
omega = 10000.0 ** (-np.arange(0, D, 2) / D)
angle = np.arange(T, dtype=np.float64)[:, None] * omega[None, :]
pe = np.empty((T, D), dtype=np.float32)
pe[:, 0::2] = np.sin(angle)
pe[:, 1::2] = np.cos(angle)
with open("/dev/null", "wb") as f:
    f.write(pe.tobytes())
dt = time.perf_counter() - t0
ours = np.fromfile(path, dtype="<f4").reshape(T, D)
print(dt, float(np.abs(ours - pe).max()))
EOF
)
npy_s=${peer% *} npy_err=${peer#* }

cat_s=$(catcat "$tmp/pe.f32")
echo "posenc sinusoidal ${T}x$D: $(rate "$bytes" "$ours") MB/s; numpy $(rate "$bytes" "$npy_s") MB/s (posenc/numpy $(ratio "$npy_s" "$ours")x, max |diff| $npy_err); cat|cat $(rate "$bytes" "$cat_s") MB/s"

Q=4096 K=4096
ours=$(elapsed "$bindir/posenc" t5-bucket --qlen $Q --klen $K)
"$bindir/posenc" t5-bucket --qlen $Q --klen $K > "$tmp/t5.f32"
bytes=$(wc -c < "$tmp/t5.f32")

peer=$("$PY" - "$tmp/t5.f32" $Q $K <<'EOF'
import math, sys, time
import numpy as np
import torch
torch.set_num_threads(1)
path, Q, K = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def bucket(rel, num_buckets=32, max_distance=128):
    # Hugging Face T5Attention._relative_position_bucket, bidirectional
    num_buckets //= 2
    out = (rel > 0).to(torch.long) * num_buckets
    rel = torch.abs(rel)
    max_exact = num_buckets // 2
    is_small = rel < max_exact
    large = max_exact + (torch.log(rel.float() / max_exact)
        / math.log(max_distance / max_exact) * (num_buckets - max_exact)).to(torch.long)
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return out + torch.where(is_small, rel, large)

t0 = time.perf_counter()
rel = torch.arange(K)[None, :] - torch.arange(Q)[:, None]
b = bucket(rel).to(torch.float32).numpy()
with open("/dev/null", "wb") as f:
    f.write(b.tobytes())
dt = time.perf_counter() - t0
ours = np.fromfile(path, dtype="<f4").reshape(Q, K)
print(dt, int((ours != b).sum()))
EOF
)
torch_s=${peer% *} torch_diff=${peer#* }

cat_s=$(catcat "$tmp/t5.f32")
echo "posenc t5-bucket ${Q}x$K: $(rate "$bytes" "$ours") MB/s; torch $(rate "$bytes" "$torch_s") MB/s (posenc/torch $(ratio "$torch_s" "$ours")x, $torch_diff buckets differ); cat|cat $(rate "$bytes" "$cat_s") MB/s"
