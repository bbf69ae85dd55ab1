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

static const prog_case grpo_cases[] = {
	{PROG_ARGS("grpo-adv"),
		PROG_READS_ALL | PROG_JSONL_OUT},
	{PROG_ARGS("grpo-adv", "--estimator", "rloo", "--std", "population"),
		PROG_READS_ALL | PROG_JSONL_OUT},
	{PROG_ARGS("grpo-adv", "--length-penalty", "0.5", "--estimator", "kimi"),
		PROG_READS_ALL | PROG_JSONL_OUT},
	{PROG_ARGS("grpo-adv", "--process"),
		PROG_READS_ALL | PROG_JSONL_OUT},
	{PROG_ARGS("grpo-adv", "--scale", "batch", "--singleton", "raw", "--stats", "/dev/null"),
		PROG_READS_ALL | PROG_JSONL_OUT},
	{PROG_ARGS("grpo-adv", "--estimator", "reinforce-baseline", "-g", "prompt"),
		PROG_READS_ALL | PROG_JSONL_OUT},
};

PROG_TARGET(grpo_adv_main, "grpo-adv", grpo_cases)
