/* Fuzz the Gaussian-mixture JSON of sample-ode(1) (--gmm FILE): the parser
 * lives in cmd/sample-ode.c (load_gmm), so the program runs in-process
 * under fuzz_prog.h with the input written to a temporary file, two
 * samples of a few steps.
 * Oracle (fuzz_prog.h): exit 0 or 1, messages that begin "sample-ode: ",
 * no output after an error (the mixture is read before any sample); and on
 * success every sample printed is a finite number. */
#include "fuzz_prog.h"

#include <math.h>

#define main sample_ode_main
#include "../../cmd/sample-ode.c"
#undef main

#define GMM "@gmm"

static const char *const *const ode_arg_sets[] = {
	PROG_ARGS("sample-ode", "--gmm", GMM, "--n", "2", "--steps", "3", "--seed", "1", "-O", "text"),
	PROG_ARGS("sample-ode", "--gmm", GMM, "--n", "1", "--steps", "2", "--seed", "1",
		"--sampler", "euler-a", "-O", "text"),
	PROG_ARGS("sample-ode", "--gmm", GMM, "--n", "1", "--steps", "3", "--seed", "1",
		"--sampler", "dpmpp-2m", "--sigmas", "exponential", "-O", "text"),
	PROG_ARGS("sample-ode", "--gmm", GMM, "--n", "1", "--steps", "2", "--seed", "1",
		"--sampler", "edm", "--s-churn", "10", "-O", "text"),
};

static int ode_output_finite(void)
{
	const char *p = prog_out.data, *end = prog_out.data + prog_out.len;
	while (p && p < end) {
		char *next;
		double v = strtod(p, &next);
		if (next == p || !isfinite(v))
			return 0;
		p = next;
		while (p < end && (*p == ' ' || *p == '\n'))
			p++;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *const *set = ode_arg_sets[data[0] % (sizeof ode_arg_sets / sizeof *ode_arg_sets)];
	const char *args[24];
	const char *path = prog_input_file(data + 1, size - 1);
	size_t n = 0;
	for (; set[n] && n < 23; n++)
		args[n] = strcmp(set[n], GMM) == 0 ? path : set[n];
	args[n] = NULL;
	prog_case c = {args, PROG_READS_ALL};
	int status = prog_run(sample_ode_main, args, (const uint8_t *)"", 0);
	prog_check("sample-ode", &c, status, (const uint8_t *)"", 0);
	if (status == 0 && !ode_output_finite())
		prog_die("non-finite samples written", status, args);
	return 0;
}
