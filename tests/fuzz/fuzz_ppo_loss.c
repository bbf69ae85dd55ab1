/* Fuzz ppo-loss(1) whole: its JSON Lines sequence reader (arrays logp,
 * old_logp, ref_logp, mask, advantage as number or array, value fields)
 * lives in cmd/ppo-loss.c, so the program runs in-process under
 * fuzz_prog.h.
 * Oracle (fuzz_prog.h): exit 0 or 1, messages that begin "ppo-loss: ", no
 * output after an error (the batch is read whole first), and on success
 * one JSON object. */
#include "fuzz_prog.h"

#define main ppo_loss_main
#include "../../cmd/ppo-loss.c"
#undef main

static const prog_case ppo_cases[] = {
	{PROG_ARGS("ppo-loss"),
		PROG_READS_ALL | PROG_ONE_OBJECT},
	{PROG_ARGS("ppo-loss", "--kl", "k3", "--beta", "0.1", "--agg", "seq-mean-token-mean"),
		PROG_READS_ALL | PROG_ONE_OBJECT},
	{PROG_ARGS("ppo-loss", "--objective", "kimi", "--tau", "0.5"),
		PROG_READS_ALL | PROG_ONE_OBJECT},
	{PROG_ARGS("ppo-loss", "--preset", "verl", "--dual-clip", "3", "--value-coef", "0.5"),
		PROG_READS_ALL | PROG_ONE_OBJECT},
	{PROG_ARGS("ppo-loss", "--agg", "seq-mean-token-sum-norm", "--max-len", "8",
		"--normalize-adv", "--entropy-coef", "0.01"),
		PROG_READS_ALL | PROG_ONE_OBJECT},
	{PROG_ARGS("ppo-loss", "--objective", "pg", "--kl", "abs", "--beta", "1"),
		PROG_READS_ALL | PROG_ONE_OBJECT},
};

PROG_TARGET(ppo_loss_main, "ppo-loss", ppo_cases)
