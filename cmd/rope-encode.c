/* rope-encode: rotary position embedding as a filter (TOOLS.md,
 * "rope-encode"; the math is lib/rope.c).  Rows of --dim floats in, the
 * same rows rotated out; --heads consecutive rows make one token and share
 * its position, so each position's cos/sin is computed once per token. */
#include "cli.h"
#include "io.h"
#include "rope.h"

#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
	"usage: rope-encode --dim D [options] [FILE]\n"
	"       rope-encode --table N --dim D [options]\n"
	"Rotate each pair of coordinates of query/key rows by an angle proportional\n"
	"to the token's position (RoPE, Su et al. 2021).  FILE or standard input.\n"
	"\n"
	"  -d, --dim D               row length (default: from the .npy shape)\n"
	"  -H, --heads H             consecutive rows per token (default 1)\n"
	"  -r, --rotary-dim R        rotate the first R dims, pass the rest (default D)\n"
	"  -b, --base B              frequency base (default 10000)\n"
	"  -s, --style S             interleaved (pairs 2i,2i+1) or neox (pairs\n"
	"                            i,i+R/2, Hugging Face) (default interleaved)\n"
	"      --offset P            position of the first token (default 0)\n"
	"  -L, --seq-len L           restart positions every L tokens (default: never)\n"
	"  -P, --positions FILE      one position per token, may be fractional\n"
	"      --positions-format F  text, f32, f64, npy, auto (default text; npy if\n"
	"                            FILE ends in .npy)\n"
	"  -i, --inverse             rotate back and divide by the attention factor\n"
	"      --table N             write N rows [cos_0..cos_R/2-1, sin_0..] instead\n"
	"                            (text by default)\n"
	"      --scaling S           none, linear, ntk, dynamic, yarn, llama3\n"
	"                            (Hugging Face modeling_rope_utils) (default none)\n"
	"      --factor F            scaling factor (required by every scaling)\n"
	"      --original-max-pos N  pre-training context length (dynamic, yarn, llama3)\n"
	"      --beta-fast X         yarn (default 32)\n"
	"      --beta-slow X         yarn (default 1)\n"
	"      --mscale X            yarn (default: not set)\n"
	"      --mscale-all-dim X    yarn (default: not set)\n"
	"      --attention-factor X  yarn: multiplies cos and sin (default: get_mscale)\n"
	"      --no-truncate         yarn: do not round the correction range\n"
	"      --low-freq-factor X   llama3 (default 1)\n"
	"      --high-freq-factor X  llama3 (default 4)\n"
	"      --precision P         double, or hf to reproduce float32 angles\n"
	"                            (default double)\n"
	"  -I, --input-format F      f32, f64, npy, text, auto (default auto)\n"
	"  -O, --output-format F     f32, f64, npy, text, json (default: the input's)\n"
	"  -f, --force               write binary output to a terminal\n"
	"  -q, --quiet               no progress bar\n"
	"  -h, --help                this text\n"
	"  -V, --version             the version\n"
	"\n"
	"Dynamic scaling takes the sequence length from --offset + --seq-len, the\n"
	"largest --positions value + 1, --offset + --table, or the .npy row count.\n"
	"\n"
	"example: rope-encode --dim 64 --heads 8 --style neox < q.f32 > q_rot.f32\n";

enum {
	OPT_OFFSET = 256, OPT_POS_FORMAT, OPT_TABLE, OPT_SCALING, OPT_FACTOR,
	OPT_ORIG_MAX, OPT_BETA_FAST, OPT_BETA_SLOW, OPT_MSCALE, OPT_MSCALE_ALL,
	OPT_ATTN, OPT_NO_TRUNC, OPT_LFF, OPT_HFF, OPT_PRECISION
};

static const struct option long_options[] = {
	{ "dim", required_argument, NULL, 'd' },
	{ "heads", required_argument, NULL, 'H' },
	{ "rotary-dim", required_argument, NULL, 'r' },
	{ "base", required_argument, NULL, 'b' },
	{ "style", required_argument, NULL, 's' },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "seq-len", required_argument, NULL, 'L' },
	{ "positions", required_argument, NULL, 'P' },
	{ "positions-format", required_argument, NULL, OPT_POS_FORMAT },
	{ "inverse", no_argument, NULL, 'i' },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "scaling", required_argument, NULL, OPT_SCALING },
	{ "factor", required_argument, NULL, OPT_FACTOR },
	{ "original-max-pos", required_argument, NULL, OPT_ORIG_MAX },
	{ "beta-fast", required_argument, NULL, OPT_BETA_FAST },
	{ "beta-slow", required_argument, NULL, OPT_BETA_SLOW },
	{ "mscale", required_argument, NULL, OPT_MSCALE },
	{ "mscale-all-dim", required_argument, NULL, OPT_MSCALE_ALL },
	{ "attention-factor", required_argument, NULL, OPT_ATTN },
	{ "no-truncate", no_argument, NULL, OPT_NO_TRUNC },
	{ "low-freq-factor", required_argument, NULL, OPT_LFF },
	{ "high-freq-factor", required_argument, NULL, OPT_HFF },
	{ "precision", required_argument, NULL, OPT_PRECISION },
	CLI_OPTIONS_FORMATS,
	{ "quiet", no_argument, NULL, 'q' },
	CLI_OPTIONS_END,
};

static const char *const precision_names[] = { "double", "hf", NULL };

/* Positions are exact integers in a double up to 2^53. */
#define MAX_POSITION 9007199254740992.0
#define MAX_COUNT ((size_t)1 << 53)

typedef struct options {
	size_t dim, heads, rot_dim, seq_len, table_rows;
	double offset;
	enum rope_style style;
	rope_config rope;            /* rot_dim filled in once D is known */
	const char *positions_path;
	int positions_format;        /* -1: from the file name */
	int inverse, hf_precision, force, quiet;
	enum io_format in_format;
	int out_format;              /* -1: follow the input */
	const char *input_path;
	/* which options the user gave, to reject those that do not apply */
	int given_factor, given_orig, given_yarn, given_llama3, given_offset;
} options;

static void parse_options(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	o->heads = 1;
	o->style = ROPE_INTERLEAVED;
	o->positions_format = -1;
	o->in_format = IO_AUTO;
	o->out_format = -1;
	rope_config_default(&o->rope, 0);
	int c;
	opterr = 0; /* our own messages, which begin with the program's name */
	while ((c = getopt_long(argc, argv, ":d:H:r:b:s:L:P:iI:O:fqhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'd': o->dim = cli_size("--dim", optarg, 1, IO_MAX_DIM); break;
		case 'H': o->heads = cli_size("--heads", optarg, 1, IO_MAX_DIM); break;
		case 'r': o->rot_dim = cli_size("--rotary-dim", optarg, 2, IO_MAX_DIM); break;
		case 'b': o->rope.base = cli_double("--base", optarg, 1, 1e300); break;
		case 's': o->style = (enum rope_style)cli_choice("--style", optarg, rope_style_names); break;
		case OPT_OFFSET:
			o->offset = cli_double("--offset", optarg, -MAX_POSITION, MAX_POSITION);
			o->given_offset = 1;
			break;
		case 'L': o->seq_len = cli_size("--seq-len", optarg, 1, MAX_COUNT); break;
		case 'P': o->positions_path = optarg; break;
		case OPT_POS_FORMAT:
			o->positions_format = (int)io_format_option("--positions-format", optarg, 1);
			break;
		case 'i': o->inverse = 1; break;
		case OPT_TABLE: o->table_rows = cli_size("--table", optarg, 1, MAX_COUNT); break;
		case OPT_SCALING:
			o->rope.scaling = (enum rope_scaling)cli_choice("--scaling", optarg, rope_scaling_names);
			break;
		case OPT_FACTOR:
			o->rope.factor = cli_double("--factor", optarg, 1e-6, 1e6);
			o->given_factor = 1;
			break;
		case OPT_ORIG_MAX:
			o->rope.original_max_pos = cli_double("--original-max-pos", optarg, 1, MAX_POSITION);
			o->given_orig = 1;
			break;
		case OPT_BETA_FAST:
			o->rope.beta_fast = cli_double("--beta-fast", optarg, 1e-6, 1e6);
			o->given_yarn = 1;
			break;
		case OPT_BETA_SLOW:
			o->rope.beta_slow = cli_double("--beta-slow", optarg, 1e-6, 1e6);
			o->given_yarn = 1;
			break;
		case OPT_MSCALE:
			o->rope.mscale = cli_double("--mscale", optarg, 0, 1e6);
			o->given_yarn = 1;
			break;
		case OPT_MSCALE_ALL:
			o->rope.mscale_all_dim = cli_double("--mscale-all-dim", optarg, 0, 1e6);
			o->given_yarn = 1;
			break;
		case OPT_ATTN:
			o->rope.attention_factor = cli_double("--attention-factor", optarg, 1e-6, 1e6);
			o->given_yarn = 1;
			break;
		case OPT_NO_TRUNC: o->rope.truncate = 0; o->given_yarn = 1; break;
		case OPT_LFF:
			o->rope.low_freq_factor = cli_double("--low-freq-factor", optarg, 1e-6, 1e6);
			o->given_llama3 = 1;
			break;
		case OPT_HFF:
			o->rope.high_freq_factor = cli_double("--high-freq-factor", optarg, 1e-6, 1e6);
			o->given_llama3 = 1;
			break;
		case OPT_PRECISION: o->hf_precision = cli_choice("--precision", optarg, precision_names); break;
		case 'I': o->in_format = io_format_option("--input-format", optarg, 1); break;
		case 'O': o->out_format = (int)io_format_option("--output-format", optarg, 0); break;
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': cli_help(help_text);
		case 'V': cli_version();
		case ':': cli_usage_error("option '%s' needs a value", argv[optind - 1]);
		default: cli_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		cli_usage_error("one input at most: '%s' and '%s'", argv[optind], argv[optind + 1]);
	o->input_path = optind < argc ? argv[optind] : NULL;
}

/* Options that contradict each other or do not apply to the chosen
 * scaling are usage errors rather than silently ignored. */
static void check_combinations(const options *o)
{
	enum rope_scaling s = o->rope.scaling;
	const char *name = rope_scaling_names[s];
	if (o->positions_path && (o->seq_len || o->given_offset))
		cli_usage_error("--positions cannot be combined with --seq-len or --offset");
	if (o->table_rows && (o->positions_path || o->seq_len || o->inverse || o->input_path))
		cli_usage_error("--table writes positions offset..offset+N-1 and reads no input: "
			"it takes no --positions, --seq-len, --inverse or FILE");
	if (s == ROPE_SCALE_NONE && o->given_factor)
		cli_usage_error("--factor needs a --scaling");
	if (s != ROPE_SCALE_NONE && !o->given_factor)
		cli_usage_error("--scaling %s needs --factor", name);
	int needs_orig = s == ROPE_SCALE_DYNAMIC || s == ROPE_SCALE_YARN || s == ROPE_SCALE_LLAMA3;
	if (needs_orig && !o->given_orig)
		cli_usage_error("--scaling %s needs --original-max-pos", name);
	if (!needs_orig && o->given_orig)
		cli_usage_error("--original-max-pos applies to --scaling dynamic, yarn and llama3 only");
	if (o->given_yarn && s != ROPE_SCALE_YARN)
		cli_usage_error("--beta-fast, --beta-slow, --mscale, --mscale-all-dim, "
			"--attention-factor and --no-truncate apply to --scaling yarn only");
	if (o->given_llama3 && s != ROPE_SCALE_LLAMA3)
		cli_usage_error("--low-freq-factor and --high-freq-factor apply to --scaling llama3 only");
}

/* D, R and the rope configuration, once D is known (from --dim or the
 * .npy shape). */
static void settle_dims(options *o, size_t dim)
{
	o->dim = dim;
	if (!o->rot_dim)
		o->rot_dim = dim;
	if (o->rot_dim % 2 != 0)
		cli_usage_error("--rotary-dim: %zu is odd (coordinates rotate in pairs)", o->rot_dim);
	if (o->rot_dim > dim)
		cli_usage_error("--rotary-dim: %zu is larger than the row length %zu", o->rot_dim, dim);
	if (o->heads > SIZE_MAX / 8 / dim || o->heads * dim > IO_MAX_DIM)
		cli_usage_error("--heads: %zu heads of %zu floats make a token too large", o->heads, dim);
	o->rope.rot_dim = o->rot_dim;
}

/* Read the --positions file (one value per row), all finite. */
static double *read_positions(const options *o, size_t *n_out)
{
	const char *path = o->positions_path;
	int fmt = o->positions_format;
	if (fmt < 0) {
		size_t len = strlen(path);
		fmt = len >= 4 && strcmp(path + len - 4, ".npy") == 0 ? IO_AUTO : IO_TEXT;
	}
	FILE *fp = cli_fopen_in(path);
	io_reader r;
	double *pos = NULL;
	size_t n = 0;
	if (io_reader_open(&r, fp, path, (enum io_format)fmt, 1) != 0 || io_read_all(&r, &pos, &n) != 0)
		cli_die("positions: %s", r.err);
	io_reader_close(&r);
	if (fp != stdin)
		fclose(fp);
	for (size_t k = 0; k < n; k++)
		if (fabs(pos[k]) > MAX_POSITION)
			cli_die("positions: %s: row %zu: position %g is out of range", path, k, pos[k]);
	*n_out = n;
	return pos;
}

/* The sequence length that dynamic scaling needs (HF dynamic_rope_update:
 * max(position_ids) + 1), or NAN when it cannot be known. */
static double dynamic_seq_len(const options *o, const double *pos, size_t n_pos,
	const io_reader *r)
{
	if (o->table_rows)
		return o->offset + (double)o->table_rows;
	if (o->seq_len)
		return o->offset + (double)o->seq_len;
	if (o->positions_path) {
		double max = -INFINITY;
		for (size_t k = 0; k < n_pos; k++)
			max = fmax(max, pos[k]);
		return n_pos ? max + 1.0 : NAN;
	}
	if (r && r->npy_rows >= 0)
		return o->offset + (double)((uint64_t)r->npy_rows / o->heads);
	return NAN;
}

/* Resolve the scaling: check it, then fill inv_freq and the factor. */
static void settle_frequencies(options *o, double *inv_freq, double *scale)
{
	const char *problem = rope_config_check(&o->rope);
	if (problem) {
		if (o->rope.scaling == ROPE_SCALE_DYNAMIC && isnan(o->rope.seq_len))
			cli_usage_error("--scaling dynamic needs the sequence length: "
				"give --seq-len, --positions or --table, or a .npy input");
		cli_usage_error("%s", problem);
	}
	rope_inv_freq(&o->rope, inv_freq, scale);
}

/* Memory for the cos/sin work of one position: the walk (4 n_pairs) and
 * the kernel tables (2 R). */
typedef struct angle_work {
	double *inv_freq, *walk_buf, *cos_k, *sin_k;
	float *cos_f, *sin_f;
	rope_walk walk;
	double scale;
} angle_work;

static void angle_work_init(angle_work *a, options *o)
{
	size_t n_pairs = o->rot_dim / 2;
	a->inv_freq = malloc(n_pairs * sizeof *a->inv_freq);
	a->walk_buf = malloc(4 * n_pairs * sizeof *a->walk_buf);
	a->cos_k = malloc(o->rot_dim * sizeof *a->cos_k);
	a->sin_k = malloc(o->rot_dim * sizeof *a->sin_k);
	a->cos_f = malloc(o->rot_dim * sizeof *a->cos_f);
	a->sin_f = malloc(o->rot_dim * sizeof *a->sin_f);
	if (!a->inv_freq || !a->walk_buf || !a->cos_k || !a->sin_k || !a->cos_f || !a->sin_f)
		cli_die("out of memory");
	settle_frequencies(o, a->inv_freq, &a->scale);
	rope_walk_init(&a->walk, a->inv_freq, n_pairs, a->scale, o->hf_precision, a->walk_buf);
}

static void angle_work_free(angle_work *a)
{
	free(a->inv_freq);
	free(a->walk_buf);
	free(a->cos_k);
	free(a->sin_k);
	free(a->cos_f);
	free(a->sin_f);
}

static void open_writer(io_writer *w, const options *o, enum io_format fmt, size_t dim,
	int64_t n_rows, int f64)
{
	cli_refuse_tty(stdout, io_format_is_binary(fmt), o->force);
	if (io_writer_open(w, stdout, "stdout", fmt, dim, n_rows) != 0)
		cli_die("%s", w->err);
	w->npy_f64 = f64;
}

static void close_writer(io_writer *w)
{
	if (io_writer_close(w) != 0)
		cli_die("%s", w->err);
}

/* --table N: rows [cos_0 .. cos_{R/2-1}, sin_0 .. sin_{R/2-1}] for
 * positions offset .. offset+N-1, attention factor included. */
static void write_table(options *o)
{
	size_t n_pairs = o->rot_dim / 2;
	o->rope.seq_len = dynamic_seq_len(o, NULL, 0, NULL);
	angle_work a;
	angle_work_init(&a, o);
	/* a table is for reading: text unless asked otherwise, with a comment
	 * line naming the columns (the text reader skips it) */
	enum io_format fmt = o->out_format < 0 ? IO_TEXT : (enum io_format)o->out_format;
	if (fmt == IO_TEXT)
		printf("# cos_0..cos_%zu sin_0..sin_%zu, positions %.17g..%.17g\n", n_pairs - 1,
			n_pairs - 1, o->offset, o->offset + (double)(o->table_rows - 1));
	io_writer w;
	open_writer(&w, o, fmt, o->rot_dim, (int64_t)o->table_rows, 0);
	double *row = malloc(o->rot_dim * sizeof *row);
	if (!row)
		cli_die("out of memory");
	for (size_t k = 0; k < o->table_rows; k++) {
		rope_walk_to(&a.walk, o->offset + (double)k);
		memcpy(row, a.walk.cos_t, n_pairs * sizeof *row);
		memcpy(row + n_pairs, a.walk.sin_t, n_pairs * sizeof *row);
		if (io_write_rows(&w, row, 1) != 0)
			cli_die("%s", w.err);
	}
	close_writer(&w);
	free(row);
	angle_work_free(&a);
}

/* The rows of a chunk, as float or double. */
typedef struct chunk {
	int f64;
	void *rows;
	size_t cap_rows, dim;
} chunk;

static void *chunk_row(const chunk *c, size_t row)
{
	size_t elem = c->f64 ? sizeof(double) : sizeof(float);
	return (char *)c->rows + row * c->dim * elem;
}

/* Fill up to cap_rows rows; fewer only at the end of the input. */
static size_t chunk_fill(chunk *c, io_reader *r)
{
	size_t have = 0;
	while (have < c->cap_rows) {
		long got = c->f64 ? io_read_rows(r, chunk_row(c, have), c->cap_rows - have)
			: io_read_rows_f32(r, chunk_row(c, have), c->cap_rows - have);
		if (got < 0)
			cli_die("%s", r->err);
		if (got == 0)
			break;
		have += (size_t)got;
	}
	return have;
}

static void chunk_write(const chunk *c, io_writer *w, size_t n_rows)
{
	int rc = c->f64 ? io_write_rows(w, c->rows, n_rows) : io_write_rows_f32(w, c->rows, n_rows);
	if (rc != 0)
		cli_die("%s", w->err);
}

/* Where token k sits: --positions, or offset + k (mod --seq-len). */
static double token_position(const options *o, uint64_t k, const double *pos, size_t n_pos)
{
	if (o->positions_path) {
		if (k >= n_pos)
			cli_die("positions: %s has %zu positions, the input has more tokens", o->positions_path, n_pos);
		return pos[k];
	}
	uint64_t step = o->seq_len ? k % o->seq_len : k;
	return o->offset + (double)step;
}

/* Rotate the heads of one token with the tables of position pos. */
static void rotate_token(const options *o, angle_work *a, chunk *c, size_t first_row, double pos)
{
	void *rows = chunk_row(c, first_row);
	rope_walk_to(&a->walk, pos);
	const double *cos_d = a->walk.cos_t, *sin_d = a->walk.sin_t;
	if (c->f64) {
		rope_kernel_tables(cos_d, sin_d, o->rot_dim, o->style, a->scale, o->inverse, a->cos_k, a->sin_k);
		rope_rotate_f64(rows, o->heads, o->dim, o->rot_dim, o->style, a->cos_k, a->sin_k);
	} else {
		rope_kernel_tables_f32(cos_d, sin_d, o->rot_dim, o->style, a->scale, o->inverse, a->cos_f, a->sin_f);
		rope_rotate_f32(rows, o->heads, o->dim, o->rot_dim, o->style, a->cos_f, a->sin_f);
	}
}

/* About 1 MiB of rows per chunk, whole tokens. */
static size_t chunk_tokens(const options *o, size_t elem)
{
	size_t token_bytes = o->heads * o->dim * elem;
	size_t n = ((size_t)1 << 20) / token_bytes;
	return n ? n : 1;
}

static void encode_stream(options *o, io_reader *r, const double *pos, size_t n_pos)
{
	int f64 = r->fmt == IO_F64 || r->fmt == IO_TEXT || (r->fmt == IO_NPY && r->elem_size == 8);
	o->rope.seq_len = dynamic_seq_len(o, pos, n_pos, r);
	angle_work a;
	angle_work_init(&a, o);
	if (r->npy_rows >= 0 && (uint64_t)r->npy_rows % o->heads != 0)
		cli_die("%s: %" PRId64 " rows are not whole tokens of %zu heads", r->name, r->npy_rows, o->heads);
	enum io_format fmt = o->out_format < 0 ? r->fmt : (enum io_format)o->out_format;
	io_writer w;
	open_writer(&w, o, fmt, o->dim, r->npy_rows, r->fmt == IO_NPY && r->elem_size == 8);
	chunk c = { f64, NULL, 0, o->dim };
	size_t per = chunk_tokens(o, f64 ? sizeof(double) : sizeof(float));
	c.cap_rows = per * o->heads;
	c.rows = malloc(c.cap_rows * o->dim * (f64 ? sizeof(double) : sizeof(float)));
	if (!c.rows)
		cli_die("out of memory");
	cli_progress progress;
	cli_progress_start(&progress, "rows", r->npy_rows >= 0 ? (uint64_t)r->npy_rows : 0, o->quiet);
	uint64_t token = 0;
	for (;;) {
		size_t n_rows = chunk_fill(&c, r);
		size_t n_tokens = n_rows / o->heads;
		for (size_t t = 0; t < n_tokens; t++)
			rotate_token(o, &a, &c, t * o->heads, token_position(o, token + t, pos, n_pos));
		chunk_write(&c, &w, n_tokens * o->heads);
		token += n_tokens;
		cli_progress_update(&progress, token * o->heads);
		if (n_rows % o->heads != 0)
			cli_die("%s: the input ends inside a token: %zu rows after token %" PRIu64
				" are not the %zu rows (--heads) of one", r->name, n_rows % o->heads, token, o->heads);
		if (n_rows < c.cap_rows)
			break;
	}
	cli_progress_end(&progress);
	if (o->positions_path && token != n_pos)
		cli_die("positions: %s has %zu positions for %" PRIu64 " tokens", o->positions_path, n_pos, token);
	close_writer(&w);
	free(c.rows);
	angle_work_free(&a);
}

int main(int argc, char **argv)
{
	cli_init("rope-encode");
	options o;
	parse_options(argc, argv, &o);
	check_combinations(&o);
	if (o.table_rows) {
		if (!o.dim && !o.rot_dim)
			cli_usage_error("--table needs --dim or --rotary-dim");
		settle_dims(&o, o.dim ? o.dim : o.rot_dim);
		write_table(&o);
		cli_close_stdout();
		return 0;
	}
	double *pos = NULL;
	size_t n_pos = 0;
	if (o.positions_path)
		pos = read_positions(&o, &n_pos);
	FILE *in = cli_fopen_in(o.input_path);
	cli_widen_pipe(in);
	cli_widen_pipe(stdout);
	const char *in_name = o.input_path && strcmp(o.input_path, "-") != 0 ? o.input_path : "stdin";
	io_reader r;
	if ((o.in_format == IO_F32 || o.in_format == IO_F64) && !o.dim)
		cli_usage_error("--dim is required unless the input is .npy or text");
	if (io_reader_open(&r, in, in_name, o.in_format, o.dim) != 0) {
		if (!o.dim && r.fmt == IO_F32)
			cli_usage_error("--dim is required unless the input is .npy or text");
		cli_die("%s", r.err);
	}
	if (r.dim == 0) {
		/* an empty text input: no rows, so nothing to write */
		io_reader_close(&r);
		cli_close_stdout();
		return 0;
	}
	settle_dims(&o, r.dim);
	encode_stream(&o, &r, pos, n_pos);
	io_reader_close(&r);
	if (in != stdin)
		fclose(in);
	free(pos);
	cli_close_stdout();
	return 0;
}
