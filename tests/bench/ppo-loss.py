"""The PyTorch peer of ppo-loss: verl's compute_policy_loss + agg_loss (and
kl_penalty), written from verl/trainer/ppo/core_algos.py's formulas, on a
padded [B, T] batch.

    ppo-loss.py FRAME B T [--check] [--dual-clip C] [--agg MODE] [--kl-k3 B]

FRAME is the binary frame ppo-loss --columns logp,old_logp,advantage,mask,seq
reads, f32, with B sequences of T tokens each (mask 0 marks padding), or,
with --ref, logp,old_logp,advantage,mask,seq,ref_logp.  Prints the loss and
the seconds spent reading and computing (not the interpreter's start), on
one thread, as ppo-loss uses.
"""
import sys
import time

import numpy as np
import torch


def masked_mean(values, mask):
    # verl utils/torch_functional.py masked_mean: sum(v m) / (sum(m) + 1e-8)
    return (values * mask).sum() / (mask.sum() + 1e-8)


def agg_loss(loss_mat, loss_mask, loss_agg_mode, max_len):
    # verl core_algos.py agg_loss (max_len: the constant of ...-sum-norm)
    if loss_agg_mode == "token-mean":
        return masked_mean(loss_mat, loss_mask)
    seq_sums = torch.sum(loss_mat * loss_mask, dim=-1)
    if loss_agg_mode == "seq-mean-token-sum":
        return torch.mean(seq_sums)
    if loss_agg_mode == "seq-mean-token-mean":
        return torch.mean(seq_sums / torch.sum(loss_mask, dim=-1))
    if loss_agg_mode == "seq-mean-token-sum-norm":
        return torch.sum(seq_sums) / max_len
    raise ValueError(loss_agg_mode)


def compute_policy_loss(old_log_prob, log_prob, advantages, response_mask,
                        cliprange=0.2, clip_ratio_c=3.0, agg="token-mean", max_len=1.0):
    # verl core_algos.py compute_policy_loss_vanilla
    negative_approx_kl = torch.clamp(log_prob - old_log_prob, min=-20.0, max=20.0)
    ratio = torch.exp(negative_approx_kl)
    ppo_kl = masked_mean(-negative_approx_kl, response_mask)
    pg_losses1 = -advantages * ratio
    pg_losses2 = -advantages * torch.clamp(ratio, 1 - cliprange, 1 + cliprange)
    clip_pg_losses1 = torch.maximum(pg_losses1, pg_losses2)
    pg_clipfrac = masked_mean(torch.gt(pg_losses2, pg_losses1).float(), response_mask)
    pg_losses3 = -advantages * clip_ratio_c
    clip_pg_losses2 = torch.min(pg_losses3, clip_pg_losses1)
    pg_clipfrac_lower = masked_mean(
        torch.gt(clip_pg_losses1, pg_losses3) * (advantages < 0).float(), response_mask)
    pg_losses = torch.where(advantages < 0, clip_pg_losses2, clip_pg_losses1)
    pg_loss = agg_loss(pg_losses, response_mask, agg, max_len)
    return pg_loss, pg_clipfrac, ppo_kl, pg_clipfrac_lower


def kl_penalty_k3(logprob, ref_logprob):
    # verl core_algos.py kl_penalty, "low_var_kl"
    kl = torch.clamp(ref_logprob - logprob, min=-20, max=20)
    return torch.clamp(torch.exp(kl) - kl - 1, min=-10, max=10)


def main():
    args = sys.argv[1:]
    path, b, t = args[0], int(args[1]), int(args[2])
    dual = float(args[args.index("--dual-clip") + 1]) if "--dual-clip" in args else 3.0
    agg = args[args.index("--agg") + 1] if "--agg" in args else "token-mean"
    max_len = float(args[args.index("--max-len") + 1]) if "--max-len" in args else float(t)
    beta = float(args[args.index("--kl-k3") + 1]) if "--kl-k3" in args else 0.0
    ncol = 6 if "--ref" in args else 5
    torch.set_num_threads(1)
    dtype = torch.float64 if "--check" in args else torch.float32
    start = time.perf_counter()
    frame = torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(b, t, ncol)).to(dtype)
    logp, old, adv, mask = frame[..., 0], frame[..., 1], frame[..., 2], frame[..., 3]
    with torch.no_grad():
        loss, clipfrac, ppo_kl, clipfrac_lower = compute_policy_loss(
            old, logp, adv, mask, clip_ratio_c=dual, agg=agg, max_len=max_len)
        if beta:
            loss = loss + beta * agg_loss(kl_penalty_k3(logp, frame[..., 5]), mask, agg, max_len)
    seconds = time.perf_counter() - start
    print(f"loss {loss.item():.9g} clipfrac {clipfrac.item():.9g} ppo_kl {ppo_kl.item():.9g} "
          f"clipfrac_dual {clipfrac_lower.item():.9g} seconds {seconds:.4f}")


if __name__ == "__main__":
    main()
