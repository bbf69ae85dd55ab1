/* diffuse-noise: the forward process of diffusion and flow models as a
 * filter, x_t = s(t) (x_0 + sigma(t) eps).  The schedules, targets and time
 * distributions are lib/schedule.c; the normals lib/gauss.c over lib/rng. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gauss.h"
#include "io.h"
#include "rng.h"
#include "schedule.h"

static const char usage[] =
	"Usage: diffuse-noise [OPTIONS] [FILE...]\n"
	"Noise rows x_0 by the forward process x_t = s(t) (x_0 + sigma(t) eps),\n"
	"eps ~ N(0, I), one time per row; or write the schedule (--table N).\n"
	"\n"
	"Schedule:\n"
	"      --schedule NAME      vp, ve, edm, flow, ddpm (default edm)\n"
	"      --beta-d B           vp: beta_d (default 19.9)\n"
	"      --beta-min B         vp: beta_min (default 0.1)\n"
	"      --sigma-min S        ve: 0.02, edm: 0.002 (defaults)\n"
	"      --sigma-max S        ve: 100, edm: 80 (defaults)\n"
	"      --sigma-data S       data std of the edm target (default 0.5)\n"
	"      --shift S            flow: t' = S t / (1 + (S-1) t) (default 1; SD3 3)\n"
	"      --beta-schedule NAME ddpm: linear, scaled-linear, cosine (default linear)\n"
	"      --beta-start B       ddpm: first beta (default 1e-4; scaled-linear\n"
	"                           0.00085)\n"
	"      --beta-end B         ddpm: last beta (default 0.02; scaled-linear 0.012)\n"
	"      --cosine-s S         ddpm cosine offset (default 0.008)\n"
	"      --max-beta B         ddpm cosine clip (default 0.999)\n"
	"      --train-steps T      ddpm steps (default 1000)\n"
	"      --zero-terminal-snr  ddpm: rescale to abar = 0 at the last step\n"
	"Time (one of):\n"
	"      --t T                the same time for every row\n"
	"      --sigma S            the time whose noise level is S\n"
	"      --step K             ddpm: step K in 0 .. T-1\n"
	"      --t-dist NAME        per row: uniform, edm, logit-normal (default edm\n"
	"                           for edm, logit-normal for flow, else uniform)\n"
	"      --p-mean M           edm: mean of ln sigma (default -1.2)\n"
	"      --p-std S            edm: std of ln sigma (default 1.2)\n"
	"      --logit-mean M       logit-normal: mean (default 0)\n"
	"      --logit-std S        logit-normal: std (default 1)\n"
	"Output:\n"
	"  -s, --seed SEED          any string; same seed, same bytes (default: random)\n"
	"      --noise-out FILE     write eps, a row per row\n"
	"      --t-out FILE         write t and sigma, a row of two per row\n"
	"      --target-out FILE    write the training target, a row per row\n"
	"      --target NAME        eps, x0, v, velocity, score, edm (default eps)\n"
	"      --table N            write N rows of t, s, sigma, abar, snr, log-snr\n"
	"                           (text with a header unless -O is given)\n"
	"  -d, --dim D              values per row (default: from .npy or text)\n"
	"  -I, --input-format FMT   f32, f64, npy, text, auto (default auto)\n"
	"  -O, --output-format FMT  f32, f64, npy, text, json (default f32)\n"
	"  -f, --force              write binary output to a terminal\n"
	"  -q, --quiet              no progress bar\n"
	CLI_HELP_END
	"\n"
	"Example:\n"
	"  printf '1 2 3 4\\n' | diffuse-noise -I text -O text --schedule ddpm --step 500\n";

enum time_mode { TIME_DIST, TIME_FIXED };
enum t_dist { TDIST_UNIFORM, TDIST_EDM, TDIST_LOGIT_NORMAL };
static const char *const t_dist_names[] = { "uniform", "edm", "logit-normal", NULL };

typedef struct options {
	sched sched;
	enum time_mode time_mode;
	double fixed_t;
	int t_dist;
	double p_mean, p_std, logit_mean, logit_std;
	const char *seed;
	const char *noise_out, *t_out, *target_out;
	enum sched_target target;
	size_t table_rows;
	int table;
	size_t dim;
	enum io_format in_fmt, out_fmt;
	int out_fmt_given, force, quiet;
	char **inputs;
	int n_inputs;
} options;

enum {
	OPT_SCHEDULE = 256, OPT_BETA_D, OPT_BETA_MIN, OPT_SIGMA_MIN, OPT_SIGMA_MAX,
	OPT_SIGMA_DATA, OPT_SHIFT, OPT_BETA_SCHEDULE, OPT_BETA_START, OPT_BETA_END,
	OPT_COSINE_S, OPT_MAX_BETA, OPT_TRAIN_STEPS, OPT_ZTSNR, OPT_T, OPT_SIGMA,
	OPT_STEP, OPT_T_DIST, OPT_P_MEAN, OPT_P_STD, OPT_LOGIT_MEAN, OPT_LOGIT_STD,
	OPT_NOISE_OUT, OPT_T_OUT, OPT_TARGET_OUT, OPT_TARGET, OPT_TABLE, OPT_END
};

static const struct option long_options[] = {
	{ "schedule", required_argument, NULL, OPT_SCHEDULE },
	{ "beta-d", required_argument, NULL, OPT_BETA_D },
	{ "beta-min", required_argument, NULL, OPT_BETA_MIN },
	{ "sigma-min", required_argument, NULL, OPT_SIGMA_MIN },
	{ "sigma-max", required_argument, NULL, OPT_SIGMA_MAX },
	{ "sigma-data", required_argument, NULL, OPT_SIGMA_DATA },
	{ "shift", required_argument, NULL, OPT_SHIFT },
	{ "beta-schedule", required_argument, NULL, OPT_BETA_SCHEDULE },
	{ "beta-start", required_argument, NULL, OPT_BETA_START },
	{ "beta-end", required_argument, NULL, OPT_BETA_END },
	{ "cosine-s", required_argument, NULL, OPT_COSINE_S },
	{ "max-beta", required_argument, NULL, OPT_MAX_BETA },
	{ "train-steps", required_argument, NULL, OPT_TRAIN_STEPS },
	{ "zero-terminal-snr", no_argument, NULL, OPT_ZTSNR },
	{ "t", required_argument, NULL, OPT_T },
	{ "sigma", required_argument, NULL, OPT_SIGMA },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "t-dist", required_argument, NULL, OPT_T_DIST },
	{ "p-mean", required_argument, NULL, OPT_P_MEAN },
	{ "p-std", required_argument, NULL, OPT_P_STD },
	{ "logit-mean", required_argument, NULL, OPT_LOGIT_MEAN },
	{ "logit-std", required_argument, NULL, OPT_LOGIT_STD },
	{ "seed", required_argument, NULL, 's' },
	{ "noise-out", required_argument, NULL, OPT_NOISE_OUT },
	{ "t-out", required_argument, NULL, OPT_T_OUT },
	{ "target-out", required_argument, NULL, OPT_TARGET_OUT },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "dim", required_argument, NULL, 'd' },
	CLI_OPTIONS_FORMATS,
	{ "quiet", no_argument, NULL, 'q' },
	CLI_OPTIONS_END,
};

/* The raw option values, kept until the schedule (and so its defaults) is
 * known.  given[OPT_X - OPT_SCHEDULE] says whether --x was on the line. */
typedef struct raw_options {
	const char *arg[OPT_END - OPT_SCHEDULE];
	int given[OPT_END - OPT_SCHEDULE];
} raw_options;

#define GIVEN(raw, opt) ((raw)->given[(opt) - OPT_SCHEDULE])
#define ARG(raw, opt) ((raw)->arg[(opt) - OPT_SCHEDULE])

static const char *option_name(int opt)
{
	for (const struct option *lo = long_options; lo->name; lo++)
		if (lo->val == opt)
			return lo->name;
	return "?";
}

static double num(const raw_options *raw, int opt, double lo, double hi)
{
	char name[40];
	snprintf(name, sizeof name, "--%s", option_name(opt));
	return cli_double(name, ARG(raw, opt), lo, hi);
}

/* Options that only mean something for one schedule. */
static void check_applies(const raw_options *raw, enum sched_kind kind)
{
	static const struct { int opt; unsigned kinds; } only[] = {
		{ OPT_BETA_D, 1u << SCHED_VP }, { OPT_BETA_MIN, 1u << SCHED_VP },
		{ OPT_SIGMA_MIN, 1u << SCHED_VE | 1u << SCHED_EDM },
		{ OPT_SIGMA_MAX, 1u << SCHED_VE | 1u << SCHED_EDM },
		{ OPT_SHIFT, 1u << SCHED_FLOW },
		{ OPT_BETA_SCHEDULE, 1u << SCHED_DDPM }, { OPT_BETA_START, 1u << SCHED_DDPM },
		{ OPT_BETA_END, 1u << SCHED_DDPM }, { OPT_COSINE_S, 1u << SCHED_DDPM },
		{ OPT_MAX_BETA, 1u << SCHED_DDPM }, { OPT_TRAIN_STEPS, 1u << SCHED_DDPM },
		{ OPT_ZTSNR, 1u << SCHED_DDPM }, { OPT_STEP, 1u << SCHED_DDPM },
	};
	for (size_t i = 0; i < sizeof only / sizeof *only; i++)
		if (GIVEN(raw, only[i].opt) && !(only[i].kinds & (1u << kind)))
			cli_usage_error("--%s does not apply to --schedule %s",
				option_name(only[i].opt), sched_kind_names[kind]);
}

static void build_schedule(const raw_options *raw, sched *s)
{
	enum sched_kind kind = SCHED_EDM;
	if (GIVEN(raw, OPT_SCHEDULE))
		kind = (enum sched_kind)cli_choice("--schedule", ARG(raw, OPT_SCHEDULE), sched_kind_names);
	check_applies(raw, kind);
	sched_defaults(s, kind);
	if (GIVEN(raw, OPT_BETA_SCHEDULE)) {
		s->beta_schedule = (enum sched_beta)cli_choice("--beta-schedule",
			ARG(raw, OPT_BETA_SCHEDULE), sched_beta_names);
		sched_set_beta_defaults(s);
	}
	if (GIVEN(raw, OPT_BETA_D))
		s->beta_d = num(raw, OPT_BETA_D, 0, 1e6);
	if (GIVEN(raw, OPT_BETA_MIN))
		s->beta_min = num(raw, OPT_BETA_MIN, 0, 1e6);
	if (GIVEN(raw, OPT_SIGMA_MIN))
		s->sigma_min = num(raw, OPT_SIGMA_MIN, 0, 1e300);
	if (GIVEN(raw, OPT_SIGMA_MAX))
		s->sigma_max = num(raw, OPT_SIGMA_MAX, 0, 1e300);
	if (GIVEN(raw, OPT_SIGMA_DATA))
		s->sigma_data = num(raw, OPT_SIGMA_DATA, 0x1p-1000, 1e300);
	if (GIVEN(raw, OPT_SHIFT))
		s->shift = num(raw, OPT_SHIFT, 0x1p-1000, 1e300);
	if (GIVEN(raw, OPT_BETA_START))
		s->beta_start = num(raw, OPT_BETA_START, 0x1p-1000, 1 - 0x1p-53);
	if (GIVEN(raw, OPT_BETA_END))
		s->beta_end = num(raw, OPT_BETA_END, 0x1p-1000, 1 - 0x1p-53);
	if (GIVEN(raw, OPT_COSINE_S))
		s->cosine_s = num(raw, OPT_COSINE_S, 0, 1e6);
	if (GIVEN(raw, OPT_MAX_BETA))
		s->max_beta = num(raw, OPT_MAX_BETA, 0x1p-1000, 1);
	if (GIVEN(raw, OPT_TRAIN_STEPS))
		s->n_steps = cli_size("--train-steps", ARG(raw, OPT_TRAIN_STEPS), 1, 100000000);
	s->zero_terminal_snr = GIVEN(raw, OPT_ZTSNR);
	const char *err = sched_init(s);
	if (err)
		cli_usage_error("--schedule %s: %s", sched_kind_names[kind], err);
}

/* The fixed time of --t, --sigma or --step, checked against the
 * schedule's domain. */
static double fixed_time(const raw_options *raw, const sched *s)
{
	if (GIVEN(raw, OPT_STEP))
		return (double)cli_size("--step", ARG(raw, OPT_STEP), 0, s->n_steps - 1);
	if (GIVEN(raw, OPT_SIGMA)) {
		double sigma = num(raw, OPT_SIGMA, 0, 1e300);
		if (s->kind == SCHED_DDPM && (sigma < sched_sigma(s, 0) || sigma > sched_sigma(s, s->t_max)))
			cli_usage_error("--sigma: %g is outside the ddpm range [%g, %g]", sigma,
				sched_sigma(s, 0), sched_sigma(s, s->t_max));
		if (s->kind == SCHED_VE && sigma == 0)
			cli_usage_error("--sigma: 0 is not a noise level of the ve schedule");
		return sched_t_of_sigma(s, sigma);
	}
	switch (s->kind) {
	case SCHED_FLOW:
		return num(raw, OPT_T, 0, 1);
	case SCHED_DDPM:
		return num(raw, OPT_T, 0, s->t_max);
	case SCHED_VE:
		return num(raw, OPT_T, -1e6, 1e6);
	default:
		return num(raw, OPT_T, 0, 1e300);
	}
}

static void set_time(const raw_options *raw, options *o)
{
	const sched *s = &o->sched;
	int fixed = GIVEN(raw, OPT_T) + GIVEN(raw, OPT_SIGMA) + GIVEN(raw, OPT_STEP);
	if (fixed > 1 || (fixed && GIVEN(raw, OPT_T_DIST)))
		cli_usage_error("give one of --t, --sigma, --step, --t-dist");
	/* the training distribution of each family's reference: EDM's
	 * log-normal sigma, SD3's logit-normal, uniform for the others */
	o->t_dist = s->kind == SCHED_EDM ? TDIST_EDM :
		s->kind == SCHED_FLOW ? TDIST_LOGIT_NORMAL : TDIST_UNIFORM;
	if (GIVEN(raw, OPT_T_DIST))
		o->t_dist = cli_choice("--t-dist", ARG(raw, OPT_T_DIST), t_dist_names);
	o->time_mode = fixed ? TIME_FIXED : TIME_DIST;
	if (fixed)
		o->fixed_t = fixed_time(raw, s);
	o->p_mean = GIVEN(raw, OPT_P_MEAN) ? num(raw, OPT_P_MEAN, -1e3, 1e3) : -1.2;
	o->p_std = GIVEN(raw, OPT_P_STD) ? num(raw, OPT_P_STD, 0, 1e3) : 1.2;
	o->logit_mean = GIVEN(raw, OPT_LOGIT_MEAN) ? num(raw, OPT_LOGIT_MEAN, -1e3, 1e3) : 0;
	o->logit_std = GIVEN(raw, OPT_LOGIT_STD) ? num(raw, OPT_LOGIT_STD, 0, 1e3) : 1;
	if ((GIVEN(raw, OPT_P_MEAN) || GIVEN(raw, OPT_P_STD)) && (fixed || o->t_dist != TDIST_EDM))
		cli_usage_error("--p-mean and --p-std apply to --t-dist edm");
	if ((GIVEN(raw, OPT_LOGIT_MEAN) || GIVEN(raw, OPT_LOGIT_STD)) &&
	    (fixed || o->t_dist != TDIST_LOGIT_NORMAL))
		cli_usage_error("--logit-mean and --logit-std apply to --t-dist logit-normal");
}

static void set_outputs(const raw_options *raw, options *o)
{
	o->noise_out = GIVEN(raw, OPT_NOISE_OUT) ? ARG(raw, OPT_NOISE_OUT) : NULL;
	o->t_out = GIVEN(raw, OPT_T_OUT) ? ARG(raw, OPT_T_OUT) : NULL;
	o->target_out = GIVEN(raw, OPT_TARGET_OUT) ? ARG(raw, OPT_TARGET_OUT) : NULL;
	o->target = SCHED_TARGET_EPS;
	if (GIVEN(raw, OPT_TARGET)) {
		if (!o->target_out)
			cli_usage_error("--target needs --target-out FILE");
		o->target = (enum sched_target)cli_choice("--target", ARG(raw, OPT_TARGET), sched_target_names);
	}
	if (o->target_out && o->target == SCHED_TARGET_SCORE && o->time_mode == TIME_FIXED) {
		sched_point p = sched_at(&o->sched, o->fixed_t);
		if (!(p.noise > 0))
			cli_usage_error("--target score: the score is undefined at sigma = 0");
	}
	o->table = GIVEN(raw, OPT_TABLE);
	if (o->table) {
		o->table_rows = cli_size("--table", ARG(raw, OPT_TABLE), 1, 100000000);
		if (o->noise_out || o->t_out || o->target_out || o->n_inputs ||
		    GIVEN(raw, OPT_T) || GIVEN(raw, OPT_SIGMA) || GIVEN(raw, OPT_STEP) ||
		    GIVEN(raw, OPT_T_DIST))
			cli_usage_error("--table takes no input, times or side outputs");
	}
}

static void parse_options(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	o->in_fmt = IO_AUTO;
	o->out_fmt = IO_F32;
	raw_options raw;
	memset(&raw, 0, sizeof raw);
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":s:d:I:O:fqhV", long_options, NULL)) != -1) {
		if (c >= OPT_SCHEDULE && c < OPT_END) {
			GIVEN(&raw, c) = 1;
			ARG(&raw, c) = optarg;
			continue;
		}
		switch (c) {
		case 's': o->seed = optarg; break;
		case 'd': o->dim = cli_size("--dim", optarg, 1, IO_MAX_DIM); break;
		case 'I': o->in_fmt = io_format_option("--input-format", optarg, 1); break;
		case 'O':
			o->out_fmt = io_format_option("--output-format", optarg, 0);
			o->out_fmt_given = 1;
			break;
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': cli_help(usage);
		case 'V': cli_version();
		case ':': cli_usage_error("option '%s' needs a value", argv[optind - 1]);
		default: cli_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	o->inputs = argv + optind;
	o->n_inputs = argc - optind;
	build_schedule(&raw, &o->sched);
	set_time(&raw, o);
	set_outputs(&raw, o);
	if (o->table && !o->out_fmt_given)
		o->out_fmt = IO_TEXT;
}

/* ------------------------------------------------------------------ */
/* --table */

static void write_table(const options *o)
{
	const sched *s = &o->sched;
	io_writer w;
	if (io_writer_open(&w, stdout, NULL, o->out_fmt, 6, (int64_t)o->table_rows) != 0)
		cli_die("%s", w.err);
	if (o->out_fmt == IO_TEXT && printf("# t s sigma abar snr log_snr\n") < 0)
		cli_die("write error: standard output");
	size_t n = o->table_rows;
	for (size_t i = 0; i < n; i++) {
		double t = n > 1 ? s->t_min + (s->t_max - s->t_min) * ((double)i / (double)(n - 1)) : s->t_min;
		if (s->kind == SCHED_DDPM)
			t = rint(t); /* diffusers "linspace" spacing, rounded */
		sched_point p = sched_at(s, t);
		double row[6] = { t, p.s, p.sigma, p.abar, exp(p.log_snr), p.log_snr };
		if (io_write_rows(&w, row, 1) != 0)
			cli_die("%s", w.err);
	}
	if (io_writer_close(&w) != 0)
		cli_die("%s", w.err);
}

/* ------------------------------------------------------------------ */
/* Noising */

/* Everything a chunk of rows needs: buffers and the writers. */
typedef struct stream {
	const options *o;
	rng noise_rng, time_rng;
	size_t dim, chunk;
	double *x0, *eps, *xt, *target, *times, *t_sigma;
	io_writer out, noise, t_out, target_out;
	FILE *noise_fp, *t_fp, *target_fp;
	int writers_open;
	uint64_t row;               /* rows done, over all inputs */
	cli_progress progress;
} stream;

/* Rows per chunk: about 16k values, at least one row. */
static size_t chunk_rows(size_t dim)
{
	size_t rows = ((size_t)1 << 14) / dim;
	return rows ? rows : 1;
}

static double *alloc_values(size_t rows, size_t dim)
{
	if (dim > SIZE_MAX / sizeof(double) / rows)
		cli_die("out of memory");
	double *p = malloc(rows * dim * sizeof(double));
	if (!p)
		cli_die("out of memory");
	return p;
}

static void open_writer(io_writer *w, FILE *fp, const char *name, const options *o, size_t dim, int64_t rows)
{
	if (io_writer_open(w, fp, name, o->out_fmt, dim, rows) != 0)
		cli_die("%s", w->err);
}

/* Allocate and open once the row length is known (from the first input). */
static void stream_start(stream *st, size_t dim, int64_t rows)
{
	const options *o = st->o;
	st->dim = dim;
	st->chunk = chunk_rows(dim);
	st->x0 = alloc_values(st->chunk, dim);
	st->eps = alloc_values(st->chunk, dim);
	st->xt = alloc_values(st->chunk, dim);
	st->target = o->target_out ? alloc_values(st->chunk, dim) : NULL;
	st->times = alloc_values(st->chunk, 1);
	st->t_sigma = alloc_values(st->chunk, 2);
	open_writer(&st->out, stdout, NULL, o, dim, rows);
	if (o->noise_out)
		open_writer(&st->noise, st->noise_fp, o->noise_out, o, dim, rows);
	if (o->t_out)
		open_writer(&st->t_out, st->t_fp, o->t_out, o, 2, rows);
	if (o->target_out)
		open_writer(&st->target_out, st->target_fp, o->target_out, o, dim, rows);
	st->writers_open = 1;
}

/* The time of each row of the chunk: fixed, or drawn from the time
 * stream at the row's index (uniforms and normals addressed by row). */
static void chunk_times(stream *st, size_t n)
{
	const options *o = st->o;
	const sched *s = &o->sched;
	double *t = st->times;
	if (o->time_mode == TIME_FIXED) {
		for (size_t i = 0; i < n; i++)
			t[i] = o->fixed_t;
		return;
	}
	if (o->t_dist == TDIST_UNIFORM) {
		rng_uniform_at(&st->time_rng, st->row, t, n);
		for (size_t i = 0; i < n; i++)
			t[i] = sched_time_uniform(s, t[i]);
		return;
	}
	gauss_normal_at(&st->time_rng, st->row, t, n);
	for (size_t i = 0; i < n; i++)
		t[i] = o->t_dist == TDIST_EDM ?
			sched_time_edm(s, t[i], o->p_mean, o->p_std) :
			sched_time_logit_normal(s, t[i], o->logit_mean, o->logit_std);
}

static void noise_chunk(stream *st, size_t n)
{
	const options *o = st->o;
	size_t dim = st->dim;
	/* Gaussian row * dim + j is the noise of row `row`, column j,
	 * whatever the chunking */
	gauss_normal_at(&st->noise_rng, st->row * dim, st->eps, n * dim);
	chunk_times(st, n);
	for (size_t i = 0; i < n; i++) {
		sched_point p = sched_at(&o->sched, st->times[i]);
		double cx = 0, ce = 0;
		if (o->target_out && sched_target_coeffs(o->target, &p, o->sched.sigma_data, &cx, &ce) != 0)
			cli_die("row %llu: the score is undefined at sigma = 0",
				(unsigned long long)(st->row + i));
		sched_forward_row(&p, st->x0 + i * dim, st->eps + i * dim, st->xt + i * dim,
			st->target ? st->target + i * dim : NULL, cx, ce, dim);
		st->t_sigma[2 * i] = p.t;
		st->t_sigma[2 * i + 1] = p.sigma;
	}
	if (io_write_rows(&st->out, st->xt, n) != 0)
		cli_die("%s", st->out.err);
	if (o->noise_out && io_write_rows(&st->noise, st->eps, n) != 0)
		cli_die("%s", st->noise.err);
	if (o->t_out && io_write_rows(&st->t_out, st->t_sigma, n) != 0)
		cli_die("%s", st->t_out.err);
	if (o->target_out && io_write_rows(&st->target_out, st->target, n) != 0)
		cli_die("%s", st->target_out.err);
	st->row += n;
	cli_progress_update(&st->progress, st->row);
}

static void noise_input(stream *st, const char *path)
{
	const options *o = st->o;
	FILE *fp = cli_fopen_in(path);
	const char *name = path && strcmp(path, "-") != 0 ? path : "stdin";
	io_reader in;
	if (io_reader_open(&in, fp, name, o->in_fmt, st->writers_open ? st->dim : o->dim) != 0)
		cli_die("%s", in.err);
	if (in.dim == 0) { /* empty text input: no rows, no length */
		io_reader_close(&in);
		if (fp != stdin)
			fclose(fp);
		return;
	}
	if (!st->writers_open)
		stream_start(st, in.dim, o->n_inputs <= 1 ? in.npy_rows : -1);
	if (st->row > UINT64_MAX / 16 / st->dim)
		cli_die("%s: too many rows for the noise stream", name);
	long got;
	while ((got = io_read_rows(&in, st->x0, st->chunk)) > 0)
		noise_chunk(st, (size_t)got);
	if (got < 0)
		cli_die("%s", in.err);
	io_reader_close(&in);
	if (fp != stdin)
		fclose(fp); /* read only: nothing to lose */
}

static void close_side(io_writer *w, FILE *fp, const char *path)
{
	if (io_writer_close(w) != 0)
		cli_die("%s", w->err);
	cli_fclose(fp, path);
}

/* A side output, held to the terminal rule of standard output. */
static FILE *open_side(const options *o, const char *path)
{
	if (!path)
		return NULL;
	FILE *fp = cli_fopen_out(path);
	cli_refuse_tty(fp, io_format_is_binary(o->out_fmt), o->force);
	return fp;
}

static void run(const options *o)
{
	stream st;
	memset(&st, 0, sizeof st);
	st.o = o;
	rng g;
	if (o->seed)
		rng_seed(&g, o->seed, "diffuse-noise");
	else
		rng_seed_random(&g);
	st.noise_rng = rng_substream(&g, 0);
	st.time_rng = rng_substream(&g, 1);
	st.noise_fp = open_side(o, o->noise_out);
	st.t_fp = open_side(o, o->t_out);
	st.target_fp = open_side(o, o->target_out);
	cli_progress_start(&st.progress, "diffuse-noise", 0, o->quiet);
	if (o->n_inputs == 0)
		noise_input(&st, NULL);
	for (int i = 0; i < o->n_inputs; i++)
		noise_input(&st, o->inputs[i]);
	cli_progress_end(&st.progress);
	if (st.writers_open) {
		if (io_writer_close(&st.out) != 0)
			cli_die("%s", st.out.err);
		if (o->noise_out)
			close_side(&st.noise, st.noise_fp, o->noise_out);
		if (o->t_out)
			close_side(&st.t_out, st.t_fp, o->t_out);
		if (o->target_out)
			close_side(&st.target_out, st.target_fp, o->target_out);
	} else {
		/* no rows: the side files exist and are empty */
		if (o->noise_out)
			cli_fclose(st.noise_fp, o->noise_out);
		if (o->t_out)
			cli_fclose(st.t_fp, o->t_out);
		if (o->target_out)
			cli_fclose(st.target_fp, o->target_out);
	}
	free(st.x0);
	free(st.eps);
	free(st.xt);
	free(st.target);
	free(st.times);
	free(st.t_sigma);
}

int main(int argc, char **argv)
{
	cli_init("diffuse-noise");
	options o;
	parse_options(argc, argv, &o);
	cli_refuse_tty(stdout, io_format_is_binary(o.out_fmt), o.force);
	if (o.table)
		write_table(&o);
	else
		run(&o);
	sched_free(&o.sched);
	cli_close_stdout();
	return 0;
}
