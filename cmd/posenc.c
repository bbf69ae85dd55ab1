/* posenc: positional encodings as arrays (sinusoidal, T5 buckets, ALiBi
 * biases, the RoPE decay bound).  Parses options, writes rows through
 * lib/io; the math is in lib/posenc.c. */
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "posenc.h"
#include "rope.h"

static const char help_text[] =
	"Usage: posenc SUBCOMMAND [OPTION]...\n"
	"Write a positional encoding as an array of rows (default raw float32).\n"
	"\n"
	"Subcommands:\n"
	"  sinusoidal   rows p = 0..T-1 of D values sin/cos(p*omega_i) (Vaswani et al.)\n"
	"  t5-bucket    T rows of K buckets of key j - query i (T5, Hugging Face)\n"
	"  alibi        [H, T, T] biases -m_h*|i - j|: H*T rows of T (Press et al.)\n"
	"  rope-decay   N+1 rows, one value each: RoFormer's decay bound at r = 0..N\n"
	"\n"
	"sinusoidal:\n"
	"  -n, --len T           number of positions (rows), required\n"
	"  -d, --dim D           row length, even, required\n"
	"      --base B          frequency base, > 1 (10000)\n"
	"      --layout L        interleaved (sin, cos per pair) or split (sines first,\n"
	"                        tensor2tensor/fairseq) (interleaved)\n"
	"      --spacing S       paper: base^(-2i/D); t2t: base^(-i/(D/2-1)) (paper)\n"
	"t5-bucket:\n"
	"      --qlen T          query positions (rows), required\n"
	"      --klen K          key positions (row length) (T)\n"
	"      --buckets N       number of buckets (32)\n"
	"      --max-distance M  distance from which all share the last bucket (128)\n"
	"      --causal          one-directional, as in T5's decoder (bidirectional)\n"
	"alibi:\n"
	"  -H, --heads H         number of heads, required\n"
	"  -n, --len T           sequence length, required\n"
	"      --causal          put the mask value above the diagonal (off)\n"
	"      --mask-value V    the masked bias, a number or -inf (-inf)\n"
	"rope-decay:\n"
	"  -d, --dim D           rotary dimension, even, required\n"
	"      --max-dist N      largest distance r (rows r = 0..N), required\n"
	"      --base B          RoPE base, > 1 (10000)\n"
	"      --raw             RoFormer's (1/(D/2)) sum_j |S_j(r)|, not divided by\n"
	"                        its value (D/2+1)/2 at r = 0 (off: 1 at r = 0)\n"
	"Common:\n"
	"  -O, --output-format F f32, f64, npy, text, json (f32); -inf is written\n"
	"                        as IEEE -inf, '-inf' in text, null in json\n"
	"  -f, --force           write binary output to a terminal\n"
	"      --help            print this help and exit\n"
	"      --version         print the version and exit\n"
	"\n"
	"Example:\n"
	"  posenc sinusoidal --len 4 --dim 8 -O text\n"
	"See posenc(1) and positional-encoding(7).\n";

enum subcommand { SUB_SINUSOIDAL, SUB_T5, SUB_ALIBI, SUB_DECAY };
static const char *const subcommand_names[] = {"sinusoidal", "t5-bucket", "alibi", "rope-decay", NULL};

/* Bounds that keep every size and count far from overflow. */
#define POSENC_MAX_ROWS ((size_t)1 << 40)
#define POSENC_MAX_HEADS ((size_t)1 << 16)
#define POSENC_MAX_BUCKETS (1LL << 20)
#define POSENC_DEFAULT_BASE 10000.0

enum {
	OPT_BASE = 256, OPT_LAYOUT, OPT_SPACING, OPT_QLEN, OPT_KLEN, OPT_BUCKETS,
	OPT_MAX_DISTANCE, OPT_CAUSAL, OPT_MASK_VALUE, OPT_MAX_DIST, OPT_RAW,
	OPT_HELP, OPT_VERSION
};

/* Which subcommands accept an option (bit per enum subcommand). */
#define FOR(s) (1u << (s))
#define FOR_ALL (FOR(SUB_SINUSOIDAL) | FOR(SUB_T5) | FOR(SUB_ALIBI) | FOR(SUB_DECAY))

static const struct option long_options[] = {
	{"len", required_argument, NULL, 'n'},
	{"dim", required_argument, NULL, 'd'},
	{"heads", required_argument, NULL, 'H'},
	{"base", required_argument, NULL, OPT_BASE},
	{"layout", required_argument, NULL, OPT_LAYOUT},
	{"spacing", required_argument, NULL, OPT_SPACING},
	{"qlen", required_argument, NULL, OPT_QLEN},
	{"klen", required_argument, NULL, OPT_KLEN},
	{"buckets", required_argument, NULL, OPT_BUCKETS},
	{"max-distance", required_argument, NULL, OPT_MAX_DISTANCE},
	{"causal", no_argument, NULL, OPT_CAUSAL},
	{"mask-value", required_argument, NULL, OPT_MASK_VALUE},
	{"max-dist", required_argument, NULL, OPT_MAX_DIST},
	{"raw", no_argument, NULL, OPT_RAW},
	{"output-format", required_argument, NULL, 'O'},
	{"force", no_argument, NULL, 'f'},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0}
};

static unsigned option_scope(int code)
{
	switch (code) {
	case 'n': return FOR(SUB_SINUSOIDAL) | FOR(SUB_ALIBI);
	case 'd': return FOR(SUB_SINUSOIDAL) | FOR(SUB_DECAY);
	case 'H': return FOR(SUB_ALIBI);
	case OPT_BASE: return FOR(SUB_SINUSOIDAL) | FOR(SUB_DECAY);
	case OPT_LAYOUT: case OPT_SPACING: return FOR(SUB_SINUSOIDAL);
	case OPT_QLEN: case OPT_KLEN: case OPT_BUCKETS: case OPT_MAX_DISTANCE: return FOR(SUB_T5);
	case OPT_CAUSAL: return FOR(SUB_T5) | FOR(SUB_ALIBI);
	case OPT_MASK_VALUE: return FOR(SUB_ALIBI);
	case OPT_MAX_DIST: case OPT_RAW: return FOR(SUB_DECAY);
	default: return FOR_ALL;
	}
}

typedef struct options {
	enum subcommand sub;
	size_t len, dim, heads, qlen, klen, max_dist;
	double base, mask_value;
	long long buckets, max_distance;
	enum posenc_layout layout;
	enum posenc_spacing spacing;
	int causal, raw, force;
	enum io_format fmt;
} options;

/* "-inf" or a finite number. */
static double parse_mask_value(const char *opt, const char *arg)
{
	if (strcmp(arg, "-inf") == 0)
		return -INFINITY;
	return cli_double(opt, arg, -DBL_MAX, DBL_MAX);
}

static void parse_option(options *o, int code, const char *arg)
{
	switch (code) {
	case 'n': o->len = cli_size("--len", arg, 1, o->sub == SUB_ALIBI ? IO_MAX_DIM : POSENC_MAX_ROWS); break;
	case 'd': o->dim = cli_size("--dim", arg, 1, IO_MAX_DIM); break;
	case 'H': o->heads = cli_size("--heads", arg, 1, POSENC_MAX_HEADS); break;
	case OPT_BASE: o->base = cli_double("--base", arg, -DBL_MAX, DBL_MAX); break;
	case OPT_LAYOUT: o->layout = cli_choice("--layout", arg, posenc_layout_names); break;
	case OPT_SPACING: o->spacing = cli_choice("--spacing", arg, posenc_spacing_names); break;
	case OPT_QLEN: o->qlen = cli_size("--qlen", arg, 1, POSENC_MAX_ROWS); break;
	case OPT_KLEN: o->klen = cli_size("--klen", arg, 1, IO_MAX_DIM); break;
	case OPT_BUCKETS: o->buckets = cli_llong("--buckets", arg, 1, POSENC_MAX_BUCKETS); break;
	case OPT_MAX_DISTANCE: o->max_distance = cli_llong("--max-distance", arg, 1, INT64_MAX); break;
	case OPT_CAUSAL: o->causal = 1; break;
	case OPT_MASK_VALUE: o->mask_value = parse_mask_value("--mask-value", arg); break;
	case OPT_MAX_DIST: o->max_dist = cli_size("--max-dist", arg, 0, POSENC_MAX_ROWS); break;
	case OPT_RAW: o->raw = 1; break;
	case 'O': o->fmt = io_format_option("--output-format", arg, 0); break;
	case 'f': o->force = 1; break;
	case OPT_HELP: cli_help(help_text);
	case OPT_VERSION: cli_version();
	}
}

static void require(const options *o, int given, const char *opt)
{
	if (!given)
		cli_usage_error("%s: %s is required", subcommand_names[o->sub], opt);
}

static void check_options(options *o)
{
	const char *why = NULL;
	switch (o->sub) {
	case SUB_SINUSOIDAL:
		require(o, o->len != 0, "--len");
		require(o, o->dim != 0, "--dim");
		why = posenc_sinusoidal_check(o->dim, o->base, o->spacing);
		break;
	case SUB_T5:
		require(o, o->qlen != 0, "--qlen");
		if (o->klen == 0 && o->qlen > IO_MAX_DIM)
			cli_usage_error("t5-bucket: --klen is required when --qlen exceeds %zu", (size_t)IO_MAX_DIM);
		if (o->klen == 0)
			o->klen = o->qlen;
		why = posenc_t5_check((long)o->buckets, !o->causal, o->max_distance);
		break;
	case SUB_ALIBI:
		require(o, o->heads != 0, "--heads");
		require(o, o->len != 0, "--len");
		break;
	case SUB_DECAY:
		require(o, o->dim != 0, "--dim");
		require(o, o->max_dist != SIZE_MAX, "--max-dist");
		why = posenc_sinusoidal_check(o->dim, o->base, POSENC_SPACING_PAPER);
		break;
	}
	if (why)
		cli_usage_error("%s: %s", subcommand_names[o->sub], why);
}

/* "--name" of an option code, for messages. */
static const char *option_name(int code)
{
	static char buf[40];
	for (const struct option *lo = long_options; lo->name; lo++)
		if (lo->val == code) {
			snprintf(buf, sizeof buf, "--%s", lo->name);
			return buf;
		}
	snprintf(buf, sizeof buf, "-%c", code);
	return buf;
}

static void parse_args(options *o, int argc, char **argv)
{
	if (argc < 2)
		cli_usage_error("missing subcommand (choose from sinusoidal, t5-bucket, alibi, rope-decay)");
	if (strcmp(argv[1], "--help") == 0)
		cli_help(help_text);
	if (strcmp(argv[1], "--version") == 0)
		cli_version();
	if (argv[1][0] == '-')
		cli_usage_error("the subcommand comes first (sinusoidal, t5-bucket, alibi, rope-decay), not '%s'", argv[1]);
	o->sub = (enum subcommand)cli_choice("subcommand", argv[1], subcommand_names);
	/* getopt sees the subcommand as the program name */
	int sub_argc = argc - 1;
	char **sub_argv = argv + 1;
	opterr = 0;
	int code;
	while ((code = getopt_long(sub_argc, sub_argv, ":n:d:H:O:f", long_options, NULL)) != -1) {
		if (code == '?' || code == ':') {
			/* optopt: the short option, or the code of a long one
			 * lacking its value; 0 for an unknown long option */
			const char *what = optopt ? option_name(optopt) : sub_argv[optind - 1];
			if (code == '?')
				cli_usage_error("unknown option '%s'", what);
			cli_usage_error("option '%s' needs a value", what);
		}
		if (!(option_scope(code) & FOR(o->sub)))
			cli_usage_error("%s: option '%s' does not apply", subcommand_names[o->sub], option_name(code));
		parse_option(o, code, optarg);
	}
	if (optind < sub_argc)
		cli_usage_error("unexpected operand '%s'", sub_argv[optind]);
	check_options(o);
}

/* ---- output: rows gathered in blocks and handed to the io writer ----- */

typedef struct emitter {
	io_writer w;
	double *block;
	size_t block_rows, n_rows;
} emitter;

/* shape: the array's axes, the last being the row (ndim 2 or 3). */
static void emit_open(emitter *e, enum io_format fmt, const uint64_t *shape, size_t ndim)
{
	size_t dim = (size_t)shape[ndim - 1];
	if (io_writer_open_shape(&e->w, stdout, "standard output", fmt, shape, ndim) != 0)
		cli_die("%s", e->w.err);
	/* about 64 KiB of doubles per write, at least one row */
	e->block_rows = dim >= 8192 ? 1 : 8192 / dim;
	e->n_rows = 0;
	e->block = malloc(e->block_rows * dim * sizeof *e->block);
	if (!e->block)
		cli_die("out of memory for a row of %zu values", dim);
}

static void emit_flush(emitter *e)
{
	if (e->n_rows && io_write_rows(&e->w, e->block, e->n_rows) != 0)
		cli_die("%s", e->w.err);
	e->n_rows = 0;
}

/* The slot of the next row; the previous ones are written when full. */
static double *emit_row(emitter *e)
{
	if (e->n_rows == e->block_rows)
		emit_flush(e);
	return e->block + e->n_rows++ * e->w.dim;
}

static void emit_close(emitter *e)
{
	emit_flush(e);
	if (io_writer_close(&e->w) != 0)
		cli_die("%s", e->w.err);
	free(e->block);
}

static void *alloc_doubles(size_t n)
{
	double *p = malloc(n * sizeof *p);
	if (!p)
		cli_die("out of memory for %zu values", n);
	return p;
}

/* ---- the subcommands ------------------------------------------------- */

static void run_sinusoidal(const options *o)
{
	double *omega = alloc_doubles(o->dim / 2);
	double *scratch = alloc_doubles(o->dim);
	posenc_sinusoidal_freqs(omega, o->dim, o->base, o->spacing);
	emitter e;
	emit_open(&e, o->fmt, (uint64_t[]){o->len, o->dim}, 2);
	for (size_t p = 0; p < o->len; p++)
		posenc_sinusoidal_row(omega, o->dim, (double)p, o->layout, emit_row(&e), scratch);
	emit_close(&e);
	free(omega);
	free(scratch);
}

static void run_t5_bucket(const options *o)
{
	emitter e;
	emit_open(&e, o->fmt, (uint64_t[]){o->qlen, o->klen}, 2);
	for (size_t i = 0; i < o->qlen; i++) {
		double *row = emit_row(&e);
		for (size_t j = 0; j < o->klen; j++) {
			/* relative_position = memory_position - context_position */
			long long rel = (long long)j - (long long)i;
			row[j] = (double)posenc_t5_bucket(rel, !o->causal, (long)o->buckets, o->max_distance);
		}
	}
	emit_close(&e);
}

static void run_alibi(const options *o)
{
	emitter e;
	emit_open(&e, o->fmt, (uint64_t[]){o->heads, o->len, o->len}, 3);
	for (size_t h = 0; h < o->heads; h++) {
		double slope = posenc_alibi_slope(o->heads, h);
		for (size_t i = 0; i < o->len; i++)
			posenc_alibi_row(emit_row(&e), o->len, i, slope, o->causal, o->mask_value);
	}
	emit_close(&e);
}

static void run_rope_decay(const options *o)
{
	size_t n_pairs = o->dim / 2;
	double *theta = alloc_doubles(n_pairs);
	double *scratch = alloc_doubles(2 * n_pairs);
	for (size_t k = 0; k < n_pairs; k++)
		theta[k] = rope_theta(o->base, o->dim, k);
	emitter e;
	emit_open(&e, o->fmt, (uint64_t[]){(uint64_t)o->max_dist + 1, 1}, 2);
	for (size_t r = 0; r <= o->max_dist; r++)
		*emit_row(&e) = posenc_rope_decay(theta, n_pairs, (double)r, !o->raw, scratch);
	emit_close(&e);
	free(theta);
	free(scratch);
}

int main(int argc, char **argv)
{
	cli_init("posenc");
	options o = {
		.base = POSENC_DEFAULT_BASE, .mask_value = -INFINITY,
		.buckets = 32, .max_distance = 128, .max_dist = SIZE_MAX,
		.layout = POSENC_INTERLEAVED, .spacing = POSENC_SPACING_PAPER,
		.fmt = IO_F32,
	};
	parse_args(&o, argc, argv);
	cli_refuse_tty(stdout, io_format_is_binary(o.fmt), o.force);
	switch (o.sub) {
	case SUB_SINUSOIDAL: run_sinusoidal(&o); break;
	case SUB_T5: run_t5_bucket(&o); break;
	case SUB_ALIBI: run_alibi(&o); break;
	case SUB_DECAY: run_rope_decay(&o); break;
	}
	cli_close_stdout();
	return 0;
}
