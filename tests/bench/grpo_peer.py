"""Python peer of grpo-adv for tests/bench/grpo-adv.sh.

    grpo_peer.py gen N G          N completions, G per prompt, JSON Lines
    grpo_peer.py trl G [EPS]      TRL's advantages, stdin to stdout; prints
                                  the seconds spent after imports to stderr
    grpo_peer.py compare A B      largest |advantage difference| of two outputs

The "trl" mode follows TRL's GRPOTrainer (trl/trainer/grpo_trainer.py,
scale_rewards="group"): rewards of num_generations consecutive completions
form a group; mean_grouped_rewards and std_grouped_rewards (torch.std,
unbiased) per group; advantages = (rewards - mean) / (std + 1e-4), in
float32.  Input and output are JSON Lines handled with the json module;
the advantage is appended to each line's text, as grpo-adv does.
"""
import json
import random
import sys
import time


def gen(n, g):
    rng = random.Random(7)
    out = []
    for i in range(n):
        correct = rng.random() < 0.4
        reward = (1.0 if correct else 0.0) + rng.choice((0, 0, 0.1, 0.25))
        out.append('{"id":%d,"group":"q-%07d","reward":%r,"length":%d,"correct":%s,"finish":"stop"}\n'
                   % (i, i // g, reward, rng.randint(40, 2000), "true" if correct else "false"))
        if len(out) == 65536:
            sys.stdout.write("".join(out))
            out = []
    sys.stdout.write("".join(out))


def trl(g, eps):
    import torch
    t0 = time.perf_counter()
    lines = sys.stdin.buffer.read().decode().splitlines()
    rewards = torch.tensor([float(json.loads(line)["reward"]) for line in lines],
                           dtype=torch.float32)
    mean = rewards.view(-1, g).mean(dim=1).repeat_interleave(g, dim=0)
    std = rewards.view(-1, g).std(dim=1).repeat_interleave(g, dim=0)
    advantages = ((rewards - mean) / (std + eps)).tolist()
    sys.stdout.write("".join('%s,"advantage":%.9g}\n' % (line[:line.rindex("}")], a)
                             for line, a in zip(lines, advantages)))
    sys.stdout.flush()
    print("%.3f" % (time.perf_counter() - t0), file=sys.stderr)


def compare(a, b):
    worst = 0.0
    with open(a) as fa, open(b) as fb:
        for la, lb in zip(fa, fb):
            ha, _, va = la.rpartition(',"advantage":')
            hb, _, vb = lb.rpartition(',"advantage":')
            if ha != hb:
                sys.exit("lines differ outside the advantage: %r" % la)
            worst = max(worst, abs(float(va.rstrip("}\n")) - float(vb.rstrip("}\n"))))
    print("%.3g" % worst)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "trl":
        trl(int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4)
    elif mode == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
