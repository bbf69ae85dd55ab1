"""The Python peer of rope-encode: Hugging Face's RoPE formulas in PyTorch.

The frequencies follow transformers src/transformers/modeling_rope_utils.py
(v5): _compute_linear_scaling_rope_parameters, _compute_dynamic_ntk_parameters,
_compute_yarn_parameters (find_correction_dim, find_correction_range with
truncate, linear_ramp_factor, get_mscale), _compute_llama3_parameters; the
static NTK-aware base is bloc97's base * factor^(R/(R-2)).  The rotation
follows modeling_llama.py apply_rotary_pos_emb (q*cos + rotate_half(q)*sin)
for the neox layout and RoFormer's pairs (2i, 2i+1) for the interleaved one.

usage:
  rope_peer.py inv-freq R BASE SCALING [key=value ...]   print inv_freq, af
  rope_peer.py check IN GOT DIM HEADS STYLE R BASE SCALING OFFSET SEQ_LEN
                     POSFILE|- [key=value ...]
      rotate IN in float64 and print the largest row-wise relative error
      |got - want| / |want| of rope-encode's output GOT
  rope_peer.py bench IN OUT DIM HEADS     float32, as HF computes, timed
"""
import math
import sys
import time

import numpy as np
import torch


def hf_inv_freq(R, base, scaling, p):
    """(inv_freq as float64 tensor, attention_factor), HF's formulas."""
    dt = torch.float64
    exponents = torch.arange(0, R, 2, dtype=dt) / R
    factor = float(p.get("factor", 1.0))
    if scaling == "ntk":
        base = base * factor ** (R / (R - 2))
    if scaling == "dynamic":
        max_pos = float(p["original_max_pos"])
        seq_len = max(float(p["seq_len"]), max_pos)
        base = base * ((factor * seq_len / max_pos) - (factor - 1)) ** (R / (R - 2))
    inv_freq = 1.0 / (base ** exponents)
    attention_factor = 1.0
    if scaling == "linear":
        inv_freq = inv_freq / factor
    elif scaling == "yarn":
        inv_freq, attention_factor = yarn(R, base, factor, p)
    elif scaling == "llama3":
        inv_freq = llama3(inv_freq, factor, p)
    return inv_freq, attention_factor


def get_mscale(scale, mscale=1.0):
    if scale <= 1:
        return 1.0
    return 0.1 * mscale * math.log(scale) + 1.0


def yarn(R, base, factor, p):
    max_pos = float(p["original_max_pos"])
    beta_fast = float(p.get("beta_fast", 32))
    beta_slow = float(p.get("beta_slow", 1))
    truncate = p.get("truncate", "1") != "0"
    mscale = float(p.get("mscale", 0))
    mscale_all_dim = float(p.get("mscale_all_dim", 0))
    if "attention_factor" in p:
        af = float(p["attention_factor"])
    elif mscale and mscale_all_dim:
        af = get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
    else:
        af = get_mscale(factor)

    def corr_dim(rot):
        return (R * math.log(max_pos / (rot * 2 * math.pi))) / (2 * math.log(base))

    low, high = corr_dim(beta_fast), corr_dim(beta_slow)
    if truncate:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, R - 1)
    if low == high:
        high += 0.001
    ramp = torch.clamp((torch.arange(R // 2, dtype=torch.float64) - low) / (high - low), 0, 1)
    pos_freqs = base ** (torch.arange(0, R, 2, dtype=torch.float64) / R)
    extrapolation = 1.0 / pos_freqs
    interpolation = 1.0 / (factor * pos_freqs)
    extrapolation_factor = 1 - ramp
    inv = interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor
    return inv, af


def llama3(inv_freq, factor, p):
    l0 = float(p["original_max_pos"])
    lff = float(p.get("low_freq_factor", 1))
    hff = float(p.get("high_freq_factor", 4))
    low_wavelen, high_wavelen = l0 / lff, l0 / hff
    wavelen = 2 * math.pi / inv_freq
    out = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (l0 / wavelen - lff) / (hff - lff)
    smoothed = (1 - smooth) * out / factor + smooth * out
    medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
    return torch.where(medium, smoothed, out)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def apply(x, pos, inv_freq, af, style, R):
    """x: [T, H, D]; pos: [T]; rotate the first R dims."""
    freqs = pos[:, None].to(inv_freq.dtype) * inv_freq[None, :]
    cos, sin = freqs.cos() * af, freqs.sin() * af
    rot, tail = x[..., :R], x[..., R:]
    if style == "neox":
        c = torch.cat((cos, cos), dim=-1)[:, None, :]
        s = torch.cat((sin, sin), dim=-1)[:, None, :]
        rot = rot * c.to(x.dtype) + rotate_half(rot) * s.to(x.dtype)
    else:
        a, b = rot[..., 0::2], rot[..., 1::2]
        c, s = cos[:, None, :].to(x.dtype), sin[:, None, :].to(x.dtype)
        rot = torch.stack((a * c - b * s, b * c + a * s), dim=-1).flatten(-2)
    return torch.cat((rot, tail), dim=-1)


def parse_kv(args):
    return dict(a.split("=", 1) for a in args)


def main():
    cmd = sys.argv[1]
    if cmd == "inv-freq":
        R, base, scaling = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
        inv, af = hf_inv_freq(R, base, scaling, parse_kv(sys.argv[5:]))
        print(" ".join("%.17g" % v for v in inv.tolist()))
        print("%.17g" % af)
    elif cmd == "check":
        (inp, got_path, dim, heads, style, R, base, scaling, offset, seq_len,
         posfile) = sys.argv[2:13]
        dim, heads, R, base = int(dim), int(heads), int(R), float(base)
        p = parse_kv(sys.argv[13:])
        x = torch.from_numpy(np.fromfile(inp, dtype="<f4").astype(np.float64))
        x = x.reshape(-1, heads, dim)
        if posfile != "-":
            pos = torch.from_numpy(np.loadtxt(posfile, ndmin=1).astype(np.float64))
        else:
            k = torch.arange(x.shape[0], dtype=torch.float64)
            if int(seq_len) > 0:
                k = torch.remainder(k, int(seq_len))
            pos = float(offset) + k
        inv, af = hf_inv_freq(R, base, scaling, p)
        want = apply(x, pos, inv, af, style, R).reshape(-1, dim).numpy()
        got = np.fromfile(got_path, dtype="<f4").astype(np.float64)
        if got.size != want.size:
            print("inf")
            return
        got = got.reshape(-1, dim)
        err = np.linalg.norm(got - want, axis=1) / np.maximum(np.linalg.norm(want, axis=1), 1e-300)
        print("%.3g" % err.max())
    elif cmd == "bench":
        inp, out, dim, heads = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        torch.set_num_threads(1)
        t0 = time.perf_counter()
        x = torch.from_numpy(np.fromfile(inp, dtype="<f4")).reshape(-1, heads, dim)
        inv, af = hf_inv_freq(dim, 10000.0, "none", {})
        inv = inv.float()
        pos = torch.arange(x.shape[0], dtype=torch.float32)
        y = apply(x, pos, inv, af, "neox", dim)
        y.numpy().tofile(out)
        print("%.6f" % (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
