/* grpo-adv: group-relative advantages for LLM reinforcement learning.
 *
 * Reads a rollout log (JSON Lines, one completion per line) or, with
 * --group-size, contiguous float32 rewards; writes the same lines with the
 * advantage appended.  The math is lib/grpo.c; this file reads, checks and
 * writes.  See grpo-adv(1) and grpo(7).
 *
 * Groups may end anywhere, so the whole input is read first (lib/lines.c,
 * a regular file mapped) and walked twice: once to check the records and
 * keep what the math needs, once to write them out.
 *
 * Speed (tests/bench/grpo-adv.sh): a cJSON tree per line costs more than
 * everything else put together, so records are checked by lib/jsonscan.c,
 * which keeps only the spans of the fields we use; every other byte is
 * passed through untouched (jsonl_append_to_buffer).  Groups are keyed by
 * the raw JSON text of their value (lib/keyid.c).  Output is assembled in
 * one buffer. */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "grpo.h"
#include "io.h"
#include "jsonl.h"
#include "jsonscan.h"
#include "keyid.h"
#include "lines.h"

/* ---- options ------------------------------------------------------------ */

typedef struct config {
	grpo_options grpo;
	int scale_given;
	int process;
	double length_penalty;
	const char *group_field, *reward_field, *length_field, *correct_field;
	const char *step_rewards_field, *step_ends_field, *out_field;
	const char *stats_path;
	size_t group_size;        /* nonzero: binary mode */
	enum io_format in_fmt, out_fmt;
	int format_given;
	int force;
} config;

static const char help_text[] =
"Usage: grpo-adv [OPTION]... [FILE]...\n"
"Add group-relative advantages (GRPO and its variants) to a rollout log:\n"
"JSON Lines, one completion per line, every line passed through with\n"
"\"advantage\" appended.  With no FILE, or when FILE is -, read standard input.\n"
"\n"
"Estimator:\n"
"  -e, --estimator NAME    grpo, dr-grpo, rloo, reinforce-baseline, kimi\n"
"                          (default grpo)\n"
"      --scale WHAT        grpo only: divide by the group std, the batch std\n"
"                          or nothing: group, batch, none (default group, TRL\n"
"                          scale_rewards)\n"
"      --std KIND          unbiased (n-1, torch.std) or population (default\n"
"                          unbiased)\n"
"      --eps X             added to the std (default 1e-6 as verl; TRL 1e-4)\n"
"      --singleton WHAT    a group of one gets zero (default, as TRL) or raw:\n"
"                          its reward over 1+eps (verl)\n"
"      --length-penalty W  add W times Kimi k1.5's length reward (default 0);\n"
"                          needs the length and correct fields\n"
"      --process           process supervision: per-token \"advantages\" from\n"
"                          step_rewards and step_ends (grpo or dr-grpo)\n"
"\n"
"Fields (JSON Lines):\n"
"  -g, --group-field F     the prompt's id: string or number (default group)\n"
"  -r, --reward-field F    (default reward)\n"
"      --length-field F    completion length in tokens (default length)\n"
"      --correct-field F   true/false or 1/0 (default correct)\n"
"      --step-rewards-field F   (default step_rewards)\n"
"      --step-ends-field F      last token index of each step (default\n"
"                          step_ends)\n"
"  -a, --advantage-field F the field added (default advantage, or advantages\n"
"                          with --process)\n"
"\n"
"Binary mode:\n"
"  -G, --group-size G      read rewards as numbers, G per group, contiguous\n"
"                          (TRL layout); write the advantages as rows of G\n"
"  -I, --input-format F    auto, f32, f64, npy, text (default auto: f32)\n"
"  -O, --output-format F   f32, f64, npy, text, json (default f32)\n"
"  -f, --force             write binary output to a terminal\n"
"\n"
"      --stats FILE        write a JSON summary (groups, zero-std fraction,\n"
"                          reward mean/std, advantage range) to FILE\n"
"  -h, --help              print this help and exit\n"
"  -V, --version           print the version and exit\n"
"\n"
"Example:\n"
"  grpo-adv --eps 1e-4 --stats stats.json rollouts.jsonl > scored.jsonl\n";

enum {
	OPT_SCALE = 256, OPT_STD, OPT_EPS, OPT_SINGLETON, OPT_LENGTH_PENALTY,
	OPT_PROCESS, OPT_LENGTH_FIELD, OPT_CORRECT_FIELD, OPT_STEP_REWARDS_FIELD,
	OPT_STEP_ENDS_FIELD, OPT_STATS
};

static void parse_options(int argc, char **argv, config *c)
{
	static const struct option longopts[] = {
		{ "estimator", required_argument, NULL, 'e' },
		{ "scale", required_argument, NULL, OPT_SCALE },
		{ "std", required_argument, NULL, OPT_STD },
		{ "eps", required_argument, NULL, OPT_EPS },
		{ "singleton", required_argument, NULL, OPT_SINGLETON },
		{ "length-penalty", required_argument, NULL, OPT_LENGTH_PENALTY },
		{ "process", no_argument, NULL, OPT_PROCESS },
		{ "group-field", required_argument, NULL, 'g' },
		{ "reward-field", required_argument, NULL, 'r' },
		{ "length-field", required_argument, NULL, OPT_LENGTH_FIELD },
		{ "correct-field", required_argument, NULL, OPT_CORRECT_FIELD },
		{ "step-rewards-field", required_argument, NULL, OPT_STEP_REWARDS_FIELD },
		{ "step-ends-field", required_argument, NULL, OPT_STEP_ENDS_FIELD },
		{ "advantage-field", required_argument, NULL, 'a' },
		{ "group-size", required_argument, NULL, 'G' },
		CLI_OPTIONS_FORMATS,
		{ "stats", required_argument, NULL, OPT_STATS },
		CLI_OPTIONS_END,
	};
	memset(c, 0, sizeof *c);
	grpo_options_init(&c->grpo);
	c->group_field = "group";
	c->reward_field = "reward";
	c->length_field = "length";
	c->correct_field = "correct";
	c->step_rewards_field = "step_rewards";
	c->step_ends_field = "step_ends";
	c->in_fmt = IO_AUTO;
	c->out_fmt = IO_F32;
	int ch;
	while ((ch = getopt_long(argc, argv, "e:g:r:a:G:I:O:fhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': c->grpo.estimator = (enum grpo_estimator)cli_choice("--estimator", optarg, grpo_estimator_names); break;
		case OPT_SCALE: c->grpo.scale = (enum grpo_scale)cli_choice("--scale", optarg, grpo_scale_names); c->scale_given = 1; break;
		case OPT_STD: c->grpo.std = (enum grpo_std)cli_choice("--std", optarg, grpo_std_names); break;
		case OPT_EPS: c->grpo.eps = cli_double("--eps", optarg, 0, 1e6); break;
		case OPT_SINGLETON: c->grpo.singleton = (enum grpo_singleton)cli_choice("--singleton", optarg, grpo_singleton_names); break;
		case OPT_LENGTH_PENALTY: c->length_penalty = cli_double("--length-penalty", optarg, -1e6, 1e6); break;
		case OPT_PROCESS: c->process = 1; break;
		case 'g': c->group_field = optarg; break;
		case 'r': c->reward_field = optarg; break;
		case OPT_LENGTH_FIELD: c->length_field = optarg; break;
		case OPT_CORRECT_FIELD: c->correct_field = optarg; break;
		case OPT_STEP_REWARDS_FIELD: c->step_rewards_field = optarg; break;
		case OPT_STEP_ENDS_FIELD: c->step_ends_field = optarg; break;
		case 'a': c->out_field = optarg; break;
		case 'G': c->group_size = cli_size("--group-size", optarg, 1, IO_MAX_DIM); break;
		case 'I': c->in_fmt = io_format_option("--input-format", optarg, 1); c->format_given = 1; break;
		case 'O': c->out_fmt = io_format_option("--output-format", optarg, 0); c->format_given = 1; break;
		case 'f': c->force = 1; break;
		case OPT_STATS: c->stats_path = optarg; break;
		case 'h': cli_help(help_text);
		case 'V': cli_version();
		default: cli_usage_error("unknown option");
		}
	}
	if (c->scale_given && c->grpo.estimator != GRPO_GRPO)
		cli_usage_error("--scale applies to --estimator grpo (dr-grpo is grpo with --scale none)");
	if (c->process && c->grpo.estimator != GRPO_GRPO && c->grpo.estimator != GRPO_DR_GRPO)
		cli_usage_error("--process works with --estimator grpo or dr-grpo");
	if (c->process && c->length_penalty != 0)
		cli_usage_error("--length-penalty does not combine with --process");
	if (c->group_size && (c->process || c->length_penalty != 0))
		cli_usage_error("--group-size reads rewards only: no --process or --length-penalty");
	if (!c->group_size && c->format_given)
		cli_usage_error("-I and -O apply to the binary mode (--group-size)");
	if (c->group_size && argc - optind > 1)
		cli_usage_error("--group-size reads one input");
	if (!c->out_field)
		c->out_field = c->process ? "advantages" : "advantage";
	const char *read[] = { c->group_field, c->reward_field, c->length_field, c->correct_field,
		c->step_rewards_field, c->step_ends_field };
	if (*c->out_field == '\0')
		cli_usage_error("field names must not be empty");
	for (size_t k = 0; k < sizeof read / sizeof *read; k++)
		if (*read[k] == '\0')
			cli_usage_error("field names must not be empty");
		else if (strcmp(read[k], c->out_field) == 0)
			cli_usage_error("--advantage-field '%s' is also a field read", c->out_field);
}

/* ---- memory ------------------------------------------------------------- */

/* *p resized to n elements of size elem (checked for overflow), or exit. */
static void resize(void *pp, size_t n, size_t elem)
{
	void **p = pp;
	if (n > SIZE_MAX / elem)
		cli_die("input too large");
	void *grown = realloc(*p, n * elem);
	if (!grown)
		cli_die("out of memory (%zu bytes)", n * elem);
	*p = grown;
}

/* Make room for need elements of size elem in *p (capacity *cap), growing
 * geometrically. */
static void reserve(void *pp, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap : 1024;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			cli_die("input too large");
		n *= 2;
	}
	resize(pp, n, elem);
	*cap = n;
}

static void *alloc_array(size_t n, size_t elem)
{
	void *p = NULL;
	resize(&p, n ? n : 1, elem);
	return p;
}

/* ---- records ------------------------------------------------------------- */

enum { F_GROUP, F_REWARD, F_LENGTH, F_CORRECT, F_STEP_REWARDS, F_STEP_ENDS, F_OUT, N_FIELDS };

/* The completions, one array per quantity (the library takes arrays). */
typedef struct batch {
	size_t n, cap;
	size_t *group;
	double *reward;          /* outcome supervision */
	double *length;          /* --length-penalty */
	unsigned char *correct;
	size_t *step_offset;     /* --process: completion i owns steps and */
	size_t *token_offset;    /* tokens [offset[i], offset[i+1]) */
	double *step_reward;
	size_t *step_end;
	size_t n_steps, step_reward_cap, step_end_cap;
	size_t n_groups;
} batch;

/* The line being read, for messages. */
typedef struct where {
	const lines_input *input;
	uint64_t lineno;
} where;

static where here(const lines_cursor *cur)
{
	return (where){ cur->input, cur->lineno };
}

/* "FILE: line N: message" (no FILE for standard input), exit 1. */
static void die_at(where at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void die_at(where at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (at.input->name)
		cli_die("%s: line %" PRIu64 ": %s", at.input->name, at.lineno, msg);
	cli_die("line %" PRIu64 ": %s", at.lineno, msg);
}

/* Where record i is, for a message found after reading: the reading and
 * the writing pass walk the lines again, so the batch keeps no pointers to
 * them. */
static where locate(const lines_input *inputs, size_t n, size_t i)
{
	lines_cursor cur;
	const char *line;
	size_t len;
	lines_start(&cur, inputs, n);
	for (size_t k = 0; k <= i && lines_next(&cur, &line, &len); k++)
		;
	return here(&cur);
}

/* Room for record n and the offsets n + 1 of --process. */
static void batch_grow(const config *c, batch *b)
{
	if (b->n + 2 <= b->cap)
		return;
	if (b->cap > SIZE_MAX / 4)
		cli_die("input too large");
	size_t cap = b->cap ? 2 * b->cap : 4096;
	resize(&b->group, cap, sizeof *b->group);
	if (c->process) {
		resize(&b->step_offset, cap, sizeof *b->step_offset);
		resize(&b->token_offset, cap, sizeof *b->token_offset);
		if (b->cap == 0)
			b->step_offset[0] = b->token_offset[0] = 0;
	} else {
		resize(&b->reward, cap, sizeof *b->reward);
	}
	if (c->length_penalty != 0) {
		resize(&b->length, cap, sizeof *b->length);
		resize(&b->correct, cap, sizeof *b->correct);
	}
	b->cap = cap;
}

/* ---- field values -------------------------------------------------------- */

/* The messages are lib/jsonscan's, after "line N: ". */
static double number_field(where at, const jscan_field *f)
{
	double v;
	char err[256];
	if (jscan_get_number(f, &v, err, sizeof err) != 0)
		die_at(at, "%s", err);
	return v;
}

static unsigned char flag_field(where at, const jscan_field *f)
{
	int flag;
	char err[256];
	if (jscan_get_flag(f, &flag, err, sizeof err) != 0)
		die_at(at, "%s", err);
	return (unsigned char)flag;
}

/* --process: the steps of one record, element by element. */
typedef struct step_reader {
	batch *b;
	where at;
	const char *field;
} step_reader;

static void add_step_reward(void *ctx, double v, size_t k)
{
	batch *b = ((step_reader *)ctx)->b;
	(void)k;
	reserve(&b->step_reward, &b->step_reward_cap, b->n_steps + 1, sizeof *b->step_reward);
	b->step_reward[b->n_steps++] = v;
}

static void add_step_end(void *ctx, double v, size_t k)
{
	const step_reader *r = ctx;
	batch *b = r->b;
	size_t i = b->step_offset[b->n] + k;
	if (v < 0 || v != floor(v) || v > 1e15)
		die_at(r->at, "field '%s': element %zu is not a token index (a whole number >= 0)", r->field, k);
	if (k > 0 && (double)b->step_end[i - 1] >= v)
		die_at(r->at, "field '%s': element %zu is not after element %zu", r->field, k, k - 1);
	reserve(&b->step_end, &b->step_end_cap, i + 1, sizeof *b->step_end);
	b->step_end[i] = (size_t)v;
}

static size_t step_array(step_reader *r, const jscan_field *f, void (*each)(void *, double, size_t))
{
	char err[256];
	r->field = f->name;
	long n = jscan_get_numbers(f, each, r, err, sizeof err);
	if (n < 0)
		die_at(r->at, "%s", err);
	return (size_t)n;
}

/* Steps of record b->n; sets its step and token offsets. */
static void read_steps(const config *c, batch *b, where at, const jscan_field *fields)
{
	size_t first = b->step_offset[b->n];
	step_reader r = { b, at, NULL };
	size_t n_rewards = step_array(&r, &fields[F_STEP_REWARDS], add_step_reward);
	size_t n_ends = step_array(&r, &fields[F_STEP_ENDS], add_step_end);
	if (n_rewards != n_ends)
		die_at(at, "field '%s' has %zu elements but '%s' has %zu",
			c->step_rewards_field, n_rewards, c->step_ends_field, n_ends);
	size_t n_tokens = n_rewards ? b->step_end[first + n_rewards - 1] + 1 : 0;
	if (fields[F_LENGTH].value.text) {
		double len = number_field(at, &fields[F_LENGTH]);
		if (len < (double)n_tokens || len != floor(len) || len > 1e15)
			die_at(at, "field '%s' (%.17g) is not a whole number of tokens past the last step end (%zu)",
				c->length_field, len, n_tokens ? n_tokens - 1 : 0);
		n_tokens = (size_t)len;
	}
	b->step_offset[b->n + 1] = b->n_steps;
	if (b->token_offset[b->n] > SIZE_MAX / 2 - n_tokens)
		die_at(at, "too many tokens");
	b->token_offset[b->n + 1] = b->token_offset[b->n] + n_tokens;
}

static void read_fields(const config *c, batch *b, where at, const jscan_field *fields)
{
	const jscan_field *g = &fields[F_GROUP];
	if (!g->value.text)
		die_at(at, "field '%s' is missing", c->group_field);
	if (g->value.type != JSCAN_STRING && g->value.type != JSCAN_NUMBER)
		die_at(at, "field '%s' is not a string or a number", c->group_field);
	if (c->process)
		read_steps(c, b, at, fields);
	else
		b->reward[b->n] = number_field(at, &fields[F_REWARD]);
	if (c->length_penalty != 0) {
		double len = number_field(at, &fields[F_LENGTH]);
		if (len < 0)
			die_at(at, "field '%s' is negative", c->length_field);
		b->length[b->n] = len;
		b->correct[b->n] = flag_field(at, &fields[F_CORRECT]);
	}
}

/* Check every line of every source and keep what the math needs. */
static void read_records(const config *c, const lines_input *inputs, size_t n_inputs, batch *b)
{
	jscan_field fields[N_FIELDS] = {
		[F_GROUP] = { .name = c->group_field },
		[F_REWARD] = { .name = c->reward_field },
		[F_LENGTH] = { .name = c->length_field },
		[F_CORRECT] = { .name = c->correct_field },
		[F_STEP_REWARDS] = { .name = c->step_rewards_field },
		[F_STEP_ENDS] = { .name = c->step_ends_field },
		[F_OUT] = { .name = c->out_field },
	};
	jscan s;
	if (jscan_init(&s, fields, N_FIELDS) != 0)
		cli_die("internal error: field names");
	keyid_table table = { 0 };
	jscan_value last_group = { 0 };
	size_t last_id = 0;
	lines_cursor cur;
	const char *line;
	size_t len;
	lines_start(&cur, inputs, n_inputs);
	batch_grow(c, b);  /* the arrays and offsets exist even without records */
	while (lines_next(&cur, &line, &len)) {
		where at = here(&cur);
		if (jscan_line(&s, line, len) != 0) {
			if (memchr(line, '\0', len))
				die_at(at, "NUL byte in a JSON line");
			die_at(at, "invalid JSON at column %zu: %s", (size_t)(s.bad - line) + 1, s.why);
		}
		if (s.dup)
			die_at(at, "field '%s' appears twice", s.dup);
		if (fields[F_OUT].value.text)
			die_at(at, "field '%s' is already present (name the new field with --advantage-field)", c->out_field);
		batch_grow(c, b);
		read_fields(c, b, at, fields);
		const jscan_value *g = &fields[F_GROUP].value;
		if (!(last_group.text && g->len == last_group.len && memcmp(g->text, last_group.text, g->len) == 0)) {
			if (keyid_get(&table, g->text, g->len, &last_id) != 0)
				cli_die("out of memory");
			last_group = *g;
		}
		b->group[b->n++] = last_id;
	}
	b->n_groups = table.used;
	keyid_free(&table);
}

/* ---- computing ----------------------------------------------------------- */

typedef struct result {
	double *adv;             /* per completion, or per token with --process */
	size_t n_adv;
	const size_t *token_offset;  /* --process, else NULL */
	grpo_summary summary;
	size_t n_values;         /* rewards or step rewards the groups were over */
} result;

/* Kimi k1.5: the length reward, weighted, joins the reward it shapes. */
static void add_length_reward(const config *c, batch *b, grpo_group *groups)
{
	double *bonus = alloc_array(b->n, sizeof *bonus);
	grpo_length_rewards(b->length, b->correct, b->group, b->n, groups, b->n_groups, bonus);
	for (size_t i = 0; i < b->n; i++)
		b->reward[i] += c->length_penalty * bonus[i];
	free(bonus);
}

static void compute(const config *c, batch *b, result *out)
{
	grpo_group *groups = alloc_array(b->n_groups, sizeof *groups);
	int rc;
	if (c->process) {
		size_t n_tokens = b->token_offset[b->n];
		double *step_norm = alloc_array(b->n_steps, sizeof *step_norm);
		out->adv = alloc_array(n_tokens, sizeof *out->adv);
		out->n_adv = n_tokens;
		out->token_offset = b->token_offset;
		rc = grpo_process_advantages(&c->grpo, b->step_reward, b->step_end, b->step_offset,
			b->group, b->n, groups, b->n_groups, b->token_offset, step_norm, out->adv);
		if (c->stats_path)
			grpo_summarize(b->step_reward, b->n_steps, groups, b->n_groups, c->grpo.std,
				out->adv, n_tokens, &out->summary);
		out->n_values = b->n_steps;
		free(step_norm);
	} else {
		if (c->length_penalty != 0)
			add_length_reward(c, b, groups);
		out->adv = alloc_array(b->n, sizeof *out->adv);
		out->n_adv = b->n;
		rc = grpo_advantages(&c->grpo, b->reward, b->group, b->n, groups, b->n_groups, out->adv);
		if (c->stats_path)
			grpo_summarize(b->reward, b->n, groups, b->n_groups, c->grpo.std, out->adv, b->n, &out->summary);
		out->n_values = b->n;
	}
	if (rc != 0)
		cli_die("internal error: inconsistent groups or steps");
	free(groups);
}

/* Output is float32 text: an advantage beyond its range is an error, found
 * before anything is written. */
static void check_float_range(const batch *b, const result *res, const lines_input *inputs, size_t n_inputs)
{
	for (size_t i = 0; i < b->n; i++) {
		size_t first = res->token_offset ? res->token_offset[i] : i;
		size_t last = res->token_offset ? res->token_offset[i + 1] : i + 1;
		for (size_t t = first; t < last; t++)
			if (!(fabs(res->adv[t]) <= FLT_MAX))
				die_at(locate(inputs, n_inputs, i), "advantage %g does not fit in float32", res->adv[t]);
	}
}

/* ---- writing ------------------------------------------------------------- */

/* Records go out through one large buffer: jsonl_write_appended makes five
 * stdio calls per record, which cost a quarter of a run on a million
 * completions (tests/bench/grpo-adv.sh). */
typedef struct out_buffer {
	char *buf;
	size_t used, cap;
} out_buffer;

static void out_flush(out_buffer *o)
{
	if (o->used && fwrite(o->buf, 1, o->used, stdout) != o->used)
		cli_die("write error: standard output: %s", strerror(errno));
	o->used = 0;
}

/* Room for n more bytes: flush, and grow for a record larger than the
 * buffer. */
static char *out_room(out_buffer *o, size_t n)
{
	if (n > o->cap - o->used) {
		out_flush(o);
		reserve(&o->buf, &o->cap, n, 1);
	}
	return o->buf + o->used;
}

/* Every record with its advantage (or, with --process, its array of
 * per-token advantages) appended, in float32 text. */
static void write_records(const config *c, const lines_input *inputs, size_t n_inputs,
	const batch *b, const result *res)
{
	lines_cursor cur;
	const char *line;
	size_t len;
	lines_start(&cur, inputs, n_inputs);
	jsonl_fields field = { 0 };
	if (jsonl_fields_raw(&field, c->out_field, "") != 0)
		cli_die("out of memory");
	size_t key_len = field.len;
	out_buffer out = { 0 };
	reserve(&out.buf, &out.cap, 1 << 20, 1);
	for (size_t i = 0; i < b->n && lines_next(&cur, &line, &len); i++) {
		jsonl_fields_truncate(&field, key_len);
		const size_t *tok = res->token_offset;
		int rc = tok ? jsonl_fields_values(&field, res->adv + tok[i], tok[i + 1] - tok[i], 0)
			: jsonl_fields_value(&field, res->adv[i], 0);
		if (rc != 0 || field.len > SIZE_MAX / 2 - len)
			cli_die("out of memory");
		out.used += jsonl_append_to_buffer(out_room(&out, len + field.len + 2), line, len, &field);
	}
	out_flush(&out);
	jsonl_fields_free(&field);
	free(out.buf);
}

static void stats_number(FILE *fp, const char *key, double v, const char *sep)
{
	if (isfinite(v))
		fprintf(fp, "\"%s\":%.17g%s", key, v, sep);
	else
		fprintf(fp, "\"%s\":null%s", key, sep);
}

static void write_stats(const config *c, size_t completions, const result *res)
{
	const grpo_summary *s = &res->summary;
	FILE *fp = cli_fopen_out(c->stats_path);
	size_t multi = s->groups - s->singletons;
	fprintf(fp, "{\"estimator\":\"%s\",\"completions\":%zu,", grpo_estimator_names[c->grpo.estimator], completions);
	if (c->process)
		fprintf(fp, "\"steps\":%zu,\"tokens\":%zu,", res->n_values, res->n_adv);
	fprintf(fp, "\"groups\":%zu,\"singletons\":%zu,\"zero_std_groups\":%zu,",
		s->groups, s->singletons, s->zero_std_groups);
	stats_number(fp, "zero_std_fraction", multi ? (double)s->zero_std_groups / (double)multi : NAN, ",");
	stats_number(fp, "reward_mean", s->reward_mean, ",");
	stats_number(fp, "reward_std", s->reward_std, ",");
	stats_number(fp, "advantage_min", s->adv_min, ",");
	stats_number(fp, "advantage_max", s->adv_max, "}\n");
	if (fp == stdout) {
		if (fflush(fp) != 0)
			cli_die("write error: standard output: %s", strerror(errno));
	} else {
		cli_fclose(fp, c->stats_path);
	}
}

/* The whole input at path (NULL or "-": standard input) in memory. */
static void load_input(lines_input *in, const char *path)
{
	FILE *fp = cli_fopen_in(path);
	char err[320];
	if (lines_load(in, fp, fp == stdin ? NULL : path, err, sizeof err) != 0)
		cli_die("%s", err);
	if (fp != stdin)
		fclose(fp);
}

static void run_jsonl(const config *c, char **paths, int n_paths)
{
	size_t n_inputs = n_paths > 0 ? (size_t)n_paths : 1;
	lines_input *inputs = alloc_array(n_inputs, sizeof *inputs);
	for (size_t f = 0; f < n_inputs; f++)
		load_input(&inputs[f], n_paths > 0 ? paths[f] : NULL);
	batch b = { 0 };
	read_records(c, inputs, n_inputs, &b);
	result res = { 0 };
	compute(c, &b, &res);
	check_float_range(&b, &res, inputs, n_inputs);
	write_records(c, inputs, n_inputs, &b, &res);
	if (c->stats_path)
		write_stats(c, b.n, &res);
	free(res.adv);
	void *arrays[] = { b.group, b.reward, b.length, b.correct,
		b.step_offset, b.token_offset, b.step_reward, b.step_end };
	for (size_t k = 0; k < sizeof arrays / sizeof *arrays; k++)
		free(arrays[k]);
	for (size_t f = 0; f < n_inputs; f++)
		lines_free(&inputs[f]);
	free(inputs);
}

/* ---- binary mode: contiguous groups of G rewards ------------------------ */

static void run_binary(const config *c, const char *path)
{
	size_t G = c->group_size;
	cli_refuse_tty(stdout, io_format_is_binary(c->out_fmt), c->force);
	FILE *in = cli_fopen_in(path);
	io_reader r;
	double *reward;
	size_t rows;
	if (io_reader_open(&r, in, in == stdin ? "stdin" : path, c->in_fmt, G) != 0 || io_read_all(&r, &reward, &rows) != 0)
		cli_die("%s", r.err);
	io_reader_close(&r);
	if (in != stdin)
		fclose(in);
	size_t n = rows * G;  /* in memory already: no overflow */
	size_t *group = alloc_array(n, sizeof *group);
	grpo_group *groups = alloc_array(rows, sizeof *groups);
	double *adv = alloc_array(n, sizeof *adv);
	for (size_t i = 0; i < n; i++)
		group[i] = i / G;
	if (grpo_advantages(&c->grpo, reward, group, n, groups, rows, adv) != 0)
		cli_die("internal error: bad group index");
	if (c->out_fmt != IO_F64)
		for (size_t i = 0; i < n; i++)
			if (!(fabs(adv[i]) <= FLT_MAX))
				cli_die("group %zu: advantage %g does not fit in float32 (use -O f64)", i / G, adv[i]);
	io_writer w;
	if (io_writer_open(&w, stdout, "stdout", c->out_fmt, G, (int64_t)rows) != 0
	    || io_write_rows(&w, adv, rows) != 0 || io_writer_close(&w) != 0)
		cli_die("%s", w.err);
	if (c->stats_path) {
		result res = { .adv = adv, .n_adv = n, .n_values = n };
		grpo_summarize(reward, n, groups, rows, c->grpo.std, adv, n, &res.summary);
		write_stats(c, n, &res);
	}
	free(reward);
	free(group);
	free(groups);
	free(adv);
}

int main(int argc, char **argv)
{
	cli_init(argv[0]);
	config c;
	parse_options(argc, argv, &c);
	if (c.group_size)
		run_binary(&c, optind < argc ? argv[optind] : NULL);
	else
		run_jsonl(&c, argv + optind, argc - optind);
	cli_close_stdout();
	return EXIT_SUCCESS;
}
