/* Fuzz grpo-adv(1) whole: its JSON Lines reader lives in cmd/grpo-adv.c
 * (a scanner that finds the group and reward fields without a full parse),
 * so the program runs in-process under the harness of fuzz_prog.h.
 * Oracle (fuzz_prog.h): exit 0 or 1, messages that begin "grpo-adv: ", no
 * output at all after an error (it reads all input first), and on success
 * one JSON object out per record in. */
#include "fuzz_prog.h"

#define main grpo_adv_main
#include "../../cmd/grpo-adv.c"
#undef main

static const char *const grpo_args_0[] = {"grpo-adv", NULL};
static const char *const grpo_args_1[] = {"grpo-adv", "--estimator", "rloo", "--std", "population", NULL};
static const char *const grpo_args_2[] = {"grpo-adv", "--length-penalty", "0.5", "--estimator", "kimi", NULL};
static const char *const grpo_args_3[] = {"grpo-adv", "--process", NULL};
static const char *const grpo_args_4[] = {"grpo-adv", "--scale", "batch", "--singleton", "raw", "--stats", "/dev/null", NULL};
static const char *const grpo_args_5[] = {"grpo-adv", "--estimator", "reinforce-baseline", "-g", "prompt", NULL};
static const prog_case grpo_cases[] = {
	{grpo_args_0, PROG_READS_ALL | PROG_JSONL_OUT},
	{grpo_args_1, PROG_READS_ALL | PROG_JSONL_OUT},
	{grpo_args_2, PROG_READS_ALL | PROG_JSONL_OUT},
	{grpo_args_3, PROG_READS_ALL | PROG_JSONL_OUT},
	{grpo_args_4, PROG_READS_ALL | PROG_JSONL_OUT},
	{grpo_args_5, PROG_READS_ALL | PROG_JSONL_OUT},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	prog_fuzz(grpo_adv_main, "grpo-adv", grpo_cases, sizeof grpo_cases / sizeof *grpo_cases, data, size);
	return 0;
}
