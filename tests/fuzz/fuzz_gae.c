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

static const char *const gae_args_0[] = {"gae", NULL};
static const char *const gae_args_1[] = {"gae", "--estimator", "vtrace", "--rho-bar", "0.9", NULL};
static const char *const gae_args_2[] = {"gae", "--normalize", "--gamma", "0.9", "--lambda", "0.5", NULL};
static const char *const gae_args_3[] = {"gae", "--td-target", NULL};
static const char *const gae_args_4[] = {"gae", "--estimator", "mc", "-O", "f64", NULL};
static const char *const gae_args_5[] = {"gae", "--env-field", "e", "--done-field", "d", "--mask-field", "m", NULL};
static const prog_case gae_cases[] = {
	{gae_args_0, PROG_READS_ALL | PROG_JSONL_OUT},
	{gae_args_1, PROG_READS_ALL | PROG_JSONL_OUT},
	{gae_args_2, PROG_READS_ALL | PROG_JSONL_OUT},
	{gae_args_3, PROG_JSONL_OUT},
	{gae_args_4, PROG_READS_ALL | PROG_JSONL_OUT},
	{gae_args_5, PROG_READS_ALL | PROG_JSONL_OUT},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	prog_fuzz(gae_main, "gae", gae_cases, sizeof gae_cases / sizeof *gae_cases, data, size);
	return 0;
}
