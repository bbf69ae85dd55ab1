/* sample-ode: turn noise into samples by integrating the probability-flow
 * ODE or the reverse SDE with an exact denoiser (a data set, a Gaussian
 * mixture) or a user's model in a child process.  The denoisers are
 * lib/denoiser.c, the grids and samplers lib/sampler.c, the child protocol
 * lib/coproc.c. */
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "coproc.h"
#include "denoiser.h"
#include "io.h"
#include "jsonl.h"
#include "rng.h"
#include "sampler.h"

static const char usage[] =
	"Usage: sample-ode (--data FILE | --gmm FILE | --denoiser-cmd CMD) [OPTIONS] [FILE]\n"
	"Integrate the probability-flow ODE (or the reverse SDE) from noise to data.\n"
	"Initial states: --n N rows of sigma_max z (z from --seed), or x_T rows read\n"
	"from FILE or standard input; --encode reads data rows and writes noise.\n"
	"\n"
	"Denoiser (one of):\n"
	"      --data FILE          the ideal denoiser of the points of FILE\n"
	"                           (rows; read with -I, .npy detected)\n"
	"      --gmm FILE           of an isotropic Gaussian mixture, JSON\n"
	"                           {\"weights\":[..],\"means\":[[..]],\"stds\":[..]}\n"
	"      --denoiser-cmd CMD   a child process speaking the protocol of\n"
	"                           sample-ode(1) (needs --dim or rows with a shape)\n"
	"Sampler:\n"
	"      --sampler NAME       euler, heun, edm, euler-a, dpm2, dpmpp-2m,\n"
	"                           dpmpp-2m-sde, ddim, em, langevin, pc (default heun)\n"
	"      --steps N            noise levels (default 18; langevin 10)\n"
	"      --sigmas NAME        karras, exponential, vp, linear (default karras;\n"
	"                           langevin exponential)\n"
	"      --sigma-min S        smallest level (default 0.002; langevin 0.01)\n"
	"      --sigma-max S        largest level (default 80; langevin 1)\n"
	"      --rho R              karras exponent (default 7)\n"
	"      --s-churn C          edm: churn (default 0)\n"
	"      --s-tmin S           edm: churn from this sigma (default 0)\n"
	"      --s-tmax S           edm: churn up to this sigma (default inf)\n"
	"      --s-noise S          edm, euler-a, dpmpp-2m-sde: noise scale (default 1)\n"
	"      --eta E              ddim (default 0), euler-a and dpmpp-2m-sde (default 1)\n"
	"      --snr R              pc: corrector signal-to-noise ratio (default 0.16)\n"
	"      --langevin-steps T   langevin: steps per level (default 100);\n"
	"                           pc: corrector steps per level (default 1)\n"
	"      --langevin-eps E     langevin: step size at the last level (default 2e-5)\n"
	"      --encode             data rows to noise: the ODE up the reversed grid\n"
	"                           (DDIM inversion; deterministic samplers only)\n"
	"Input and output:\n"
	"  -n, --n N                draw N initial states (no input is read)\n"
	"  -s, --seed SEED          any string; same seed, same bytes (default: random)\n"
	"  -d, --dim D              values per row (default: from the denoiser)\n"
	"      --trajectory FILE    write every state: (steps+1) x rows, in -O format\n"
	"      --stats              print the NFE and timings to standard error\n"
	"  -I, --input-format FMT   f32, f64, npy, text, auto (default auto)\n"
	"  -O, --output-format FMT  f32, f64, npy, text, json (default f32)\n"
	"  -f, --force              write binary output to a terminal\n"
	"  -q, --quiet              no progress bar\n"
	CLI_HELP_END
	"\n"
	"Example:\n"
	"  sample-ode --gmm mix.json --n 1000 --seed 1 --sampler heun --steps 18 -O text\n";

enum {
	OPT_DATA = 256, OPT_GMM, OPT_DENOISER_CMD, OPT_SAMPLER, OPT_STEPS, OPT_SIGMAS,
	OPT_SIGMA_MIN, OPT_SIGMA_MAX, OPT_RHO, OPT_S_CHURN, OPT_S_TMIN, OPT_S_TMAX,
	OPT_S_NOISE, OPT_ETA, OPT_SNR, OPT_LANGEVIN_STEPS, OPT_LANGEVIN_EPS, OPT_ENCODE,
	OPT_TRAJECTORY, OPT_STATS
};

static const struct option long_options[] = {
	{ "data", required_argument, NULL, OPT_DATA },
	{ "gmm", required_argument, NULL, OPT_GMM },
	{ "denoiser-cmd", required_argument, NULL, OPT_DENOISER_CMD },
	{ "sampler", required_argument, NULL, OPT_SAMPLER },
	{ "steps", required_argument, NULL, OPT_STEPS },
	{ "sigmas", required_argument, NULL, OPT_SIGMAS },
	{ "sigma-min", required_argument, NULL, OPT_SIGMA_MIN },
	{ "sigma-max", required_argument, NULL, OPT_SIGMA_MAX },
	{ "rho", required_argument, NULL, OPT_RHO },
	{ "s-churn", required_argument, NULL, OPT_S_CHURN },
	{ "s-tmin", required_argument, NULL, OPT_S_TMIN },
	{ "s-tmax", required_argument, NULL, OPT_S_TMAX },
	{ "s-noise", required_argument, NULL, OPT_S_NOISE },
	{ "eta", required_argument, NULL, OPT_ETA },
	{ "snr", required_argument, NULL, OPT_SNR },
	{ "langevin-steps", required_argument, NULL, OPT_LANGEVIN_STEPS },
	{ "langevin-eps", required_argument, NULL, OPT_LANGEVIN_EPS },
	{ "encode", no_argument, NULL, OPT_ENCODE },
	{ "trajectory", required_argument, NULL, OPT_TRAJECTORY },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "n", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, 's' },
	{ "dim", required_argument, NULL, 'd' },
	CLI_OPTIONS_FORMATS,
	{ "quiet", no_argument, NULL, 'q' },
	CLI_OPTIONS_END,
};

/* Largest --n and --steps: guards against absurd sizes, not limits of the
 * math. */
#define MAX_ROWS ((size_t)1 << 32)
#define MAX_STEPS ((size_t)1 << 20)

typedef struct options {
	const char *data_path, *gmm_path, *denoiser_cmd;
	samp_opts samp;
	enum samp_grid grid;
	size_t steps;
	double sigma_min, sigma_max, rho;
	int encode, stats, quiet, force;
	size_t n;              /* 0: read the initial states */
	const char *seed;
	size_t dim;            /* 0: from the denoiser or the input */
	const char *trajectory;
	enum io_format in_fmt, out_fmt;
	const char *input;     /* operand: NULL or "-" is stdin */
} options;

/* The denoiser the samplers call, whichever it is, and its clock. */
typedef struct denoiser {
	den_data data;
	den_gmm gmm;
	coproc child;
	int kind;              /* OPT_DATA, OPT_GMM, OPT_DENOISER_CMD */
	double seconds;
} denoiser;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- options ------------------------------------------------------------- */

typedef struct given {
	int steps, sigmas, sigma_min, sigma_max, eta, langevin_steps;
} given;

static void parse_options(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	o->in_fmt = IO_AUTO;
	o->out_fmt = IO_F32;
	o->rho = 7.0;
	samp_opts s;
	samp_opts_defaults(&s, SAMP_HEUN);
	given g = { 0 };
	const char *arg_steps = NULL, *arg_eta = NULL, *arg_lsteps = NULL;
	const char *arg_smin = NULL, *arg_smax = NULL;
	int kind = SAMP_HEUN, grid = SAMP_GRID_KARRAS;
	int opt;
	while ((opt = getopt_long(argc, argv, "n:s:d:I:O:fqhV", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_DATA: o->data_path = optarg; break;
		case OPT_GMM: o->gmm_path = optarg; break;
		case OPT_DENOISER_CMD: o->denoiser_cmd = optarg; break;
		case OPT_SAMPLER: kind = cli_choice("--sampler", optarg, samp_kind_names); break;
		case OPT_STEPS: arg_steps = optarg; g.steps = 1; break;
		case OPT_SIGMAS:
			grid = cli_choice("--sigmas", optarg, samp_grid_names);
			g.sigmas = 1;
			break;
		case OPT_SIGMA_MIN: arg_smin = optarg; g.sigma_min = 1; break;
		case OPT_SIGMA_MAX: arg_smax = optarg; g.sigma_max = 1; break;
		case OPT_RHO: o->rho = cli_double("--rho", optarg, 1e-3, 1e3); break;
		case OPT_S_CHURN: s.s_churn = cli_double("--s-churn", optarg, 0, 1e6); break;
		case OPT_S_TMIN: s.s_tmin = cli_double("--s-tmin", optarg, 0, 1e300); break;
		case OPT_S_TMAX:
			s.s_tmax = strcmp(optarg, "inf") == 0 ? INFINITY
				: cli_double("--s-tmax", optarg, 0, 1e300);
			break;
		case OPT_S_NOISE: s.s_noise = cli_double("--s-noise", optarg, 0, 1e3); break;
		case OPT_ETA: arg_eta = optarg; g.eta = 1; break;
		case OPT_SNR: s.snr = cli_double("--snr", optarg, 0, 1e3); break;
		case OPT_LANGEVIN_STEPS: arg_lsteps = optarg; g.langevin_steps = 1; break;
		case OPT_LANGEVIN_EPS:
			s.langevin_eps = cli_double("--langevin-eps", optarg, 1e-300, 1e3);
			break;
		case OPT_ENCODE: o->encode = 1; break;
		case OPT_TRAJECTORY: o->trajectory = optarg; break;
		case OPT_STATS: o->stats = 1; break;
		case 'n': o->n = cli_size("--n", optarg, 1, MAX_ROWS); break;
		case 's': o->seed = optarg; break;
		case 'd': o->dim = cli_size("--dim", optarg, 1, IO_MAX_DIM); break;
		case 'I': o->in_fmt = io_format_option("--input-format", optarg, 1); break;
		case 'O': o->out_fmt = io_format_option("--output-format", optarg, 0); break;
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': cli_help(usage);
		case 'V': cli_version();
		default: cli_usage_error("unknown option");
		}
	}
	/* the sampler's own defaults, then what was given */
	samp_opts d;
	samp_opts_defaults(&d, (enum samp_kind)kind);
	d.s_churn = s.s_churn;
	d.s_tmin = s.s_tmin;
	d.s_tmax = s.s_tmax;
	d.s_noise = s.s_noise;
	d.snr = s.snr;
	d.langevin_eps = s.langevin_eps;
	if (g.eta)
		d.eta = cli_double("--eta", arg_eta, 0, 1e3);
	if (g.langevin_steps)
		d.langevin_steps = cli_size("--langevin-steps", arg_lsteps, 1, MAX_STEPS);
	o->samp = d;
	int langevin = kind == SAMP_LANGEVIN;
	o->grid = g.sigmas ? (enum samp_grid)grid : langevin ? SAMP_GRID_EXPONENTIAL : SAMP_GRID_KARRAS;
	o->steps = g.steps ? cli_size("--steps", arg_steps, 1, MAX_STEPS) : langevin ? 10 : 18;
	o->sigma_min = g.sigma_min ? cli_double("--sigma-min", arg_smin, 1e-300, 1e300)
		: langevin ? 0.01 : 0.002;
	o->sigma_max = g.sigma_max ? cli_double("--sigma-max", arg_smax, 1e-300, 1e300)
		: langevin ? 1.0 : 80.0;
	if (o->sigma_max < o->sigma_min)
		cli_usage_error("--sigma-max %g is below --sigma-min %g", o->sigma_max, o->sigma_min);
	if (o->steps < 2 && !langevin)
		cli_usage_error("--steps must be at least 2 for %s", samp_kind_names[kind]);

	int n_denoisers = !!o->data_path + !!o->gmm_path + !!o->denoiser_cmd;
	if (n_denoisers != 1)
		cli_usage_error("give exactly one of --data, --gmm, --denoiser-cmd");
	if (o->encode) {
		if (o->n)
			cli_usage_error("--encode reads data rows; --n does not apply");
		if (samp_is_stochastic(&o->samp) || langevin || kind == SAMP_EM || kind == SAMP_PC)
			cli_usage_error("--encode needs a deterministic sampler (euler, heun, edm"
				" without churn, dpm2, dpmpp-2m, ddim with eta 0)");
	}
	if (optind < argc - 1)
		cli_usage_error("at most one input file");
	if (optind < argc) {
		if (o->n)
			cli_usage_error("--n draws the initial states; no input file is read");
		o->input = argv[optind];
	}
	if (o->denoiser_cmd && o->n && !o->dim)
		cli_usage_error("--denoiser-cmd with --n needs --dim");
}

/* ---- denoisers ----------------------------------------------------------- */

static int call_denoiser(void *ctx, const double *x, size_t n, size_t dim, double sigma, double *out)
{
	denoiser *dn = ctx;
	double t0 = now();
	int rc = 0;
	switch (dn->kind) {
	case OPT_DATA:
		den_data_apply(&dn->data, x, n, sigma, out);
		break;
	case OPT_GMM:
		den_gmm_apply(&dn->gmm, x, n, sigma, out);
		break;
	default:
		rc = coproc_call(&dn->child, x, n, dim, sigma, out);
		break;
	}
	dn->seconds += now() - t0;
	return rc;
}

static size_t load_data(denoiser *dn, const options *o)
{
	FILE *fp = cli_fopen_in(o->data_path);
	io_reader r;
	double *points;
	size_t n_points;
	if (io_reader_open(&r, fp, o->data_path, o->in_fmt, o->dim) != 0
		|| io_read_all(&r, &points, &n_points) != 0)
		cli_die("%s", r.err);
	size_t dim = r.dim;
	io_reader_close(&r);
	if (fp != stdin)
		fclose(fp);
	if (n_points == 0)
		cli_die("%s: no data points", o->data_path);
	if (den_data_init(&dn->data, points, n_points, dim) != 0)
		cli_die("%s: %zu points of %zu values do not fit in memory", o->data_path, n_points, dim);
	free(points);
	return dim;
}

static char *read_whole(const char *path, size_t *n)
{
	FILE *fp = cli_fopen_in(path);
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		cli_die("%s: out of memory", path);
	for (;;) {
		size_t got = fread(buf + len, 1, cap - len - 1, fp);
		len += got;
		if (got == 0)
			break;
		if (len + 1 == cap) {
			if (cap > ((size_t)1 << 30))
				cli_die("%s: larger than 1 GiB", path);
			char *b = realloc(buf, cap *= 2);
			if (!b)
				cli_die("%s: out of memory", path);
			buf = b;
		}
	}
	if (ferror(fp))
		cli_die("%s: read error", path);
	if (fp != stdin)
		fclose(fp);
	buf[len] = '\0';
	*n = len;
	return buf;
}

/* A JSON array of numbers into out[0 .. n-1]; n = -1 takes the length. */
static double *json_numbers(const cJSON *arr, const char *path, const char *field, size_t *n)
{
	if (!cJSON_IsArray(arr))
		cli_die("%s: field '%s' is not an array", path, field);
	size_t len = (size_t)cJSON_GetArraySize(arr);
	if (*n != (size_t)-1 && len != *n)
		cli_die("%s: field '%s' has %zu values, expected %zu", path, field, len, *n);
	double *v = malloc((len ? len : 1) * sizeof *v);
	if (!v)
		cli_die("%s: out of memory", path);
	size_t i = 0;
	for (const cJSON *e = arr->child; e; e = e->next, i++) {
		if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
			cli_die("%s: field '%s', value %zu is not a finite number", path, field, i + 1);
		v[i] = e->valuedouble;
	}
	*n = len;
	return v;
}

static size_t load_gmm(denoiser *dn, const options *o)
{
	const char *path = o->gmm_path;
	size_t len = 0;
	char *text = read_whole(path, &len);
	char bad[160];
	cJSON *root = jsonl_parse_document(text, len, 64, bad, sizeof bad);
	if (!root)
		cli_die("%s: %s", path, bad);
	if (!cJSON_IsObject(root))
		cli_die("%s: not a JSON object", path);
	const cJSON *means = cJSON_GetObjectItemCaseSensitive(root, "means");
	if (!cJSON_IsArray(means) || cJSON_GetArraySize(means) == 0)
		cli_die("%s: field 'means' is not a non-empty array of arrays", path);
	size_t k = (size_t)cJSON_GetArraySize(means);
	if (!cJSON_IsArray(means->child))
		cli_die("%s: field 'means[0]' is not an array", path);
	size_t dim = (size_t)cJSON_GetArraySize(means->child);
	if (dim == 0)
		cli_die("%s: the means have no coordinates", path);
	if (k > SIZE_MAX / sizeof(double) / dim)
		cli_die("%s: the mixture is too large", path);
	double *mu = malloc(k * dim * sizeof *mu);
	if (!mu)
		cli_die("%s: out of memory", path);
	size_t i = 0;
	for (const cJSON *row = means->child; row; row = row->next, i++) {
		size_t len = dim;
		char field[48];
		snprintf(field, sizeof field, "means[%zu]", i);
		double *v = json_numbers(row, path, field, &len);
		memcpy(mu + i * dim, v, dim * sizeof *v);
		free(v);
	}
	size_t nk = k;
	double *weights = json_numbers(cJSON_GetObjectItemCaseSensitive(root, "weights"), path,
		"weights", &nk);
	nk = k;
	double *stds = json_numbers(cJSON_GetObjectItemCaseSensitive(root, "stds"), path, "stds", &nk);
	const char *why = den_gmm_init(&dn->gmm, weights, mu, stds, k, dim);
	if (why)
		cli_die("%s: %s", path, why);
	free(weights);
	free(stds);
	free(mu);
	cJSON_Delete(root);
	free(text);
	return dim;
}

/* ---- the run ------------------------------------------------------------- */

/* States must be finite, and fit the float32 formats when written in one:
 * an overflowing mixture or data set is an error, not "inf" in the output. */
static void check_rows(const double *x, size_t n, size_t dim, enum io_format fmt, const char *what)
{
	int f32 = fmt != IO_F64;
	for (size_t i = 0; i < n * dim; i++) {
		if (!isfinite(x[i]))
			cli_die("%s: row %zu, column %zu: the state is not finite (the data or the"
				" mixture is out of range)", what, i / dim + 1, i % dim + 1);
		if (f32 && fabs(x[i]) > FLT_MAX)
			cli_die("%s: row %zu, column %zu: %g is beyond the float32 range (use -O f64)",
				what, i / dim + 1, i % dim + 1, x[i]);
	}
}

typedef struct observer {
	io_writer traj;
	const char *traj_name;
	int tracing;
	cli_progress progress;
} observer;

static void on_state(void *ctx, size_t step, double sigma, const double *x, size_t n, size_t dim)
{
	(void)sigma;
	observer *ob = ctx;
	if (ob->tracing) {
		check_rows(x, n, dim, ob->traj.fmt, ob->traj_name);
		if (io_write_rows(&ob->traj, x, n) != 0)
			cli_die("%s", ob->traj.err);
	}
	cli_progress_update(&ob->progress, step);
}

/* The initial states: --n rows of sigma_max z from substream 0, or rows
 * from the input. */
static double *initial_states(const options *o, const rng *g, size_t *dim, size_t *n)
{
	double *x;
	if (o->n) {
		if (o->n > SIZE_MAX / sizeof(double) / *dim)
			cli_die("--n %zu rows of %zu values do not fit in memory", o->n, *dim);
		x = malloc(o->n * *dim * sizeof *x);
		if (!x)
			cli_die("--n %zu rows of %zu values do not fit in memory", o->n, *dim);
		rng_normal_at(g, 0, x, o->n * *dim);
		for (size_t i = 0; i < o->n * *dim; i++)
			x[i] *= o->sigma_max;
		*n = o->n;
		return x;
	}
	const char *name = o->input && strcmp(o->input, "-") != 0 ? o->input : "stdin";
	FILE *fp = cli_fopen_in(o->input);
	io_reader r;
	if (io_reader_open(&r, fp, name, o->in_fmt, *dim) != 0 || io_read_all(&r, &x, n) != 0)
		cli_die("%s", r.err);
	if (*dim && r.dim && r.dim != *dim)
		cli_die("%s: rows of %zu values, the denoiser has %zu", name, r.dim, *dim);
	if (r.dim)
		*dim = r.dim;
	io_reader_close(&r);
	if (fp != stdin)
		fclose(fp);
	return x;
}

static const char *samp_error(int rc)
{
	switch (rc) {
	case SAMP_ERR_NOMEM: return "out of memory for the sampler's scratch";
	case SAMP_ERR_NOISE: return "this sampler needs noise";
	default: return "the denoiser failed";
	}
}

static void denoiser_free(denoiser *dn)
{
	if (dn->kind == OPT_DATA)
		den_data_free(&dn->data);
	if (dn->kind == OPT_GMM)
		den_gmm_free(&dn->gmm);
}

int main(int argc, char **argv)
{
	cli_init("sample-ode");
	options o;
	parse_options(argc, argv, &o);
	int binary = io_format_is_binary(o.out_fmt);
	cli_refuse_tty(stdout, binary, o.force);

	denoiser dn;
	memset(&dn, 0, sizeof dn);
	size_t dim = o.dim;
	if (o.data_path || o.gmm_path) {
		dn.kind = o.data_path ? OPT_DATA : OPT_GMM;
		size_t own = o.data_path ? load_data(&dn, &o) : load_gmm(&dn, &o);
		if (dim && dim != own)
			cli_usage_error("--dim %zu disagrees with the denoiser's %zu values", dim, own);
		dim = own;
	}

	rng g;
	if (o.seed)
		rng_seed(&g, o.seed, "sample-ode");
	else
		rng_seed_random(&g);
	size_t n = 0;
	double *x = initial_states(&o, &g, &dim, &n);
	if (n == 0) {
		/* nothing to sample: an empty output (a .npy of no rows) */
		io_writer w;
		if (dim == 0)
			dim = 1;
		if (io_writer_open(&w, stdout, NULL, o.out_fmt, dim, 0) != 0 || io_writer_close(&w) != 0)
			cli_die("%s", w.err);
		denoiser_free(&dn);
		free(x);
		cli_close_stdout();
		return 0;
	}
	if (o.denoiser_cmd) {
		dn.kind = OPT_DENOISER_CMD;
		if (coproc_start(&dn.child, o.denoiser_cmd) != 0)
			cli_die("--denoiser-cmd: %s", dn.child.err);
	}

	/* the grid: decoding from sigma_max down (to 0), encoding the levels
	 * reversed, without the 0 (DDIM inversion) */
	int final_zero = samp_grid_final_zero(o.samp.kind) && !o.encode;
	size_t n_sigmas = o.steps + (size_t)final_zero;
	double *sigmas = malloc(n_sigmas * sizeof *sigmas);
	if (!sigmas)
		cli_die("out of memory for %zu noise levels", n_sigmas);
	const char *why = samp_sigmas(o.grid, o.steps, o.sigma_min, o.sigma_max, o.rho, final_zero,
		sigmas);
	if (why)
		cli_usage_error("%s", why);
	if (o.encode)
		for (size_t i = 0; i < n_sigmas / 2; i++) {
			double t = sigmas[i];
			sigmas[i] = sigmas[n_sigmas - 1 - i];
			sigmas[n_sigmas - 1 - i] = t;
		}

	observer ob;
	memset(&ob, 0, sizeof ob);
	FILE *traj_fp = NULL;
	size_t n_states = o.samp.kind == SAMP_LANGEVIN ? n_sigmas + 1 : n_sigmas;
	if (o.trajectory) {
		traj_fp = cli_fopen_out(o.trajectory);
		if (io_writer_open(&ob.traj, traj_fp, o.trajectory, o.out_fmt, dim,
			(int64_t)(n_states * n)) != 0)
			cli_die("%s", ob.traj.err);
		ob.tracing = 1;
		ob.traj_name = o.trajectory;
	}
	cli_progress_start(&ob.progress, "sampling", n_states - 1, o.quiet);

	samp_run run = {
		.opt = o.samp, .sigmas = sigmas, .n_sigmas = n_sigmas, .n = n, .dim = dim,
		.denoise = call_denoiser, .denoise_ctx = &dn, .noise = &g,
		.on_state = on_state, .state_ctx = &ob,
	};
	double t0 = now();
	int rc = samp_run_sampler(&run, x);
	double total = now() - t0;
	int shown = ob.progress.active;
	cli_progress_end(&ob.progress);
	if (rc != SAMP_OK)
		cli_die("%s%s", dn.kind == OPT_DENOISER_CMD && rc == SAMP_ERR_DENOISER
			? "--denoiser-cmd: " : "", dn.kind == OPT_DENOISER_CMD && rc == SAMP_ERR_DENOISER
			? dn.child.err : samp_error(rc));
	if (dn.kind == OPT_DENOISER_CMD && coproc_finish(&dn.child) != 0)
		cli_die("--denoiser-cmd: %s", dn.child.err);
	if (ob.tracing) {
		if (io_writer_close(&ob.traj) != 0)
			cli_die("%s", ob.traj.err);
		cli_fclose(traj_fp, o.trajectory);
	}

	check_rows(x, n, dim, o.out_fmt, "samples");
	io_writer w;
	if (io_writer_open(&w, stdout, NULL, o.out_fmt, dim, (int64_t)n) != 0
		|| io_write_rows(&w, x, n) != 0 || io_writer_close(&w) != 0)
		cli_die("%s", w.err);
	if (o.stats || shown)
		fprintf(stderr, "sample-ode: %s, %zu levels, %llu NFE, %zu rows of %zu, denoiser %.3f s"
			" of %.3f s\n", samp_kind_names[o.samp.kind], o.steps,
			(unsigned long long)run.nfe, n, dim, dn.seconds, total);
	denoiser_free(&dn);
	free(sigmas);
	free(x);
	cli_close_stdout();
	return 0;
}
