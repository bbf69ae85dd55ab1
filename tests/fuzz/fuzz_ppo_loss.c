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

static const char *const ppo_args_0[] = {"ppo-loss", NULL};
static const char *const ppo_args_1[] = {"ppo-loss", "--kl", "k3", "--beta", "0.1", "--agg", "seq-mean-token-mean", NULL};
static const char *const ppo_args_2[] = {"ppo-loss", "--objective", "kimi", "--tau", "0.5", NULL};
static const char *const ppo_args_3[] = {"ppo-loss", "--preset", "verl", "--dual-clip", "3", "--value-coef", "0.5", NULL};
static const char *const ppo_args_4[] = {"ppo-loss", "--agg", "seq-mean-token-sum-norm", "--max-len", "8",
					 "--normalize-adv", "--entropy-coef", "0.01", NULL};
static const char *const ppo_args_5[] = {"ppo-loss", "--objective", "pg", "--kl", "abs", "--beta", "1", NULL};
static const prog_case ppo_cases[] = {
	{ppo_args_0, PROG_READS_ALL | PROG_ONE_OBJECT},
	{ppo_args_1, PROG_READS_ALL | PROG_ONE_OBJECT},
	{ppo_args_2, PROG_READS_ALL | PROG_ONE_OBJECT},
	{ppo_args_3, PROG_READS_ALL | PROG_ONE_OBJECT},
	{ppo_args_4, PROG_READS_ALL | PROG_ONE_OBJECT},
	{ppo_args_5, PROG_READS_ALL | PROG_ONE_OBJECT},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	prog_fuzz(ppo_loss_main, "ppo-loss", ppo_cases, sizeof ppo_cases / sizeof *ppo_cases, data, size);
	return 0;
}
