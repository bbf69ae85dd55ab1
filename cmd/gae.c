/* gae: advantages and returns for actor-critic methods, from JSON Lines
 * records or from the binary [T, E] arrays of CleanRL / Stable-Baselines3.
 * The math is lib/gae.c; this file reads, groups and writes. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <unistd.h>

#include "cli.h"
#include "gae.h"
#include "io.h"
#include "jsonl.h"

static const char usage[] =
	"Usage: gae [OPTIONS] [FILE]                      (JSON Lines, one step per line)\n"
	"       gae [OPTIONS] --rewards F --values F --dones F --envs E   (binary [T, E])\n"
	"Advantages and returns: GAE(gamma, lambda), TD(0), Monte Carlo, V-trace;\n"
	"or the DDPG critic target with --td-target.\n"
	"\n"
	"  -g, --gamma G            discount (default 0.99)\n"
	"  -l, --lambda L           GAE lambda (default 0.95; 1 for vtrace)\n"
	"  -e, --estimator NAME     gae, td (lambda 0), mc (lambda 1), vtrace (default gae)\n"
	"      --rho-bar X          V-trace clip of the importance weight (default 1)\n"
	"      --c-bar X            V-trace clip of the trace weight (default 1)\n"
	"  -n, --normalize          advantages to mean 0, unbiased std 1 (+1e-8), as CleanRL\n"
	"      --td-target          write y = r + gamma (1 - done) next_value instead\n"
	"JSON Lines fields (defaults in brackets); output adds \"advantage\", \"return\"\n"
	"(or \"target\"):\n"
	"      --reward-field F     [reward]       --value-field F      [value]\n"
	"      --done-field F       [done]         --truncated-field F  [truncated]\n"
	"      --next-value-field F [next_value]   --mask-field F       [mask]\n"
	"      --env-field F        [env]          --logp-field F       [logp]\n"
	"      --behavior-logp-field F [behavior_logp]\n"
	"Binary layout (CleanRL: dones[t] = 1 when observation t starts an episode):\n"
	"      --rewards F --values F --dones F   arrays of T rows of E\n"
	"      --envs E             environments per row (required)\n"
	"      --last-values F      V of the observation after the rollout (default 0)\n"
	"      --last-dones F       its done flags (default 0)\n"
	"      --mask F             0 skips a step (token-level rollouts)\n"
	"      --logp F, --behavior-logp F   log-probabilities for vtrace\n"
	"      --next-values F      with --td-target: V(s') of each transition\n"
	"      --returns-out F      write the returns there (default: not written)\n"
	"      --batch-major        arrays are [E, T] (verl) instead of [T, E]\n"
	"  -I, --input-format FMT   auto, f32, f64, npy, text (default auto)\n"
	"  -O, --output-format FMT  f32, f64, npy, text, json (default f32); with JSON\n"
	"                           Lines, f64 prints 17 digits instead of 9\n"
	"  -f, --force              write binary output to a terminal\n"
	CLI_HELP_END
	"\n"
	"Example:\n"
	"  gae --gamma 0.99 --lambda 0.95 rollout.jsonl\n";

enum estimator { EST_GAE, EST_TD, EST_MC, EST_VTRACE };
static const char *const estimator_names[] = { "gae", "td", "mc", "vtrace", NULL };

typedef struct options {
	gae_params params;
	int lambda_given, normalize, td_target, batch_major, force;
	enum estimator estimator;
	const char *reward_field, *value_field, *done_field, *truncated_field;
	const char *next_value_field, *mask_field, *env_field, *logp_field, *behavior_logp_field;
	const char *rewards, *values, *dones, *last_values, *last_dones, *mask;
	const char *logp, *behavior_logp, *next_values, *returns_out;
	size_t envs;
	enum io_format in_fmt, out_fmt;
	const char *input;
} options;

enum {
	OPT_RHO_BAR = 256, OPT_C_BAR, OPT_TD_TARGET, OPT_REWARD_FIELD, OPT_VALUE_FIELD,
	OPT_DONE_FIELD, OPT_TRUNCATED_FIELD, OPT_NEXT_VALUE_FIELD, OPT_MASK_FIELD,
	OPT_ENV_FIELD, OPT_LOGP_FIELD, OPT_BEHAVIOR_LOGP_FIELD, OPT_REWARDS, OPT_VALUES,
	OPT_DONES, OPT_ENVS, OPT_LAST_VALUES, OPT_LAST_DONES, OPT_MASK, OPT_LOGP,
	OPT_BEHAVIOR_LOGP, OPT_NEXT_VALUES, OPT_RETURNS_OUT, OPT_BATCH_MAJOR,
};

static const struct option long_options[] = {
	{ "gamma", required_argument, NULL, 'g' },
	{ "lambda", required_argument, NULL, 'l' },
	{ "estimator", required_argument, NULL, 'e' },
	{ "rho-bar", required_argument, NULL, OPT_RHO_BAR },
	{ "c-bar", required_argument, NULL, OPT_C_BAR },
	{ "normalize", no_argument, NULL, 'n' },
	{ "td-target", no_argument, NULL, OPT_TD_TARGET },
	{ "reward-field", required_argument, NULL, OPT_REWARD_FIELD },
	{ "value-field", required_argument, NULL, OPT_VALUE_FIELD },
	{ "done-field", required_argument, NULL, OPT_DONE_FIELD },
	{ "truncated-field", required_argument, NULL, OPT_TRUNCATED_FIELD },
	{ "next-value-field", required_argument, NULL, OPT_NEXT_VALUE_FIELD },
	{ "mask-field", required_argument, NULL, OPT_MASK_FIELD },
	{ "env-field", required_argument, NULL, OPT_ENV_FIELD },
	{ "logp-field", required_argument, NULL, OPT_LOGP_FIELD },
	{ "behavior-logp-field", required_argument, NULL, OPT_BEHAVIOR_LOGP_FIELD },
	{ "rewards", required_argument, NULL, OPT_REWARDS },
	{ "values", required_argument, NULL, OPT_VALUES },
	{ "dones", required_argument, NULL, OPT_DONES },
	{ "envs", required_argument, NULL, OPT_ENVS },
	{ "last-values", required_argument, NULL, OPT_LAST_VALUES },
	{ "last-dones", required_argument, NULL, OPT_LAST_DONES },
	{ "mask", required_argument, NULL, OPT_MASK },
	{ "logp", required_argument, NULL, OPT_LOGP },
	{ "behavior-logp", required_argument, NULL, OPT_BEHAVIOR_LOGP },
	{ "next-values", required_argument, NULL, OPT_NEXT_VALUES },
	{ "returns-out", required_argument, NULL, OPT_RETURNS_OUT },
	{ "batch-major", no_argument, NULL, OPT_BATCH_MAJOR },
	CLI_OPTIONS_FORMATS,
	CLI_OPTIONS_END,
};

static const char *field_name(const char *opt, const char *arg)
{
	if (arg[0] == '\0')
		cli_usage_error("%s: empty field name", opt);
	return arg;
}

static void set_defaults(options *o)
{
	memset(o, 0, sizeof *o);
	o->params = (gae_params){ .gamma = 0.99, .lambda = 0.95, .rho_bar = 1.0, .c_bar = 1.0 };
	o->reward_field = "reward";
	o->value_field = "value";
	o->done_field = "done";
	o->truncated_field = "truncated";
	o->next_value_field = "next_value";
	o->mask_field = "mask";
	o->env_field = "env";
	o->logp_field = "logp";
	o->behavior_logp_field = "behavior_logp";
	o->in_fmt = IO_AUTO;
	o->out_fmt = IO_F32;
}

/* The estimator fixes lambda for td and mc, and V-trace defaults to 1. */
static void resolve_estimator(options *o)
{
	if ((o->estimator == EST_TD || o->estimator == EST_MC) && o->lambda_given)
		cli_usage_error("--lambda: not used with --estimator %s", estimator_names[o->estimator]);
	if (o->estimator == EST_TD)
		o->params.lambda = 0.0;
	else if (o->estimator == EST_MC)
		o->params.lambda = 1.0;
	else if (o->estimator == EST_VTRACE && !o->lambda_given)
		o->params.lambda = 1.0;
	o->params.vtrace = o->estimator == EST_VTRACE;
}

static void check_combinations(const options *o, int n_operands)
{
	int binary = o->rewards != NULL;
	if (binary && n_operands > 0)
		cli_usage_error("a FILE operand cannot be combined with --rewards");
	if (!binary && (o->values || o->dones || o->last_values || o->last_dones || o->mask
			|| o->logp || o->behavior_logp || o->next_values || o->returns_out || o->envs
			|| o->batch_major))
		cli_usage_error("the binary layout options need --rewards");
	if (!binary && o->in_fmt != IO_AUTO)
		cli_usage_error("--input-format: JSON Lines input has no other format");
	if (!binary && o->out_fmt != IO_F32 && o->out_fmt != IO_F64)
		cli_usage_error("--output-format: JSON Lines output takes f32 (9 digits) or f64 (17 digits)");
	if (n_operands > 1)
		cli_usage_error("one input file at most");
	if (o->td_target && (o->normalize || o->estimator != EST_GAE || o->lambda_given))
		cli_usage_error("--td-target takes no --normalize, --estimator or --lambda");
	if (binary && o->td_target) {
		if (!o->dones || !o->next_values)
			cli_usage_error("--td-target with --rewards needs --dones and --next-values");
		return;
	}
	if (binary && (!o->values || !o->dones || !o->envs))
		cli_usage_error("the binary layout needs --rewards, --values, --dones and --envs");
	if (binary && o->next_values)
		cli_usage_error("--next-values is read only with --td-target");
	if (binary && o->params.vtrace != (o->logp != NULL && o->behavior_logp != NULL))
		cli_usage_error("--estimator vtrace goes with --logp and --behavior-logp");
}

static void parse_options(int argc, char **argv, options *o)
{
	set_defaults(o);
	int c;
	while ((c = getopt_long(argc, argv, "g:l:e:nI:O:fhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'g': o->params.gamma = cli_double("--gamma", optarg, 0.0, 1.0); break;
		case 'l': o->params.lambda = cli_double("--lambda", optarg, 0.0, 1.0); o->lambda_given = 1; break;
		case 'e': o->estimator = (enum estimator)cli_choice("--estimator", optarg, estimator_names); break;
		case OPT_RHO_BAR: o->params.rho_bar = cli_double("--rho-bar", optarg, 0.0, 1e300); break;
		case OPT_C_BAR: o->params.c_bar = cli_double("--c-bar", optarg, 0.0, 1e300); break;
		case 'n': o->normalize = 1; break;
		case OPT_TD_TARGET: o->td_target = 1; break;
		case OPT_REWARD_FIELD: o->reward_field = field_name("--reward-field", optarg); break;
		case OPT_VALUE_FIELD: o->value_field = field_name("--value-field", optarg); break;
		case OPT_DONE_FIELD: o->done_field = field_name("--done-field", optarg); break;
		case OPT_TRUNCATED_FIELD: o->truncated_field = field_name("--truncated-field", optarg); break;
		case OPT_NEXT_VALUE_FIELD: o->next_value_field = field_name("--next-value-field", optarg); break;
		case OPT_MASK_FIELD: o->mask_field = field_name("--mask-field", optarg); break;
		case OPT_ENV_FIELD: o->env_field = field_name("--env-field", optarg); break;
		case OPT_LOGP_FIELD: o->logp_field = field_name("--logp-field", optarg); break;
		case OPT_BEHAVIOR_LOGP_FIELD: o->behavior_logp_field = field_name("--behavior-logp-field", optarg); break;
		case OPT_REWARDS: o->rewards = optarg; break;
		case OPT_VALUES: o->values = optarg; break;
		case OPT_DONES: o->dones = optarg; break;
		case OPT_ENVS: o->envs = cli_size("--envs", optarg, 1, IO_MAX_DIM); break;
		case OPT_LAST_VALUES: o->last_values = optarg; break;
		case OPT_LAST_DONES: o->last_dones = optarg; break;
		case OPT_MASK: o->mask = optarg; break;
		case OPT_LOGP: o->logp = optarg; break;
		case OPT_BEHAVIOR_LOGP: o->behavior_logp = optarg; break;
		case OPT_NEXT_VALUES: o->next_values = optarg; break;
		case OPT_RETURNS_OUT: o->returns_out = optarg; break;
		case OPT_BATCH_MAJOR: o->batch_major = 1; break;
		case 'I': o->in_fmt = io_format_option("--input-format", optarg, 1); break;
		case 'O': o->out_fmt = io_format_option("--output-format", optarg, 0); break;
		case 'f': o->force = 1; break;
		case 'h': cli_help(usage);
		case 'V': cli_version();
		default: cli_usage_error("unknown option");
		}
	}
	resolve_estimator(o);
	check_combinations(o, argc - optind);
	o->input = optind < argc ? argv[optind] : NULL;
}

/* ---- JSON Lines ------------------------------------------------------- */

/* The records of the whole input, as parallel arrays; raw lines and env
 * keys (JSON text of the env field, "" when absent) live in one buffer. */
typedef struct records {
	size_t n, cap;
	double *reward, *value, *next_value, *log_rho, *kept;
	unsigned char *end;
	size_t *line_off, *line_len, *key_off;
	char *text;
	size_t text_len, text_cap;
} records;

static void *grow(void *p, size_t count, size_t size)
{
	if (count > SIZE_MAX / size)
		cli_die("input too large");
	void *q = realloc(p, count * size);
	if (!q)
		cli_die("out of memory");
	return q;
}

static void records_reserve(records *rs)
{
	if (rs->n < rs->cap)
		return;
	size_t cap = rs->cap ? rs->cap * 2 : 1024;
	rs->reward = grow(rs->reward, cap, sizeof(double));
	rs->value = grow(rs->value, cap, sizeof(double));
	rs->next_value = grow(rs->next_value, cap, sizeof(double));
	rs->log_rho = grow(rs->log_rho, cap, sizeof(double));
	rs->kept = grow(rs->kept, cap, sizeof(double));
	rs->end = grow(rs->end, cap, 1);
	rs->line_off = grow(rs->line_off, cap, sizeof(size_t));
	rs->line_len = grow(rs->line_len, cap, sizeof(size_t));
	rs->key_off = grow(rs->key_off, cap, sizeof(size_t));
	rs->cap = cap;
}

/* Append n bytes and a NUL to the text buffer; returns their offset. */
static size_t text_append(records *rs, const char *s, size_t n)
{
	if (n > SIZE_MAX - rs->text_len - 1)
		cli_die("input too large");
	size_t need = rs->text_len + n + 1;
	if (need > rs->text_cap) {
		size_t cap = rs->text_cap ? rs->text_cap : 1 << 16;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		rs->text = grow(rs->text, cap, 1);
		rs->text_cap = cap;
	}
	size_t at = rs->text_len;
	memcpy(rs->text + at, s, n);
	rs->text[at + n] = '\0';
	rs->text_len = need;
	return at;
}

static void records_free(records *rs)
{
	free(rs->reward);
	free(rs->value);
	free(rs->next_value);
	free(rs->log_rho);
	free(rs->kept);
	free(rs->end);
	free(rs->line_off);
	free(rs->line_len);
	free(rs->key_off);
	free(rs->text);
}

typedef struct source {
	jsonl_reader r;
	const char *prefix; /* "FILE: " for a named file, "" for stdin */
} source;

static void check(source *s, int rc)
{
	if (rc < 0)
		cli_die("%s%s", s->prefix, s->r.err);
}

static double number_field(source *s, const char *field, int required, double fallback)
{
	double x = fallback;
	check(s, jsonl_get_number(&s->r, field, required, &x));
	return x;
}

static int flag_field(source *s, const char *field)
{
	int flag = 0;
	check(s, jsonl_get_flag(&s->r, field, 0, &flag));
	return flag;
}

/* The env key: the field's JSON text, so 1 and "1" are different envs. */
static size_t env_key(source *s, const options *o, records *rs)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(s->r.obj, o->env_field);
	if (!item || cJSON_IsNull(item))
		return text_append(rs, "", 0);
	if (!cJSON_IsString(item) && !cJSON_IsNumber(item))
		cli_die("%sline %" PRIu64 ": field '%s' is not a string or number", s->prefix, s->r.lineno, o->env_field);
	char *text = cJSON_PrintUnformatted(item);
	if (!text)
		cli_die("out of memory");
	size_t at = text_append(rs, text, strlen(text));
	cJSON_free(text);
	return at;
}

static void read_record(source *s, const options *o, records *rs)
{
	records_reserve(rs);
	size_t i = rs->n;
	rs->reward[i] = number_field(s, o->reward_field, 1, 0.0);
	rs->value[i] = number_field(s, o->value_field, 1, 0.0);
	int terminated = flag_field(s, o->done_field);
	int truncated = flag_field(s, o->truncated_field);
	double next_value = 0.0;
	int rc = jsonl_get_number(&s->r, o->next_value_field, 0, &next_value);
	check(s, rc);
	if (rc == 1 && truncated && !terminated)
		cli_die("%sline %" PRIu64 ": field '%s' is missing: a truncated step bootstraps from it",
			s->prefix, s->r.lineno, o->next_value_field);
	rs->next_value[i] = next_value;
	/* gymnasium: terminated takes precedence over truncated */
	rs->end[i] = terminated ? GAE_TERMINATED : truncated ? GAE_TRUNCATED : GAE_CONTINUE;
	int kept = 1;
	check(s, jsonl_get_flag(&s->r, o->mask_field, 0, &kept));
	rs->kept[i] = kept;
	rs->log_rho[i] = 0.0;
	if (o->params.vtrace)
		rs->log_rho[i] = number_field(s, o->logp_field, 1, 0.0)
			- number_field(s, o->behavior_logp_field, 1, 0.0);
	rs->key_off[i] = env_key(s, o, rs);
	rs->line_off[i] = text_append(rs, s->r.line, s->r.len);
	rs->line_len[i] = s->r.len;
	rs->n++;
}

typedef struct keyed {
	const char *key;
	size_t index;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

/* Group the records by env (stable), then run each env's trajectory in
 * time order over the records in place. */
static void compute_records(const options *o, records *rs, double *adv, double *ret)
{
	keyed *order = grow(NULL, rs->n ? rs->n : 1, sizeof *order);
	size_t *index = grow(NULL, rs->n ? rs->n : 1, sizeof *index);
	for (size_t i = 0; i < rs->n; i++)
		order[i] = (keyed){ rs->text + rs->key_off[i], i };
	qsort(order, rs->n, sizeof *order, keyed_cmp);
	for (size_t i = 0; i < rs->n; i++)
		index[i] = order[i].index;
	for (size_t start = 0, stop; start < rs->n; start = stop) {
		for (stop = start + 1; stop < rs->n && strcmp(order[stop].key, order[start].key) == 0; stop++)
			;
		gae_track tr = {
			.n = stop - start, .index = index + start, .reward = rs->reward,
			.value = rs->value, .end = rs->end, .next_value = rs->next_value,
			.log_rho = o->params.vtrace ? rs->log_rho : NULL, .kept = rs->kept,
			/* a stream that stops mid-episode bootstraps from the
			 * last record's next_value (0 when absent) */
			.bootstrap = rs->next_value[index[stop - 1]],
		};
		gae_track_compute(&o->params, &tr, adv, ret);
	}
	free(order);
	free(index);
}

static void write_record(const records *rs, size_t i, jsonl_fields *f, const char *names[2], const double *x[2], int f64)
{
	jsonl_fields_reset(f);
	for (int k = 0; k < 2 && names[k]; k++)
		if (jsonl_fields_number(f, names[k], x[k][i], f64) != 0)
			cli_die("out of memory");
	if (jsonl_write_appended(stdout, rs->text + rs->line_off[i], rs->line_len[i], f) != 0)
		cli_die("write error: standard output: %s", strerror(errno));
}

static void open_source(source *s, const char *path)
{
	FILE *fp = cli_fopen_in(path);
	int named = path && strcmp(path, "-") != 0;
	jsonl_reader_init(&s->r, fp, named ? path : "stdin");
	static char prefix[512];
	snprintf(prefix, sizeof prefix, "%s%s", named ? path : "", named ? ": " : "");
	s->prefix = prefix;
}

static void close_source(source *s)
{
	if (s->r.fp != stdin)
		fclose(s->r.fp);
	jsonl_reader_free(&s->r);
}

/* --td-target on records: each line stands alone, so it streams. */
static void run_td_target_jsonl(const options *o)
{
	source s;
	open_source(&s, o->input);
	jsonl_fields f = { 0 };
	int rc;
	while ((rc = jsonl_next(&s.r)) == 1) {
		double reward = number_field(&s, o->reward_field, 1, 0.0);
		int terminated = flag_field(&s, o->done_field);
		double next_value = number_field(&s, o->next_value_field, !terminated, 0.0);
		double target = gae_td_target(o->params.gamma, reward, terminated, next_value);
		jsonl_fields_reset(&f);
		if (jsonl_fields_number(&f, "target", target, o->out_fmt == IO_F64) != 0)
			cli_die("out of memory");
		if (jsonl_write_appended(stdout, s.r.line, s.r.len, &f) != 0)
			cli_die("write error: standard output: %s", strerror(errno));
	}
	check(&s, rc);
	jsonl_fields_free(&f);
	close_source(&s);
}

static void run_jsonl(const options *o)
{
	source s;
	open_source(&s, o->input);
	records rs = { 0 };
	int rc;
	while ((rc = jsonl_next(&s.r)) == 1)
		read_record(&s, o, &rs);
	check(&s, rc);
	close_source(&s);
	double *adv = grow(NULL, rs.n ? rs.n : 1, sizeof *adv);
	double *ret = grow(NULL, rs.n ? rs.n : 1, sizeof *ret);
	compute_records(o, &rs, adv, ret);
	if (o->normalize)
		gae_normalize(adv, rs.n, 1, rs.kept);
	jsonl_fields f = { 0 };
	const char *names[2] = { "advantage", "return" };
	const double *x[2] = { adv, ret };
	for (size_t i = 0; i < rs.n; i++)
		write_record(&rs, i, &f, names, x, o->out_fmt == IO_F64);
	jsonl_fields_free(&f);
	free(adv);
	free(ret);
	records_free(&rs);
}

/* ---- binary [T, E] ---------------------------------------------------- */

/* An input array in memory (lib/io maps raw files copy-on-write). */
typedef struct column {
	const char *path;
	io_array a;
} column;

static column read_column(const options *o, const char *path, size_t dim, int f64)
{
	column c = { .path = path };
	char err[400];
	if (io_array_load(&c.a, path, o->in_fmt, dim, f64, err, sizeof err) != 0)
		cli_die("%s", err);
	return c;
}

/* A zeroed array of n values, for defaults. */
static column zero_column(size_t n, int f64)
{
	column c = { .path = "(zeros)" };
	if (io_array_alloc(&c.a, n, f64) != 0)
		cli_die("out of memory");
	memset(c.a.v, 0, n * (f64 ? sizeof(double) : sizeof(float)));
	return c;
}

static void *big_alloc(size_t n, int f64)
{
	io_array a;
	if (io_array_alloc(&a, n, f64) != 0)
		cli_die("out of memory");
	return a.v;
}

static void free_column(column *c)
{
	io_array_free(&c->a);
}

static void expect_count(const column *c, size_t n, const char *what)
{
	if (c->a.n != n)
		cli_die("%s: %zu values, expected %zu (%s)", c->path, c->a.n, n, what);
}

static void write_column(const options *o, FILE *fp, const char *name, const void *v, int f64,
	size_t rows, size_t dim)
{
	io_writer w;
	if (io_writer_open(&w, fp, name, o->out_fmt, dim, (int64_t)rows) != 0)
		cli_die("%s", w.err);
	int rc = f64 ? io_write_rows(&w, v, rows) : io_write_rows_f32(&w, v, rows);
	if (rc != 0 || io_writer_close(&w) != 0)
		cli_die("%s", w.err);
}

/* The row length of the reader.  Only the number of values matters (the
 * layout is fixed by --envs and --batch-major): text takes it from its
 * first line, batch-major .npy from its shape [E, T], and raw data are read
 * E values at a time. */
static size_t row_dim(const options *o)
{
	if (o->in_fmt == IO_TEXT || (o->batch_major && o->in_fmt == IO_NPY))
		return 0;
	return o->envs ? o->envs : 1;
}

static void check_flags(const gae_batch *b, const options *o)
{
	size_t bad;
	const char *which;
	if (gae_batch_check(b, &bad, &which) == 0)
		return;
	int last = strcmp(which, "last-dones") == 0, mask = strcmp(which, "mask") == 0;
	const char *path = last ? o->last_dones : mask ? o->mask : o->dones;
	const void *array = last ? b->last_done : mask ? b->kept : b->episode_start;
	size_t dim = last ? b->E : o->batch_major ? b->T : b->E;
	cli_die("%s: row %zu, column %zu: %g is not 0 or 1", path, bad / dim, bad % dim,
		gae_batch_get(b, array, bad));
}

static void run_td_target_batch(const options *o)
{
	size_t dim = o->envs ? o->envs : 1;
	column r = read_column(o, o->rewards, row_dim(o), 1);
	column d = read_column(o, o->dones, row_dim(o), 1);
	column nv = read_column(o, o->next_values, row_dim(o), 1);
	if (r.a.n % dim)
		cli_die("%s: %zu values are not whole rows of %zu environments", o->rewards, r.a.n, dim);
	expect_count(&d, r.a.n, "one per reward");
	expect_count(&nv, r.a.n, "one per reward");
	double *y = r.a.v;
	const double *done = d.a.v, *next_value = nv.a.v;
	for (size_t i = 0; i < r.a.n; i++) {
		if (done[i] != 0.0 && done[i] != 1.0)
			cli_die("%s: value %zu: %g is not 0 or 1", o->dones, i, done[i]);
		y[i] = gae_td_target(o->params.gamma, y[i], done[i] != 0.0, next_value[i]);
	}
	cli_refuse_tty(stdout, io_format_is_binary(o->out_fmt), o->force);
	write_column(o, stdout, "standard output", y, 1, r.a.n / dim, dim);
	free_column(&r);
	free_column(&d);
	free_column(&nv);
}

/* log pi - log mu, in place in logp */
static void log_ratio(column *logp, const column *behavior)
{
	for (size_t i = 0; i < logp->a.n; i++) {
		if (logp->a.f64)
			((double *)logp->a.v)[i] -= ((const double *)behavior->a.v)[i];
		else
			((float *)logp->a.v)[i] -= ((const float *)behavior->a.v)[i];
	}
}

static void run_batch(const options *o)
{
	/* float32 storage as the wire format, SB3 and CleanRL; float64 when
	 * asked for by -I f64 or -O f64 */
	int f64 = o->in_fmt == IO_F64 || o->out_fmt == IO_F64;
	size_t E = o->envs, dim = row_dim(o);
	column r = read_column(o, o->rewards, dim, f64);
	if (r.a.n % E)
		cli_die("%s: %zu values are not whole rows of %zu environments", o->rewards, r.a.n, E);
	size_t n = r.a.n, T = n / E;
	column v = read_column(o, o->values, dim, f64);
	column d = read_column(o, o->dones, dim, f64);
	expect_count(&v, n, "as many as rewards");
	expect_count(&d, n, "as many as rewards");
	column lv, ld = { 0 }, m = { 0 }, lp = { 0 }, blp = { 0 };
	if (o->last_values)
		lv = read_column(o, o->last_values, dim, f64), expect_count(&lv, E, "one per environment");
	else
		lv = zero_column(E, f64);
	if (o->last_dones)
		ld = read_column(o, o->last_dones, dim, f64), expect_count(&ld, E, "one per environment");
	if (o->mask)
		m = read_column(o, o->mask, dim, f64), expect_count(&m, n, "as many as rewards");
	if (o->params.vtrace) {
		lp = read_column(o, o->logp, dim, f64);
		blp = read_column(o, o->behavior_logp, dim, f64);
		expect_count(&lp, n, "as many as rewards");
		expect_count(&blp, n, "as many as rewards");
		log_ratio(&lp, &blp);
	}
	gae_batch b = {
		.T = T, .E = E, .t_stride = o->batch_major ? 1 : E, .e_stride = o->batch_major ? T : 1,
		.f64 = f64, .reward = r.a.v, .value = v.a.v, .episode_start = d.a.v, .kept = m.a.v,
		.log_rho = lp.a.v, .last_value = lv.a.v, .last_done = ld.a.v,
	};
	check_flags(&b, o);
	void *adv = big_alloc(n, f64);
	void *ret = big_alloc(n, f64);
	gae_batch_compute(&o->params, &b, adv, ret);
	if (o->normalize)
		gae_batch_normalize(&b, adv);
	size_t rows = o->batch_major ? E : T, out_dim = o->batch_major ? T : E;
	if (rows == 0 || out_dim == 0)
		rows = 0, out_dim = E;
	cli_refuse_tty(stdout, io_format_is_binary(o->out_fmt), o->force);
	if (o->returns_out) {
		FILE *fp = cli_fopen_out(o->returns_out);
		write_column(o, fp, o->returns_out, ret, f64, rows, out_dim);
		cli_fclose(fp, o->returns_out);
	}
	write_column(o, stdout, "standard output", adv, f64, rows, out_dim);
	column *all[] = { &r, &v, &d, &lv, &ld, &m, &lp, &blp };
	for (size_t k = 0; k < sizeof all / sizeof *all; k++)
		free_column(all[k]);
	free(adv);
	free(ret);
}

int main(int argc, char **argv)
{
	cli_init("gae");
	options o;
	parse_options(argc, argv, &o);
	if (o.rewards && o.td_target)
		run_td_target_batch(&o);
	else if (o.rewards)
		run_batch(&o);
	else if (o.td_target)
		run_td_target_jsonl(&o);
	else
		run_jsonl(&o);
	cli_close_stdout();
	return 0;
}
