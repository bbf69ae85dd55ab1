/* ppo-loss: policy-gradient losses, KL penalties and value loss of a batch
 * of sequences, with the exact gradient of the aggregated loss with
 * respect to every token's log-probability.  The math is lib/ppo.c; this
 * file reads sequences (JSON Lines, or a binary frame of token columns),
 * and writes the JSON summary and the per-token rows. */
#include <float.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "jsonl.h"
#include "ppo.h"

static const char usage[] =
	"Usage: ppo-loss [OPTIONS] [FILE]            (JSON Lines, one sequence per line)\n"
	"       ppo-loss --columns LIST [OPTIONS] [FILE]   (binary frame, one token per row)\n"
	"The PPO, policy-gradient or Kimi k1.5 loss of a batch, its KL penalty, entropy\n"
	"bonus and value loss, aggregated as verl's agg_loss does; writes one JSON object.\n"
	"\n"
	"  -o, --objective NAME     ppo, pg (-A log pi) or kimi (default ppo)\n"
	"  -c, --clip E             clip range of the ratio, both sides (default 0.2)\n"
	"      --clip-low E         lower side: r >= 1 - E (default --clip)\n"
	"      --clip-high E        upper side: r <= 1 + E (default --clip; DAPO 0.28)\n"
	"      --dual-clip C        cap -A r at -A C when A < 0 (default 0: off; verl 3)\n"
	"  -k, --kl NAME            KL estimator: none, k1, k2, k3, abs (default none)\n"
	"      --kl-clamp NAME      clamps of verl, openrlhf or none (default verl)\n"
	"  -b, --beta B             KL coefficient in the loss (default 0)\n"
	"  -a, --agg MODE           token-mean, seq-mean-token-sum, seq-mean-token-mean,\n"
	"                           seq-mean-token-sum-norm (default token-mean)\n"
	"      --max-len L          the constant L of seq-mean-token-sum-norm\n"
	"      --tau T              Kimi's tau (required with --objective kimi)\n"
	"      --entropy-coef X     loss -= X * entropy (default 0)\n"
	"      --value-clip C       value clip range, 0 for none (default 0.5)\n"
	"      --value-coef X       loss += X * value_loss (default 0)\n"
	"      --normalize-adv      whiten advantages over the batch (CleanRL)\n"
	"      --no-normalize-adv   do not (undoes a preset's)\n"
	"  -p, --preset NAME        verl, trl, openrlhf, cleanrl: that framework's defaults;\n"
	"                           other options still override them\n"
	"      --columns LIST       read a binary frame whose rows are tokens with these\n"
	"                           columns: logp, old_logp, advantage (required), ref_logp,\n"
	"                           mask, seq (sequence id), entropy, value, old_value, return\n"
	"      --per-token F        write per token: contribution to the loss and\n"
	"                           d loss / d logp, in the -O format\n"
	"  -I, --input-format FMT   columns: auto, f32, f64, npy, text (default auto)\n"
	"  -O, --output-format FMT  per-token rows: f32, f64, npy, text, json (default f32);\n"
	"                           f64 also prints the summary with 17 digits\n"
	"  -f, --force              write binary per-token rows to a terminal\n"
	"  -q, --quiet              no progress counter\n"
	CLI_HELP_END
	"\n"
	"JSON Lines fields: arrays \"logp\", \"old_logp\"; \"advantage\" (number or array);\n"
	"optional arrays \"ref_logp\", \"entropy\", \"mask\", \"value\", \"old_value\", \"return\".\n"
	"\n"
	"Example:\n"
	"  ppo-loss --kl k3 --beta 0.04 --agg seq-mean-token-mean rollout.jsonl\n";

/* The columns of the binary frame and the fields of a JSON line. */
enum col { COL_LOGP, COL_OLD_LOGP, COL_ADV, COL_REF, COL_MASK, COL_SEQ,
	COL_ENTROPY, COL_VALUE, COL_OLD_VALUE, COL_RETURN, N_COLS };
static const char *const col_names[] = { "logp", "old_logp", "advantage", "ref_logp",
	"mask", "seq", "entropy", "value", "old_value", "return", NULL };

/* Options given explicitly override the preset, whatever their order. */
enum given { G_OBJECTIVE, G_CLIP, G_CLIP_LOW, G_CLIP_HIGH, G_DUAL, G_KL, G_KL_CLAMP,
	G_BETA, G_AGG, G_MAX_LEN, G_TAU, G_ENTROPY, G_VALUE_CLIP, G_VALUE_COEF, G_NORMALIZE };

typedef struct options {
	ppo_config cfg;     /* the final configuration */
	ppo_config over;    /* values of the options given */
	double clip;
	unsigned long given;
	int preset;         /* -1: none */
	const char *columns, *per_token, *input;
	enum io_format in_fmt, out_fmt;
	int force, quiet;
} options;

enum {
	OPT_CLIP_LOW = 256, OPT_CLIP_HIGH, OPT_DUAL, OPT_KL_CLAMP, OPT_MAX_LEN, OPT_TAU,
	OPT_ENTROPY, OPT_VALUE_CLIP, OPT_VALUE_COEF, OPT_NORMALIZE, OPT_NO_NORMALIZE,
	OPT_COLUMNS, OPT_PER_TOKEN,
};

static const struct option long_options[] = {
	{ "objective", required_argument, NULL, 'o' },
	{ "clip", required_argument, NULL, 'c' },
	{ "clip-low", required_argument, NULL, OPT_CLIP_LOW },
	{ "clip-high", required_argument, NULL, OPT_CLIP_HIGH },
	{ "dual-clip", required_argument, NULL, OPT_DUAL },
	{ "kl", required_argument, NULL, 'k' },
	{ "kl-clamp", required_argument, NULL, OPT_KL_CLAMP },
	{ "beta", required_argument, NULL, 'b' },
	{ "agg", required_argument, NULL, 'a' },
	{ "max-len", required_argument, NULL, OPT_MAX_LEN },
	{ "tau", required_argument, NULL, OPT_TAU },
	{ "entropy-coef", required_argument, NULL, OPT_ENTROPY },
	{ "value-clip", required_argument, NULL, OPT_VALUE_CLIP },
	{ "value-coef", required_argument, NULL, OPT_VALUE_COEF },
	{ "normalize-adv", no_argument, NULL, OPT_NORMALIZE },
	{ "no-normalize-adv", no_argument, NULL, OPT_NO_NORMALIZE },
	{ "preset", required_argument, NULL, 'p' },
	{ "columns", required_argument, NULL, OPT_COLUMNS },
	{ "per-token", required_argument, NULL, OPT_PER_TOKEN },
	CLI_OPTIONS_FORMATS,
	{ "quiet", no_argument, NULL, 'q' },
	CLI_OPTIONS_END,
};

#define GIVEN(o, g) (((o)->given >> (g)) & 1ul)

static double coef(const char *opt, const char *arg)
{
	return cli_double(opt, arg, 0.0, 1e12);
}

/* One option into o->over; returns 0 if c is not a loss option. */
static int parse_loss_option(options *o, int c, const char *arg)
{
	ppo_config *v = &o->over;
	int g;
	switch (c) {
	case 'o': g = G_OBJECTIVE; v->objective = (enum ppo_objective)cli_choice("--objective", arg, ppo_objective_names); break;
	case 'c': g = G_CLIP; o->clip = cli_double("--clip", arg, 0.0, 1e6); break;
	case OPT_CLIP_LOW: g = G_CLIP_LOW; v->clip_low = cli_double("--clip-low", arg, 0.0, 1e6); break;
	case OPT_CLIP_HIGH: g = G_CLIP_HIGH; v->clip_high = cli_double("--clip-high", arg, 0.0, 1e6); break;
	case OPT_DUAL: g = G_DUAL; v->dual_clip = cli_double("--dual-clip", arg, 0.0, 1e12); break;
	case 'k': g = G_KL; v->kl = (enum ppo_kl)cli_choice("--kl", arg, ppo_kl_names); break;
	case OPT_KL_CLAMP: g = G_KL_CLAMP; v->kl_clamp = (enum ppo_kl_clamp)cli_choice("--kl-clamp", arg, ppo_kl_clamp_names); break;
	case 'b': g = G_BETA; v->beta = coef("--beta", arg); break;
	case 'a': g = G_AGG; v->agg = (enum ppo_agg)cli_choice("--agg", arg, ppo_agg_names); break;
	case OPT_MAX_LEN: g = G_MAX_LEN; v->max_len = cli_double("--max-len", arg, 1e-300, 1e15); break;
	case OPT_TAU: g = G_TAU; v->tau = cli_double("--tau", arg, 1e-300, 1e12); break;
	case OPT_ENTROPY: g = G_ENTROPY; v->entropy_coef = coef("--entropy-coef", arg); break;
	case OPT_VALUE_CLIP: g = G_VALUE_CLIP; v->value_clip = cli_double("--value-clip", arg, 0.0, 1e12); break;
	case OPT_VALUE_COEF: g = G_VALUE_COEF; v->value_coef = coef("--value-coef", arg); break;
	case OPT_NORMALIZE: g = G_NORMALIZE; v->normalize_adv = 1; break;
	case OPT_NO_NORMALIZE: g = G_NORMALIZE; v->normalize_adv = 0; break;
	default: return 0;
	}
	o->given |= 1ul << g;
	return 1;
}

/* Preset (or defaults), then every option given. */
static void resolve_config(options *o)
{
	ppo_config *c = &o->cfg;
	const ppo_config *v = &o->over;
	if (o->preset >= 0)
		ppo_config_preset(c, (enum ppo_preset)o->preset);
	else
		ppo_config_default(c);
	if (GIVEN(o, G_OBJECTIVE)) c->objective = v->objective;
	if (GIVEN(o, G_CLIP)) c->clip_low = c->clip_high = o->clip;
	if (GIVEN(o, G_CLIP_LOW)) c->clip_low = v->clip_low;
	if (GIVEN(o, G_CLIP_HIGH)) c->clip_high = v->clip_high;
	if (GIVEN(o, G_DUAL)) c->dual_clip = v->dual_clip;
	if (GIVEN(o, G_KL)) c->kl = v->kl;
	if (GIVEN(o, G_KL_CLAMP)) c->kl_clamp = v->kl_clamp;
	if (GIVEN(o, G_BETA)) c->beta = v->beta;
	if (GIVEN(o, G_AGG)) c->agg = v->agg;
	if (GIVEN(o, G_MAX_LEN)) c->max_len = v->max_len;
	if (GIVEN(o, G_TAU)) c->tau = v->tau;
	if (GIVEN(o, G_ENTROPY)) c->entropy_coef = v->entropy_coef;
	if (GIVEN(o, G_VALUE_CLIP)) c->value_clip = v->value_clip;
	if (GIVEN(o, G_VALUE_COEF)) c->value_coef = v->value_coef;
	if (GIVEN(o, G_NORMALIZE)) c->normalize_adv = v->normalize_adv;
	const char *why = ppo_config_check(c);
	if (why)
		cli_usage_error("%s", why);
}

static void parse_options(int argc, char **argv, options *o)
{
	memset(o, 0, sizeof *o);
	o->preset = -1;
	o->in_fmt = IO_AUTO;
	o->out_fmt = IO_F32;
	int c;
	while ((c = getopt_long(argc, argv, "o:c:k:b:a:p:I:O:fqhV", long_options, NULL)) != -1) {
		if (parse_loss_option(o, c, optarg))
			continue;
		switch (c) {
		case 'p': o->preset = cli_choice("--preset", optarg, ppo_preset_names); break;
		case OPT_COLUMNS: o->columns = optarg; break;
		case OPT_PER_TOKEN: o->per_token = optarg; break;
		case 'I': o->in_fmt = io_format_option("--input-format", optarg, 1); break;
		case 'O': o->out_fmt = io_format_option("--output-format", optarg, 0); break;
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': cli_help(usage);
		case 'V': cli_version();
		default: cli_usage_error("unknown option");
		}
	}
	if (argc - optind > 1)
		cli_usage_error("one input file at most");
	if (o->in_fmt != IO_AUTO && !o->columns)
		cli_usage_error("--input-format applies to --columns input");
	o->input = optind < argc ? argv[optind] : NULL;
	resolve_config(o);
}

/* The optional inputs a loss term with a nonzero coefficient needs. */
static const char *missing_for_config(const ppo_config *c, unsigned fields)
{
	if (c->beta != 0 && !(fields & PPO_HAS_REF))
		return "ref_logp (the KL term, --beta)";
	if (c->entropy_coef != 0 && !(fields & PPO_HAS_ENTROPY))
		return "entropy (--entropy-coef)";
	if (c->value_coef != 0 && !(fields & PPO_HAS_VALUE))
		return "value, old_value and return (--value-coef)";
	return NULL;
}

/* ---- the batch: streamed, or held when every token needs an output ---- */

typedef struct run {
	const options *o;
	const char *name;       /* input name for messages */
	const char *unit;       /* "line" (JSON Lines) or "row" (frame) */
	unsigned fields;
	int buffered;
	ppo_acc acc;
	ppo_token *tokens;
	size_t n_tok, cap_tok;
	size_t *seq_start;      /* buffered: first token of every sequence */
	uint64_t *seq_where;    /* buffered: its line or row, for messages */
	size_t n_seq, cap_seq;
	cli_progress progress;
} run;

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 1024;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			cli_die("input too large");
		n *= 2;
	}
	void *q = realloc(p, n * size);
	if (!q)
		cli_die("out of memory");
	*cap = n;
	return q;
}

static void run_init(run *rn, const options *o, unsigned fields, const char *unit)
{
	memset(rn, 0, sizeof *rn);
	rn->o = o;
	rn->name = o->input && strcmp(o->input, "-") ? o->input : "stdin";
	rn->unit = unit;
	rn->fields = fields;
	rn->buffered = o->per_token != NULL || o->cfg.normalize_adv;
	ppo_acc_init(&rn->acc, &o->cfg, fields);
	cli_progress_start(&rn->progress, "tokens", 0, o->quiet);
}

static void run_token(run *rn, const ppo_token *t)
{
	if (rn->buffered) {
		rn->tokens = grow(rn->tokens, &rn->cap_tok, rn->n_tok + 1, sizeof *rn->tokens);
		rn->tokens[rn->n_tok++] = *t;
	} else {
		rn->n_tok++;
		ppo_acc_token(&rn->acc, t, NULL);
	}
}

/* Tokens of one sequence, streamed into the accumulator or kept. */
static void run_tokens(run *rn, const ppo_cols *c)
{
	if (!rn->buffered) {
		rn->n_tok += c->n;
		ppo_acc_tokens(&rn->acc, c, NULL);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		size_t k = i * c->stride;
#define AT(col, dflt) (c->col ? c->col[k] : (dflt))
		ppo_token tok = {
			.logp = c->logp[k], .old_logp = c->old_logp[k], .adv = c->adv[k],
			.mask = AT(mask, 1.0), .ref_logp = AT(ref_logp, 0.0), .entropy = AT(entropy, 0.0),
			.value = AT(value, 0.0), .old_value = AT(old_value, 0.0), .ret = AT(ret, 0.0),
		};
#undef AT
		run_token(rn, &tok);
	}
}

static noreturn void die_kimi(const run *rn, uint64_t where)
{
	cli_die("%s: %s %" PRIu64 ": --objective kimi needs one advantage per sequence",
		rn->name, rn->unit, where);
}

/* Close the sequence that began at line or row WHERE. */
static void run_end_seq(run *rn, uint64_t where, size_t first_token)
{
	if (rn->buffered) {
		size_t need = rn->n_seq + 2;
		size_t cap = rn->cap_seq;
		rn->seq_start = grow(rn->seq_start, &cap, need, sizeof *rn->seq_start);
		rn->seq_where = grow(rn->seq_where, &rn->cap_seq, need, sizeof *rn->seq_where);
		rn->seq_start[rn->n_seq] = first_token;
		rn->seq_where[rn->n_seq++] = where;
	} else if (ppo_acc_end_seq(&rn->acc, NULL, 0, NULL) < 0) {
		die_kimi(rn, where);
	}
	cli_progress_update(&rn->progress, rn->n_tok);
}

/* The summary; per-token rows into outs when buffered. */
static void run_finish(run *rn, ppo_summary *s, ppo_out **outs)
{
	cli_progress_end(&rn->progress);
	if (rn->acc.sequences == 0 && rn->n_seq == 0)
		cli_die("%s: no sequences in the input", rn->name);
	if (!rn->buffered) {
		ppo_acc_finish(&rn->acc, s);
		return;
	}
	rn->seq_start[rn->n_seq] = rn->n_tok;
	size_t cap = 0;
	*outs = rn->o->per_token ? grow(NULL, &cap, rn->n_tok + 1, sizeof **outs) : NULL;
	ppo_batch b = { rn->tokens, rn->n_tok, rn->seq_start, rn->n_seq, rn->fields };
	size_t bad = 0;
	if (ppo_batch_compute(&rn->o->cfg, &b, s, *outs, NULL, NULL, &bad) < 0)
		die_kimi(rn, rn->seq_where[bad]);
}

static void run_free(run *rn)
{
	free(rn->tokens);
	free(rn->seq_start);
	free(rn->seq_where);
}

/* ---- JSON Lines: one sequence per record ------------------------------ */

typedef struct record {
	size_t n;
	double *col[N_COLS];    /* per-token arrays; NULL when absent */
} record;

static void record_free(record *rec)
{
	for (int k = 0; k < N_COLS; k++)
		free(rec->col[k]);
	memset(rec, 0, sizeof *rec);
}

static void check_rc(jsonl_reader *jr, int rc)
{
	if (rc < 0)
		cli_die("%s", jr->err);
}

/* An optional array field: present iff the first record had it. */
static void record_array(jsonl_reader *jr, record *rec, int k, int first, int expected)
{
	size_t n = 0;
	int rc = jsonl_get_array(jr, col_names[k], !first && expected, &rec->col[k], &n);
	check_rc(jr, rc);
	if (rc == 0 && !first && !expected)
		cli_die("line %" PRIu64 ": field '%s' is present but line 1 had none", jr->lineno, col_names[k]);
	if (rc == 0 && n != rec->n)
		cli_die("line %" PRIu64 ": field '%s' has %zu elements, 'logp' has %zu",
			jr->lineno, col_names[k], n, rec->n);
}

static void record_advantage(jsonl_reader *jr, record *rec)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(jr->obj, "advantage");
	if (item && cJSON_IsArray(item)) {
		size_t n = 0;
		check_rc(jr, jsonl_get_array(jr, "advantage", 1, &rec->col[COL_ADV], &n));
		if (n != rec->n)
			cli_die("line %" PRIu64 ": field 'advantage' has %zu elements, 'logp' has %zu",
				jr->lineno, n, rec->n);
		return;
	}
	/* one advantage for the sequence: every token's */
	double adv;
	check_rc(jr, jsonl_get_number(jr, "advantage", 1, &adv));
	size_t cap = 0;
	rec->col[COL_ADV] = grow(NULL, &cap, rec->n + 1, sizeof *rec->col[COL_ADV]);
	for (size_t t = 0; t < rec->n; t++)
		rec->col[COL_ADV][t] = adv;
}

static unsigned fields_of(const record *rec)
{
	unsigned f = 0;
	if (rec->col[COL_REF])
		f |= PPO_HAS_REF;
	if (rec->col[COL_ENTROPY])
		f |= PPO_HAS_ENTROPY;
	if (rec->col[COL_VALUE])
		f |= PPO_HAS_VALUE;
	return f;
}

static void read_record(jsonl_reader *jr, record *rec, int first, unsigned fields)
{
	size_t n_old = 0;
	check_rc(jr, jsonl_get_array(jr, "logp", 1, &rec->col[COL_LOGP], &rec->n));
	check_rc(jr, jsonl_get_array(jr, "old_logp", 1, &rec->col[COL_OLD_LOGP], &n_old));
	if (n_old != rec->n)
		cli_die("line %" PRIu64 ": field 'old_logp' has %zu elements, 'logp' has %zu",
			jr->lineno, n_old, rec->n);
	record_advantage(jr, rec);
	record_array(jr, rec, COL_REF, first, (fields & PPO_HAS_REF) != 0);
	record_array(jr, rec, COL_ENTROPY, first, (fields & PPO_HAS_ENTROPY) != 0);
	record_array(jr, rec, COL_MASK, 1, 0);
	for (int k = COL_VALUE; k <= COL_RETURN; k++)
		record_array(jr, rec, k, first, (fields & PPO_HAS_VALUE) != 0);
	int n_value = !!rec->col[COL_VALUE] + !!rec->col[COL_OLD_VALUE] + !!rec->col[COL_RETURN];
	if (n_value != 0 && n_value != 3)
		cli_die("line %" PRIu64 ": fields 'value', 'old_value' and 'return' go together", jr->lineno);
}

/* A record's arrays as the columns of one sequence (stride 1). */
static void feed_record(run *rn, const record *rec, uint64_t lineno)
{
	const double *mask = rec->col[COL_MASK];
	for (size_t t = 0; mask && t < rec->n; t++)
		if (mask[t] < 0)
			cli_die("%s: line %" PRIu64 ": field 'mask': element %zu is negative", rn->name, lineno, t);
	size_t first = rn->n_tok;
	ppo_cols c = {
		.n = rec->n, .stride = 1, .logp = rec->col[COL_LOGP],
		.old_logp = rec->col[COL_OLD_LOGP], .adv = rec->col[COL_ADV], .mask = mask,
		.ref_logp = rec->col[COL_REF], .entropy = rec->col[COL_ENTROPY],
		.value = rec->col[COL_VALUE], .old_value = rec->col[COL_OLD_VALUE],
		.ret = rec->col[COL_RETURN],
	};
	run_tokens(rn, &c);
	run_end_seq(rn, lineno, first);
}

static void read_jsonl(FILE *in, run *rn, const options *o)
{
	jsonl_reader jr;
	jsonl_reader_init(&jr, in, o->input && strcmp(o->input, "-") ? o->input : "stdin");
	int rc, first = 1;
	unsigned fields = 0;
	while ((rc = jsonl_next(&jr)) > 0) {
		record rec = { 0 };
		read_record(&jr, &rec, first, fields);
		if (first) {
			fields = fields_of(&rec);
			const char *missing = missing_for_config(&o->cfg, fields);
			if (missing)
				cli_die("%s: line %" PRIu64 ": the input lacks %s", jr.name, jr.lineno, missing);
			run_init(rn, o, fields, "line");
			first = 0;
		}
		feed_record(rn, &rec, jr.lineno);
		record_free(&rec);
	}
	check_rc(&jr, rc);
	if (first)
		run_init(rn, o, fields, "line");
	jsonl_reader_free(&jr);
}

/* ---- the binary frame: one token per row ------------------------------ */

typedef struct layout {
	int index[N_COLS];  /* column of each name in a row, -1 if absent */
	size_t dim;
	unsigned fields;
} layout;

static void parse_columns(const char *list, layout *l)
{
	for (int k = 0; k < N_COLS; k++)
		l->index[k] = -1;
	l->dim = 0;
	const char *p = list;
	for (;;) {
		size_t len = strcspn(p, ",");
		int k;
		for (k = 0; col_names[k]; k++)
			if (strlen(col_names[k]) == len && strncmp(col_names[k], p, len) == 0)
				break;
		if (!col_names[k])
			cli_usage_error("--columns: unknown column '%.*s' (logp, old_logp, advantage, ref_logp, "
				"mask, seq, entropy, value, old_value, return)", (int)len, p);
		if (l->index[k] >= 0)
			cli_usage_error("--columns: column '%s' given twice", col_names[k]);
		l->index[k] = (int)l->dim++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	for (int k = COL_LOGP; k <= COL_ADV; k++)
		if (l->index[k] < 0)
			cli_usage_error("--columns: column '%s' is required", col_names[k]);
	int n_value = (l->index[COL_VALUE] >= 0) + (l->index[COL_OLD_VALUE] >= 0) + (l->index[COL_RETURN] >= 0);
	if (n_value != 0 && n_value != 3)
		cli_usage_error("--columns: value, old_value and return go together");
	l->fields = (l->index[COL_REF] >= 0 ? PPO_HAS_REF : 0u)
		| (l->index[COL_ENTROPY] >= 0 ? PPO_HAS_ENTROPY : 0u)
		| (n_value ? PPO_HAS_VALUE : 0u);
}

enum { CHUNK_ROWS = 16384 };

/* A chunk of rows as read: doubles, or the frame's own float32 when no
 * token is kept (the accumulator then reads them in place, with no
 * conversion pass). */
typedef struct chunk {
	const double *d;
	const float *f;
	size_t dim;
} chunk;

static double chunk_at(const chunk *c, size_t row, int col)
{
	size_t k = row * c->dim + (size_t)col;
	return c->f ? c->f[k] : c->d[k];
}

/* Rows [0, n) of buf as strided columns: a ppo_cols over doubles or a
 * ppo_cols_f32 over float32, whose fields are the same. */
#define COL_AT(l, buf, k) ((l)->index[k] >= 0 ? (buf) + (l)->index[k] : NULL)
#define COLS_OF_ROWS(type, l, buf, n_rows) ((type){ \
	.n = (n_rows), .stride = (l)->dim, .logp = COL_AT(l, buf, COL_LOGP), \
	.old_logp = COL_AT(l, buf, COL_OLD_LOGP), .adv = COL_AT(l, buf, COL_ADV), \
	.mask = COL_AT(l, buf, COL_MASK), .ref_logp = COL_AT(l, buf, COL_REF), \
	.entropy = COL_AT(l, buf, COL_ENTROPY), .value = COL_AT(l, buf, COL_VALUE), \
	.old_value = COL_AT(l, buf, COL_OLD_VALUE), .ret = COL_AT(l, buf, COL_RETURN) })

/* Rows [i, j) of the chunk: one run of a sequence. */
static void chunk_tokens(run *rn, const layout *l, const chunk *c, size_t i, size_t j)
{
	if (c->f) {
		ppo_cols_f32 cf = COLS_OF_ROWS(ppo_cols_f32, l, c->f + i * c->dim, j - i);
		rn->n_tok += cf.n;
		ppo_acc_tokens_f32(&rn->acc, &cf);
	} else {
		ppo_cols cd = COLS_OF_ROWS(ppo_cols, l, c->d + i * c->dim, j - i);
		run_tokens(rn, &cd);
	}
}

typedef struct frame_pos {
	uint64_t row;        /* rows read before the chunk */
	uint64_t seq_row;    /* first row of the current sequence */
	size_t seq_first;    /* its first token */
	double seq_id;
} frame_pos;

/* Split a chunk of rows into runs of one sequence id. */
static void feed_chunk(run *rn, const layout *l, const chunk *c, size_t got, frame_pos *p)
{
	int seq_col = l->index[COL_SEQ], mask_col = l->index[COL_MASK];
	for (size_t i = 0; mask_col >= 0 && i < got; i++)
		if (chunk_at(c, i, mask_col) < 0)
			cli_die("%s: row %" PRIu64 ": mask %g is negative", rn->name, p->row + i,
				chunk_at(c, i, mask_col));
	size_t i = 0;
	while (i < got) {
		size_t j = got;
		if (seq_col >= 0) {
			double id = chunk_at(c, i, seq_col);
			if (p->row + i > 0 && id != p->seq_id) {
				run_end_seq(rn, p->seq_row, p->seq_first);
				p->seq_row = p->row + i;
				p->seq_first = rn->n_tok;
			}
			p->seq_id = id;
			for (j = i + 1; j < got && chunk_at(c, j, seq_col) == id; j++)
				;
		}
		chunk_tokens(rn, l, c, i, j);
		i = j;
	}
	p->row += got;
}

/* Rows of the frame; a new sequence starts where the seq column changes. */
static void read_frame(FILE *in, run *rn, const options *o, const layout *l)
{
	io_reader r;
	if (io_reader_open(&r, in, rn->name, o->in_fmt, l->dim) != 0)
		cli_die("%s", r.err);
	int narrow = !rn->buffered && (r.fmt == IO_F32 || (r.fmt == IO_NPY && r.elem_size == 4));
	size_t elem = narrow ? sizeof(float) : sizeof(double);
	void *buf = malloc(CHUNK_ROWS * l->dim * elem);
	if (!buf)
		cli_die("out of memory");
	chunk c = { narrow ? NULL : buf, narrow ? buf : NULL, l->dim };
	frame_pos pos = { 0 };
	long got;
	while ((got = narrow ? io_read_rows_f32(&r, buf, CHUNK_ROWS) : io_read_rows(&r, buf, CHUNK_ROWS)) > 0) {
		feed_chunk(rn, l, &c, (size_t)got, &pos);
		cli_progress_update(&rn->progress, pos.row);
	}
	if (got < 0)
		cli_die("%s", r.err);
	if (pos.row > 0)
		run_end_seq(rn, pos.seq_row, pos.seq_first);
	free(buf);
	io_reader_close(&r);
}

/* ---- output ----------------------------------------------------------- */

/* A number the output can carry: finite, and within float32's range
 * unless it is written as float64. */
static int representable(double v, int f64)
{
	return isfinite(v) && (f64 || fabs(v) <= FLT_MAX);
}

static noreturn void die_unrepresentable(const char *name, const char *what, int f64)
{
	cli_die("%s: %s %s", name, what, f64 ? "is not finite: the inputs are too large"
		: "does not fit float32 (try -O f64)");
}

typedef struct summary_field {
	const char *name;
	double v;
	int defined;    /* else null */
} summary_field;

enum { N_SUMMARY = 15 };

static void summary_fields(const ppo_summary *s, summary_field f[N_SUMMARY])
{
	int ratios = s->tokens > 0;
	summary_field all[N_SUMMARY] = {
		{ "loss", s->loss, 1 }, { "pg_loss", s->pg_loss, 1 },
		{ "kl", s->kl, s->has_kl }, { "entropy", s->entropy, s->has_entropy },
		{ "value_loss", s->value_loss, s->has_value },
		{ "clipfrac", s->clipfrac, 1 }, { "clipfrac_low", s->clipfrac_low, 1 },
		{ "clipfrac_high", s->clipfrac_high, 1 }, { "clipfrac_dual", s->clipfrac_dual, 1 },
		{ "vf_clipfrac", s->vf_clipfrac, s->has_value },
		{ "approx_kl", s->approx_kl, 1 }, { "ppo_kl", s->ppo_kl, 1 },
		{ "ratio_min", s->ratio_min, ratios }, { "ratio_mean", s->ratio_mean, ratios },
		{ "ratio_max", s->ratio_max, ratios },
	};
	memcpy(f, all, sizeof all);
}

/* Every number is checked before anything is written. */
static void check_summary(const run *rn, const ppo_summary *s, int f64)
{
	summary_field f[N_SUMMARY];
	summary_fields(s, f);
	for (int i = 0; i < N_SUMMARY; i++)
		if (f[i].defined && !representable(f[i].v, f64)) {
			char what[64];
			snprintf(what, sizeof what, "'%s'", f[i].name);
			die_unrepresentable(rn->name, what, f64);
		}
}

static void write_summary(const ppo_summary *s, int f64)
{
	summary_field f[N_SUMMARY];
	summary_fields(s, f);
	putchar('{');
	for (int i = 0; i < N_SUMMARY; i++) {
		char num[64] = "null";
		if (f[i].defined)
			io_format_number(num, sizeof num, f[i].v, f64);
		printf("\"%s\": %s, ", f[i].name, num);
	}
	printf("\"tokens\": %" PRIu64 ", \"sequences\": %" PRIu64 "}\n", s->tokens, s->sequences);
}

static void check_per_token(const run *rn, const ppo_summary *s, const ppo_out *outs,
	size_t n, int f64)
{
	for (size_t t = 0; t < n; t++) {
		double c, g;
		ppo_out_final(s, &outs[t], &c, &g);
		if (!representable(c, f64) || !representable(g, f64)) {
			char what[64];
			snprintf(what, sizeof what, "the output of token %zu", t);
			die_unrepresentable(rn->name, what, f64);
		}
	}
}

static void write_per_token(FILE *fp, const char *path, const options *o,
	const ppo_summary *s, const ppo_out *outs, size_t n)
{
	io_writer w;
	if (io_writer_open(&w, fp, path, o->out_fmt, 2, (int64_t)n) != 0)
		cli_die("%s", w.err);
	w.text_f64 = w.npy_f64 = o->out_fmt == IO_F64;
	double rows[2 * 1024];
	for (size_t t = 0; t < n;) {
		size_t k = 0;
		for (; k < 1024 && t < n; k++, t++)
			ppo_out_final(s, &outs[t], &rows[2 * k], &rows[2 * k + 1]);
		if (io_write_rows(&w, rows, k) != 0)
			cli_die("%s", w.err);
	}
	if (io_writer_close(&w) != 0)
		cli_die("%s", w.err);
}

int main(int argc, char **argv)
{
	cli_init("ppo-loss");
	options o;
	parse_options(argc, argv, &o);
	layout l = { .dim = 0 };
	if (o.columns) {
		parse_columns(o.columns, &l);
		const char *missing = missing_for_config(&o.cfg, l.fields);
		if (missing)
			cli_usage_error("--columns lacks %s", missing);
	}
	FILE *in = cli_fopen_in(o.input);
	cli_widen_pipe(in);
	FILE *per_token = NULL;
	if (o.per_token) {
		per_token = cli_fopen_out(o.per_token);
		cli_refuse_tty(per_token, io_format_is_binary(o.out_fmt), o.force);
	}
	run rn;
	if (o.columns) {
		run_init(&rn, &o, l.fields, "row");
		read_frame(in, &rn, &o, &l);
	} else {
		read_jsonl(in, &rn, &o);
	}
	ppo_summary s;
	ppo_out *outs = NULL;
	run_finish(&rn, &s, &outs);
	int f64 = o.out_fmt == IO_F64;
	check_summary(&rn, &s, f64);
	if (per_token)
		check_per_token(&rn, &s, outs, rn.n_tok, f64);
	if (per_token) {
		write_per_token(per_token, o.per_token, &o, &s, outs, rn.n_tok);
		cli_fclose(per_token, o.per_token);
	}
	write_summary(&s, f64);
	free(outs);
	run_free(&rn);
	if (in != stdin)
		fclose(in);
	cli_close_stdout();
	return 0;
}
