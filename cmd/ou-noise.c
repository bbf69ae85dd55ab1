/* ou-noise: Ornstein-Uhlenbeck (or plain Gaussian) exploration noise for
 * DDPG, N rows of D values.  The process is lib/ou.c, the normals lib/rng.c. */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "ou.h"
#include "rng.h"

static const char usage[] =
	"Usage: ou-noise --dim D --n N [OPTIONS]\n"
	"Ornstein-Uhlenbeck exploration noise, one row of D values per step:\n"
	"  x <- x + theta (mu - x) dt + sigma sqrt(dt) z,  z ~ N(0, 1);\n"
	"the first row is the state one step after x0.\n"
	"\n"
	"  -d, --dim D              values per row (required)\n"
	"  -n, --n N                rows (required)\n"
	"      --theta T            mean-reversion rate (default 0.15)\n"
	"      --sigma S            noise scale (default 0.2)\n"
	"      --dt DT              time step (default 0.01)\n"
	"      --mu M               long-run mean (default 0)\n"
	"      --x0 X               starting state (default 0)\n"
	"      --gaussian           independent mu + sigma z instead (no theta, dt, x0)\n"
	"  -s, --seed SEED          any string; same seed, same noise (default: random)\n"
	"  -O, --output-format FMT  f32, f64, npy, text, json (default f32)\n"
	"  -f, --force              write binary output to a terminal\n"
	CLI_HELP_END
	"\n"
	"Example:\n"
	"  ou-noise --dim 2 --n 1000 --seed 7 -O text\n";

typedef struct options {
	ou_params p;
	size_t dim, n;
	double x0;
	int gaussian, force, dim_given, n_given, process_given;
	const char *seed;
	enum io_format out_fmt;
} options;

enum { OPT_THETA = 256, OPT_SIGMA, OPT_DT, OPT_MU, OPT_X0, OPT_GAUSSIAN };

static const struct option long_options[] = {
	{ "dim", required_argument, NULL, 'd' },
	{ "n", required_argument, NULL, 'n' },
	{ "theta", required_argument, NULL, OPT_THETA },
	{ "sigma", required_argument, NULL, OPT_SIGMA },
	{ "dt", required_argument, NULL, OPT_DT },
	{ "mu", required_argument, NULL, OPT_MU },
	{ "x0", required_argument, NULL, OPT_X0 },
	{ "gaussian", no_argument, NULL, OPT_GAUSSIAN },
	{ "seed", required_argument, NULL, 's' },
	{ "output-format", required_argument, NULL, 'O' },
	{ "force", no_argument, NULL, 'f' },
	CLI_OPTIONS_END,
};

static void parse_options(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	/* baselines / Stable-Baselines3 OrnsteinUhlenbeckActionNoise defaults */
	o->p = (ou_params){ .theta = 0.15, .sigma = 0.2, .dt = 0.01, .mu = 0.0 };
	o->out_fmt = IO_F32;
	int c;
	while ((c = getopt_long(argc, argv, "d:n:s:O:fhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'd': o->dim = cli_size("--dim", optarg, 1, IO_MAX_DIM); o->dim_given = 1; break;
		case 'n': o->n = cli_size("--n", optarg, 0, (size_t)INT64_MAX); o->n_given = 1; break;
		case OPT_THETA: o->p.theta = cli_double("--theta", optarg, 0.0, 1e300); o->process_given = 1; break;
		case OPT_SIGMA: o->p.sigma = cli_double("--sigma", optarg, 0.0, 1e300); break;
		case OPT_DT: o->p.dt = cli_double("--dt", optarg, 0x1p-1022, 1e300); o->process_given = 1; break;
		case OPT_MU: o->p.mu = cli_double("--mu", optarg, -1e300, 1e300); break;
		case OPT_X0: o->x0 = cli_double("--x0", optarg, -1e300, 1e300); o->process_given = 1; break;
		case OPT_GAUSSIAN: o->gaussian = 1; break;
		case 's': o->seed = optarg; break;
		case 'O': o->out_fmt = io_format_option("--output-format", optarg, 0); break;
		case 'f': o->force = 1; break;
		case 'h': cli_help(usage);
		case 'V': cli_version();
		default: cli_usage_error("unknown option");
		}
	}
	if (optind < argc)
		cli_usage_error("unexpected operand '%s'", argv[optind]);
	if (!o->dim_given || !o->n_given)
		cli_usage_error("--dim and --n are required");
	/* the normals are addressed by index, 16 bytes per pair */
	if (o->n > (UINT64_MAX / 16) / o->dim)
		cli_usage_error("--n: %zu rows of %zu values are too many", o->n, o->dim);
	if (o->gaussian && o->process_given)
		cli_usage_error("--gaussian takes no --theta, --dt or --x0");
	if (!o->gaussian && o->p.theta * o->p.dt >= 2.0)
		cli_usage_error("--theta times --dt is %g: the discrete process diverges unless it is below 2",
			o->p.theta * o->p.dt);
}

/* Rows per chunk: about 64k values, at least one row. */
static size_t chunk_rows(size_t dim)
{
	size_t rows = ((size_t)1 << 16) / dim;
	return rows ? rows : 1;
}

static void generate(const options *o, rng *g, io_writer *w)
{
	size_t rows = chunk_rows(o->dim);
	double *out = malloc(rows * o->dim * sizeof *out);
	double *x = malloc(o->dim * sizeof *x);
	if (!out || !x)
		cli_die("out of memory");
	for (size_t j = 0; j < o->dim; j++)
		x[j] = o->x0;
	for (size_t done = 0; done < o->n;) {
		size_t k = o->n - done < rows ? o->n - done : rows;
		/* normal number i * dim + j drives row i, column j, whatever
		 * the chunking */
		rng_normal_at(g, (uint64_t)done * o->dim, out, k * o->dim);
		for (size_t i = 0; i < k; i++) {
			double *row = out + i * o->dim;
			if (o->gaussian) {
				for (size_t j = 0; j < o->dim; j++)
					row[j] = o->p.mu + o->p.sigma * row[j];
			} else {
				ou_step(&o->p, x, row, o->dim);
				memcpy(row, x, o->dim * sizeof *x);
			}
		}
		if (io_write_rows(w, out, k) != 0)
			cli_die("%s", w->err);
		done += k;
	}
	free(out);
	free(x);
}

int main(int argc, char **argv)
{
	cli_init("ou-noise");
	options o;
	parse_options(argc, argv, &o);
	cli_refuse_tty(stdout, io_format_is_binary(o.out_fmt), o.force);
	rng g;
	if (o.seed)
		rng_seed(&g, o.seed, "ou-noise");
	else
		rng_seed_random(&g);
	io_writer w;
	if (io_writer_open(&w, stdout, "standard output", o.out_fmt, o.dim, (int64_t)o.n) != 0)
		cli_die("%s", w.err);
	generate(&o, &g, &w);
	if (io_writer_close(&w) != 0)
		cli_die("%s", w.err);
	cli_close_stdout();
	return 0;
}
