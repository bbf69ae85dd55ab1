/* soft-update: the Polyak update of target-network parameters,
 * tau * online + (1 - tau) * target, streamed over two arrays of the same
 * size.  The formula is lib/ou.c (ou_soft_update). */
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "ou.h"

static const char usage[] =
	"Usage: soft-update [OPTIONS] TARGET ONLINE\n"
	"Polyak averaging of target-network parameters: writes\n"
	"  tau * ONLINE + (1 - tau) * TARGET\n"
	"to standard output; the two arrays must hold the same number of values.\n"
	"\n"
	"  -t, --tau T              interpolation factor in [0, 1] (default 0.005)\n"
	"  -d, --dim D              row length (default: the .npy shape, else 1)\n"
	"  -I, --input-format FMT   auto, f32, f64, npy, text (default auto)\n"
	"  -O, --output-format FMT  f32, f64, npy, text, json (default f32)\n"
	"  -f, --force              write binary output to a terminal\n"
	CLI_HELP_END
	"\n"
	"Example:\n"
	"  soft-update --tau 0.005 target.f32 online.f32 > target-new.f32\n";

typedef struct options {
	double tau;
	size_t dim;
	int force;
	enum io_format in_fmt, out_fmt;
	const char *target, *online;
} options;

static const struct option long_options[] = {
	{ "tau", required_argument, NULL, 't' },
	{ "dim", required_argument, NULL, 'd' },
	CLI_OPTIONS_FORMATS,
	CLI_OPTIONS_END,
};

static void parse_options(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	o->tau = 0.005; /* Stable-Baselines3 DDPG/TD3/SAC, Spinning Up polyak 0.995 */
	o->in_fmt = IO_AUTO;
	o->out_fmt = IO_F32;
	int c;
	while ((c = getopt_long(argc, argv, "t:d:I:O:fhV", long_options, NULL)) != -1) {
		switch (c) {
		case 't': o->tau = cli_double("--tau", optarg, 0.0, 1.0); break;
		case 'd': o->dim = cli_size("--dim", optarg, 1, IO_MAX_DIM); break;
		case 'I': o->in_fmt = io_format_option("--input-format", optarg, 1); break;
		case 'O': o->out_fmt = io_format_option("--output-format", optarg, 0); break;
		case 'f': o->force = 1; break;
		case 'h': cli_help(usage);
		case 'V': cli_version();
		default: cli_usage_error("unknown option");
		}
	}
	if (argc - optind != 2)
		cli_usage_error("expected two operands, TARGET and ONLINE, got %d", argc - optind);
	o->target = argv[optind];
	o->online = argv[optind + 1];
	if (strcmp(o->target, "-") == 0 && strcmp(o->online, "-") == 0)
		cli_usage_error("TARGET and ONLINE cannot both be standard input");
}

static void open_input(const options *o, io_reader *r, const char *path)
{
	FILE *fp = cli_fopen_in(path);
	const char *name = strcmp(path, "-") ? path : "stdin";
	int rc = o->dim ? io_reader_open(r, fp, name, o->in_fmt, o->dim) : io_reader_open_flat(r, fp, name, o->in_fmt);
	if (rc != 0)
		cli_die("%s", r->err);
}

/* Number of values the input will deliver, when the header or the file
 * size tells; -1 when it cannot be known before reading (a pipe, text). */
static int64_t known_values(const io_reader *r)
{
	if (r->fmt == IO_NPY)
		return r->npy_rows >= 0 ? r->npy_rows * (int64_t)r->dim : -1;
	struct stat st;
	if (r->fmt == IO_TEXT || fstat(fileno(r->fp), &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	/* the stream's position, less the bytes the reader sniffed and holds */
	off_t pos = ftello(r->fp);
	if (pos >= 0)
		pos -= (off_t)(r->peek_len - r->peek_pos);
	if (pos < 0 || st.st_size < pos)
		return -1;
	return (int64_t)((uint64_t)(st.st_size - pos) / r->elem_size);
}

static void check_sizes(const io_reader *target, const io_reader *online)
{
	if (target->dim != online->dim)
		cli_die("rows differ: %s has %zu values per row, %s has %zu (give --dim)",
			target->name, target->dim, online->name, online->dim);
	int64_t a = known_values(target), b = known_values(online);
	if (a >= 0 && b >= 0 && a != b)
		cli_die("sizes differ: %s has %" PRId64 " values, %s has %" PRId64,
			target->name, a, online->name, b);
}

static void update_stream(const options *o, io_reader *target, io_reader *online, io_writer *w)
{
	size_t dim = target->dim, rows = ((size_t)1 << 16) / dim ? ((size_t)1 << 16) / dim : 1;
	double *t = malloc(rows * dim * sizeof *t), *s = malloc(rows * dim * sizeof *s);
	if (!t || !s)
		cli_die("out of memory");
	for (;;) {
		long got_t = io_read_rows(target, t, rows);
		if (got_t < 0)
			cli_die("%s", target->err);
		long got_s = io_read_rows(online, s, rows);
		if (got_s < 0)
			cli_die("%s", online->err);
		if (got_t != got_s)
			cli_die("sizes differ: %s ends at row %" PRIu64 ", %s at row %" PRIu64,
				got_t < got_s ? target->name : online->name,
				got_t < got_s ? target->rows : online->rows,
				got_t < got_s ? online->name : target->name,
				got_t < got_s ? online->rows : target->rows);
		if (got_t == 0)
			break;
		ou_soft_update(o->tau, t, s, (size_t)got_t * dim);
		if (io_write_rows(w, t, (size_t)got_t) != 0)
			cli_die("%s", w->err);
	}
	free(t);
	free(s);
}

int main(int argc, char **argv)
{
	cli_init("soft-update");
	options o;
	parse_options(argc, argv, &o);
	io_reader target, online;
	open_input(&o, &target, o.target);
	open_input(&o, &online, o.online);
	if (target.dim == 0 || online.dim == 0) {
		/* an empty text input has no row length */
		if (target.dim != online.dim)
			cli_die("sizes differ: one input is empty");
		cli_close_stdout();
		return 0;
	}
	check_sizes(&target, &online);
	cli_refuse_tty(stdout, io_format_is_binary(o.out_fmt), o.force);
	int64_t rows = known_values(&target);
	io_writer w;
	if (io_writer_open(&w, stdout, "standard output", o.out_fmt, target.dim,
			rows >= 0 ? rows / (int64_t)target.dim : -1) != 0)
		cli_die("%s", w.err);
	update_stream(&o, &target, &online, &w);
	if (io_writer_close(&w) != 0)
		cli_die("%s", w.err);
	io_reader_close(&target);
	io_reader_close(&online);
	cli_close_stdout();
	return 0;
}
