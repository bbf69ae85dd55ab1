/* Fuzz gae(1) whole: its JSON Lines record reader (fields, done and
 * truncated flags, environments, masks, V-trace log-probabilities) lives in
 * cmd/gae.c, so the program runs in-process under fuzz_prog.h.
 * Oracle (fuzz_prog.h): exit 0 or 1, messages that begin "gae: ", no output
 * after an error (a JSON Lines rollout is read whole first; --td-target,
 * where each line stands alone, streams and may have written whole records
 * before it), and on success one JSON object out per record in. */
#include "fuzz_prog.h"

#define main gae_main
#include "../../cmd/gae.c"
#undef main

static const prog_case gae_cases[] = {
	{PROG_ARGS("gae"),
		PROG_READS_ALL | PROG_JSONL_OUT},
	{PROG_ARGS("gae", "--estimator", "vtrace", "--rho-bar", "0.9"),
		PROG_READS_ALL | PROG_JSONL_OUT},
	{PROG_ARGS("gae", "--normalize", "--gamma", "0.9", "--lambda", "0.5"),
		PROG_READS_ALL | PROG_JSONL_OUT},
	{PROG_ARGS("gae", "--td-target"),
		PROG_JSONL_OUT},
	{PROG_ARGS("gae", "--estimator", "mc", "-O", "f64"),
		PROG_READS_ALL | PROG_JSONL_OUT},
	{PROG_ARGS("gae", "--env-field", "e", "--done-field", "d", "--mask-field", "m"),
		PROG_READS_ALL | PROG_JSONL_OUT},
};

PROG_TARGET(gae_main, "gae", gae_cases)
