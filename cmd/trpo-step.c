/* trpo-step: TRPO's natural-gradient step as a filter.  Score vectors
 * (N rows of P) on standard input, advantages (N values) from a file; the
 * step (one row of P) on standard output.  The math is lib/trpo.c. */
#include <float.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "trpo.h"

static const char usage[] =
	"Usage: trpo-step --params P --advantages FILE [OPTIONS] [SCORES]\n"
	"The TRPO step s = sqrt(2 delta / x'Fx) x with x = CG(F, g): g = mean(A_i g_i),\n"
	"F = mean(g_i g_i') + damping I, from score vectors g_i = grad log pi(a_i|s_i)\n"
	"(N rows of P values) and advantages A_i (N values).  Writes one row of P.\n"
	"\n"
	"  -p, --params P           parameters per score row (or the .npy shape's)\n"
	"  -a, --advantages FILE    N advantages, one per score row (required)\n"
	"  -d, --delta D            KL bound of the step (default 0.01)\n"
	"      --damping X          added to the Fisher's diagonal (default 0.1)\n"
	"      --cg-iters K         conjugate-gradient iterations (default 10)\n"
	"      --stats FILE         JSON: gradient norm, CG residual per iteration,\n"
	"                           x'Fx, step scale, expected improvement g's,\n"
	"                           predicted KL 0.5 s'Fs\n"
	"  -I, --input-format FMT   scores and advantages: auto, f32, f64, npy, text\n"
	"                           (default auto)\n"
	"  -O, --output-format FMT  f32, f64, npy, text, json (default f32); f64 also\n"
	"                           prints --stats with 17 digits\n"
	"  -f, --force              write binary output to a terminal\n"
	CLI_HELP_END
	"\n"
	"Defaults follow Spinning Up's TRPO.  Example:\n"
	"  trpo-step -p 64 -a adv.f32 --delta 0.01 scores.f32 > step.f32\n";

enum { OPT_DAMPING = 256, OPT_CG_ITERS, OPT_STATS };

static const struct option long_options[] = {
	{ "params", required_argument, NULL, 'p' },
	{ "advantages", required_argument, NULL, 'a' },
	{ "delta", required_argument, NULL, 'd' },
	{ "damping", required_argument, NULL, OPT_DAMPING },
	{ "cg-iters", required_argument, NULL, OPT_CG_ITERS },
	{ "stats", required_argument, NULL, OPT_STATS },
	CLI_OPTIONS_FORMATS,
	CLI_OPTIONS_END,
};

typedef struct options {
	trpo_params params;
	size_t dim;
	const char *advantages, *stats, *input;
	enum io_format in_fmt, out_fmt;
	int force;
} options;

/* Enough iterations for any P the memory allows; a guard against typos. */
#define MAX_CG_ITERS 100000

static void parse_options(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	trpo_params_default(&o->params);
	o->in_fmt = IO_AUTO;
	o->out_fmt = IO_F32;
	int c;
	while ((c = getopt_long(argc, argv, "p:a:d:I:O:fhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'p': o->dim = cli_size("--params", optarg, 1, IO_MAX_DIM); break;
		case 'a': o->advantages = optarg; break;
		case 'd': o->params.delta = cli_double("--delta", optarg, 1e-300, 1e12); break;
		case OPT_DAMPING: o->params.damping = cli_double("--damping", optarg, 0.0, 1e12); break;
		case OPT_CG_ITERS: o->params.cg_iters = cli_size("--cg-iters", optarg, 1, MAX_CG_ITERS); break;
		case OPT_STATS: o->stats = optarg; break;
		case 'I': o->in_fmt = io_format_option("--input-format", optarg, 1); break;
		case 'O': o->out_fmt = io_format_option("--output-format", optarg, 0); break;
		case 'f': o->force = 1; break;
		case 'h': cli_help(usage);
		case 'V': cli_version();
		default: cli_usage_error("unknown option");
		}
	}
	if (argc - optind > 1)
		cli_usage_error("one input file at most");
	if (!o->advantages)
		cli_usage_error("--advantages is required");
	if (!o->dim && o->in_fmt != IO_AUTO && o->in_fmt != IO_NPY)
		cli_usage_error("--params is required");
	o->input = optind < argc ? argv[optind] : NULL;
	if (!strcmp(o->advantages, "-") && (!o->input || !strcmp(o->input, "-")))
		cli_usage_error("--advantages and the scores cannot both be standard input");
}

static const char *name_of(const char *path)
{
	return path && strcmp(path, "-") ? path : "stdin";
}

/* Every row of a stream; dim 0 takes it from the .npy shape. */
static double *read_rows(FILE *fp, const char *name, enum io_format fmt, size_t dim,
	size_t *n_rows, size_t *dim_out)
{
	io_reader r;
	memset(&r, 0, sizeof r);
	if (io_reader_open(&r, fp, name, fmt, dim) != 0) {
		if (dim == 0 && r.fmt != IO_NPY)
			cli_usage_error("--params is required: %s is not a .npy file", name);
		cli_die("%s", r.err);
	}
	double *rows = NULL;
	if (io_read_all(&r, &rows, n_rows) != 0)
		cli_die("%s", r.err);
	*dim_out = r.dim;
	io_reader_close(&r);
	return rows;
}

/* Finite, and within float32's range unless written as float64. */
static int representable(double v, int f64)
{
	return isfinite(v) && (f64 || fabs(v) <= FLT_MAX);
}

/* Everything is checked before anything is written. */
static void check_outputs(const options *o, const double *step, size_t p,
	const trpo_result *res, const double *residuals)
{
	int f64 = o->out_fmt == IO_F64;
	const char *why = f64 ? "is not finite: the inputs are too large"
		: "does not fit float32 (try -O f64)";
	if (!isfinite(res->grad_norm) || !isfinite(res->xFx))
		cli_die("%s: the gradient or the Fisher product overflows: the inputs are too large",
			name_of(o->input));
	for (size_t j = 0; j < p; j++)
		if (!representable(step[j], f64))
			cli_die("%s: the step %s", name_of(o->input), why);
	if (!o->stats)
		return;
	double stats[] = { res->grad_norm, res->xFx, res->scale, res->improvement, res->predicted_kl };
	for (size_t k = 0; k < sizeof stats / sizeof *stats; k++)
		if (!representable(stats[k], f64))
			cli_die("%s: the statistics %s", name_of(o->input), why);
	for (size_t k = 0; k <= res->cg_iters; k++)
		if (!representable(residuals[k], f64))
			cli_die("%s: the CG residuals %s", name_of(o->input), why);
}

static void put_number(FILE *fp, const char *name, double v, int f64)
{
	char num[64];
	io_format_number(num, sizeof num, v, f64);
	fprintf(fp, "\"%s\": %s, ", name, num);
}

static void write_stats(const options *o, size_t n, size_t p, const trpo_result *res,
	const double *residuals)
{
	FILE *fp = cli_fopen_out(o->stats);
	int f64 = o->out_fmt == IO_F64;
	fprintf(fp, "{\"samples\": %zu, \"params\": %zu, ", n, p);
	put_number(fp, "delta", o->params.delta, f64);
	put_number(fp, "damping", o->params.damping, f64);
	put_number(fp, "grad_norm", res->grad_norm, f64);
	fprintf(fp, "\"cg_iters\": %zu, \"cg_residuals\": [", res->cg_iters);
	for (size_t k = 0; k <= res->cg_iters; k++) {
		char num[64];
		io_format_number(num, sizeof num, residuals[k], f64);
		fprintf(fp, "%s%s", k ? ", " : "", num);
	}
	fputs("], ", fp);
	put_number(fp, "xFx", res->xFx, f64);
	put_number(fp, "step_scale", res->scale, f64);
	put_number(fp, "expected_improvement", res->improvement, f64);
	char num[64];
	io_format_number(num, sizeof num, res->predicted_kl, f64);
	fprintf(fp, "\"predicted_kl\": %s}\n", num);
	cli_fclose(fp, o->stats);
}

static double *alloc_doubles(size_t n)
{
	if (n > SIZE_MAX / sizeof(double))
		cli_die("input too large");
	double *p = malloc((n ? n : 1) * sizeof *p);
	if (!p)
		cli_die("out of memory");
	return p;
}

int main(int argc, char **argv)
{
	cli_init("trpo-step");
	options o;
	parse_options(argc, argv, &o);
	cli_refuse_tty(stdout, io_format_is_binary(o.out_fmt), o.force);
	FILE *in = cli_fopen_in(o.input);
	size_t n = 0, p = 0, n_adv = 0, adv_dim = 0;
	double *scores = read_rows(in, name_of(o.input), o.in_fmt, o.dim, &n, &p);
	if (n == 0)
		cli_die("%s: no score rows", name_of(o.input));
	FILE *adv_fp = cli_fopen_in(o.advantages);
	double *adv = read_rows(adv_fp, name_of(o.advantages), o.in_fmt, 1, &n_adv, &adv_dim);
	if (n_adv != n)
		cli_die("%s: %zu advantages for %zu score rows", name_of(o.advantages), n_adv, n);
	double *step = alloc_doubles(p);
	double *work = alloc_doubles(TRPO_WORK(p));
	double *residuals = alloc_doubles(o.params.cg_iters + 1);
	trpo_result res;
	trpo_step(&o.params, scores, adv, n, p, step, residuals, &res, work);
	check_outputs(&o, step, p, &res, residuals);
	io_writer w;
	if (io_writer_open(&w, stdout, "stdout", o.out_fmt, p, 1) != 0)
		cli_die("%s", w.err);
	w.text_f64 = w.npy_f64 = o.out_fmt == IO_F64;
	if (io_write_rows(&w, step, 1) != 0 || io_writer_close(&w) != 0)
		cli_die("%s", w.err);
	if (o.stats)
		write_stats(&o, n, p, &res, residuals);
	free(scores);
	free(adv);
	free(step);
	free(work);
	free(residuals);
	if (in != stdin)
		fclose(in);
	if (adv_fp != stdin)
		fclose(adv_fp);
	cli_close_stdout();
	return 0;
}
