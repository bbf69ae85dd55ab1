/* grpo-adv: group-relative advantages for LLM reinforcement learning.
 *
 * Reads a rollout log (JSON Lines, one completion per line) or, with
 * --group-size, contiguous float32 rewards; writes the same lines with the
 * advantage appended.  The math is lib/grpo.c; this file reads, checks and
 * writes.  See grpo-adv(1) and grpo(7).
 *
 * Speed (tests/bench/grpo-adv.sh): a cJSON tree per line costs more than
 * everything else put together, so records are checked by a validating
 * scanner (RFC 8259 grammar, depth limit as lib/jsonl.c) that keeps only
 * the spans of the fields we use; every other byte is passed through
 * untouched.  Groups are keyed by the raw JSON text of their value in a
 * hash table.  Output is assembled in one buffer, with a printf-free
 * float32 formatter that prints exactly what "%.9g" prints. */
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
#include <sys/mman.h>
#include <sys/stat.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "cli.h"
#include "grpo.h"
#include "io.h"
#include "jsonl.h"

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
		{ "input-format", required_argument, NULL, 'I' },
		{ "output-format", required_argument, NULL, 'O' },
		{ "force", no_argument, NULL, 'f' },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
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
	const char *inputs[] = { c->group_field, c->reward_field, c->length_field, c->correct_field,
		c->step_rewards_field, c->step_ends_field };
	for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++)
		if (strcmp(inputs[k], c->out_field) == 0)
			cli_usage_error("--advantage-field '%s' is also a field read", c->out_field);
	const char *names[] = { c->group_field, c->reward_field, c->length_field, c->correct_field,
		c->step_rewards_field, c->step_ends_field, c->out_field };
	for (size_t k = 0; k < sizeof names / sizeof *names; k++)
		if (*names[k] == '\0')
			cli_usage_error("field names must not be empty");
}

/* ---- memory ------------------------------------------------------------- */

/* Make room for need elements of size elem in *p (capacity *cap), growing
 * geometrically; sizes are checked for overflow before allocating. */
static void reserve(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp;
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap : 1024;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			cli_die("input too large");
		n *= 2;
	}
	if (n > SIZE_MAX / elem)
		cli_die("input too large");
	void *grown = realloc(*p, n * elem);
	if (!grown)
		cli_die("out of memory (%zu bytes)", n * elem);
	*p = grown;
	*cap = n;
}

/* ---- input: whole files in memory --------------------------------------- */

typedef struct source {
	const char *name;    /* NULL for standard input */
	char *buf;           /* len bytes */
	size_t len;
	void *map;           /* a regular file's mapping, else NULL */
	size_t map_len;
} source;

/* The whole input in memory: a regular file is mapped, anything else read.
 * No NUL terminator is needed: every number the scanner accepts sits
 * inside an object, so a closing brace follows it on its line. */
static void read_source(source *s, const char *path)
{
	FILE *fp = cli_fopen_in(path);
	const char *label = fp == stdin ? "stdin" : path;
	*s = (source){ .name = fp == stdin ? NULL : path };
	struct stat st;
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0
	    && (uintmax_t)st.st_size < SIZE_MAX) {
		off_t at = ftello(fp);
		void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(fp), 0);
		if (map != MAP_FAILED && at >= 0 && at <= st.st_size) {
			s->buf = (char *)map + at;
			s->len = (size_t)(st.st_size - at);
			s->map = map;
			s->map_len = (size_t)st.st_size;
			if (fp != stdin)
				fclose(fp);
			return;
		}
		if (map != MAP_FAILED)
			munmap(map, (size_t)st.st_size);
	}
	size_t cap = 0;
	for (;;) {
		reserve(&s->buf, &cap, s->len + 65536, 1);
		size_t got = fread(s->buf + s->len, 1, cap - s->len, fp);
		s->len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp))
		cli_die("read error: %s: %s", label, strerror(errno));
	if (fp != stdin)
		fclose(fp);
}

static void release_source(source *s)
{
	if (s->map)
		munmap(s->map, s->map_len);
	else
		free(s->buf);
}

/* ---- the validating scanner ---------------------------------------------- */

#define MAX_DEPTH 64  /* as lib/jsonl.c's default nesting limit */

enum vtype { V_STRING = 1, V_NUMBER, V_TRUE, V_FALSE, V_NULL, V_ARRAY, V_OBJECT };

typedef struct field_ref {
	const char *name;
	size_t name_len;
	const char *val;      /* NULL when absent */
	size_t val_len;
	enum vtype type;
	struct field_ref *alias;  /* another wanted field of the same name */
} field_ref;

typedef struct scanner {
	const char *end;      /* end of the line being scanned */
	const char *bad;      /* where the line went wrong */
	const char *why;      /* what went wrong */
	field_ref *fields;
	size_t n_fields;
	field_ref *by_key[32];  /* the wanted names by key_slot */
	const char *dup;      /* a wanted field given twice */
} scanner;

#define KEY_SLOTS 32

/* Where a key of n bytes starting with c is looked up (n > 0). */
static size_t key_slot(size_t n, char c)
{
	return (n * 7 + (unsigned char)c) % KEY_SLOTS;
}

/* The scanner's leaf functions are forced inline into the object and
 * value loops: the calls cost more than the work on short keys. */
#define HOT inline __attribute__((always_inline))

/* The scanner's functions take the cursor and return the cursor after
 * what they read, or NULL with s->bad and s->why set. */
static const char *fail_at(scanner *s, const char *at, const char *why)
{
	s->bad = at;
	s->why = why;
	return NULL;
}

/* Bytes that end the plain run of a string: '"', '\\' and controls. */
static unsigned char string_stop[256];

static void init_tables(void)
{
	for (int c = 0; c < 256; c++)
		string_stop[c] = c < 0x20 || c == '"' || c == '\\';
}

static HOT const char *skip_ws(const char *p, const char *end)
{
	/* the usual case first: no blank at all */
	if (p < end && (unsigned char)*p > ' ')
		return p;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The plain run of a string from p: sixteen bytes at a time with SSE2,
 * eight at a time where the byte order allows (the "haszero" and "hasless" bit tricks of Sean
 * Anderson's Bit Twiddling Hacks; the lowest flagged byte is exact). */
static HOT const char *skip_plain(const char *p, const char *end)
{
#if defined(__SSE2__)
	/* sixteen at a time: '"', '\\', or a byte <= 0x1f (max(b, 0x1f) == 0x1f) */
	const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\');
	const __m128i control = _mm_set1_epi8(0x1f);
	while (end - p >= 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, quote), _mm_cmpeq_epi8(w, slash)),
			_mm_cmpeq_epi8(_mm_max_epu8(w, control), control));
		int mask = _mm_movemask_epi8(stop);
		if (mask)
			return p + __builtin_ctz((unsigned)mask);
		p += 16;
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	while (end - p >= 8) {
		uint64_t w;
		memcpy(&w, p, sizeof w);
		uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
		uint64_t stop = ((quote - ones) & ~quote) | ((slash - ones) & ~slash)
			| ((w - ones * 0x20) & ~w);
		stop &= highs;
		if (stop)
			return p + (__builtin_ctzll(stop) >> 3);
		p += 8;
	}
#endif
	while (p < end && !string_stop[(unsigned char)*p])
		p++;
	return p;
}

/* A string at p (a '"'); *escaped is set when it holds escapes. */
static HOT const char *scan_string(scanner *s, const char *p, int *escaped)
{
	const char *end = s->end;
	for (p++;;) {
		p = skip_plain(p, end);
		if (p >= end)
			return fail_at(s, p, "unterminated string");
		if (*p == '"')
			return p + 1;
		if (*p != '\\')
			return fail_at(s, p, "control character in a string");
		*escaped = 1;
		if (p + 1 >= end)
			return fail_at(s, p, "unterminated string");
		if (p[1] != '\0' && strchr("\"\\/bfnrt", p[1])) {
			p += 2;
		} else if (p[1] == 'u') {
			for (int k = 2; k < 6; k++)
				if (p + k >= end || hex_value(p[k]) < 0)
					return fail_at(s, p, "bad \\u escape");
			p += 6;
		} else {
			return fail_at(s, p, "bad escape");
		}
	}
}

static HOT const char *skip_digits(const char *p, const char *end)
{
	while (p < end && is_digit(*p))
		p++;
	return p;
}

/* RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static HOT const char *scan_number(scanner *s, const char *p)
{
	const char *start = p, *end = s->end;
	if (*p == '-')
		p++;
	if (p < end && *p == 'I')
		return fail_at(s, start, "NaN and Infinity are not JSON numbers");
	if (p >= end || !is_digit(*p))
		return fail_at(s, p, "invalid number");
	p = *p == '0' ? p + 1 : skip_digits(p, end);
	if (p < end && *p == '.') {
		if (++p >= end || !is_digit(*p))
			return fail_at(s, p, "invalid number");
		p = skip_digits(p, end);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return fail_at(s, p, "invalid number");
		p = skip_digits(p, end);
	}
	return p;
}

static HOT const char *scan_literal(scanner *s, const char *p, const char *word, size_t n)
{
	if ((size_t)(s->end - p) < n || memcmp(p, word, n) != 0)
		return fail_at(s, p, "invalid literal");
	return p + n;
}

static const char *scan_value(scanner *s, const char *p, int depth, enum vtype *type);

static const char *scan_array(scanner *s, const char *p, int depth)
{
	enum vtype t;
	p = skip_ws(p + 1, s->end);
	if (p < s->end && *p == ']')
		return p + 1;
	for (;;) {
		if (!(p = scan_value(s, p, depth + 1, &t)))
			return NULL;
		p = skip_ws(p, s->end);
		if (p < s->end && *p == ',')
			p = skip_ws(p + 1, s->end);
		else if (p < s->end && *p == ']')
			return p + 1;
		else
			return fail_at(s, p, "expected ',' or ']'");
	}
}

/* Decode an escaped key into out (UTF-8); -1 if it does not fit. */
static long unescape_key(const char *k, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o + 4 > cap)
			return -1;
		if (k[i] != '\\') {
			out[o++] = k[i];
			continue;
		}
		char e = k[++i];
		const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
		if (e != 'u') {
			out[o++] = to[strchr(from, e) - from];
			continue;
		}
		unsigned long cp = 0;
		for (int d = 1; d <= 4; d++)
			cp = cp * 16 + (unsigned long)hex_value(k[i + (size_t)d]);
		i += 4;
		if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < n && k[i + 1] == '\\' && k[i + 2] == 'u') {
			unsigned long lo = 0;
			for (int d = 3; d <= 6; d++)
				lo = lo * 16 + (unsigned long)hex_value(k[i + (size_t)d]);
			if (lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
		}
		if (cp < 0x80) {
			out[o++] = (char)cp;
		} else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | (cp >> 6));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xe0 | (cp >> 12));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[o++] = (char)(0xf0 | (cp >> 18));
			out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	return (long)o;
}

/* memcmp(a, b, n) == 0 for the short keys of a record, without a call:
 * whole words, the last one overlapping the one before. */
static HOT int same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t wa, wb;
	uint32_t ha, hb;
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8) {
			memcpy(&wa, a + i, 8);
			memcpy(&wb, b + i, 8);
			if (wa != wb)
				return 0;
		}
		memcpy(&wa, a + n - 8, 8);
		memcpy(&wb, b + n - 8, 8);
		return wa == wb;
	}
	if (n >= 4) {
		memcpy(&ha, a, 4);
		memcpy(&hb, b, 4);
		if (ha != hb)
			return 0;
		memcpy(&ha, a + n - 4, 4);
		memcpy(&hb, b + n - 4, 4);
		return ha == hb;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* Which wanted field a top-level key names, or NULL. */
static HOT field_ref *match_key(scanner *s, const char *key, size_t n, int escaped)
{
	char plain[1024];
	if (escaped) {
		long got = unescape_key(key, n, plain, sizeof plain);
		if (got < 0)
			return NULL;
		key = plain;
		n = (size_t)got;
	}
	if (n == 0)
		return NULL;
	for (size_t j = key_slot(n, key[0]);; j = (j + 1) % KEY_SLOTS) {
		field_ref *f = s->by_key[j];
		if (!f)
			return NULL;
		if (f->name_len == n && same_bytes(f->name, key, n))
			return f;
	}
}

/* Index the wanted names by key_slot.  Two options may name the same
 * field (--length-field reward): the second becomes an alias of the first
 * and receives the same value. */
static void index_fields(scanner *s)
{
	memset(s->by_key, 0, sizeof s->by_key);
	for (size_t k = 0; k < s->n_fields; k++) {
		field_ref *f = &s->fields[k];
		f->alias = NULL;
		size_t j = key_slot(f->name_len, f->name[0]);
		while (s->by_key[j] && !(s->by_key[j]->name_len == f->name_len
		       && memcmp(s->by_key[j]->name, f->name, f->name_len) == 0))
			j = (j + 1) % KEY_SLOTS;
		if (!s->by_key[j]) {
			s->by_key[j] = f;
		} else {
			field_ref *last = s->by_key[j];
			while (last->alias)
				last = last->alias;
			last->alias = f;
		}
	}
}

static const char *scan_object(scanner *s, const char *p, int depth)
{
	enum vtype t;
	const char *end = s->end;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		int escaped = 0;
		if (p >= end || *p != '"')
			return fail_at(s, p, "expected a key");
		const char *key = p + 1;
		if (!(p = scan_string(s, p, &escaped)))
			return NULL;
		field_ref *want = depth == 1 ? match_key(s, key, (size_t)(p - 1 - key), escaped) : NULL;
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return fail_at(s, p, "expected ':'");
		const char *val = p = skip_ws(p + 1, end);
		/* scalars inline, containers by the recursive call */
		if (p < end && *p == '"') {
			t = V_STRING;
			p = scan_string(s, p, &escaped);
		} else if (p < end && (is_digit(*p) || *p == '-')) {
			t = V_NUMBER;
			p = scan_number(s, p);
		} else {
			p = scan_value(s, p, depth + 1, &t);
		}
		if (!p)
			return NULL;
		for (; want; want = want->alias) {
			if (want->val && !s->dup)
				s->dup = want->name;
			want->val = val;
			want->val_len = (size_t)(p - val);
			want->type = t;
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
		else if (p < end && *p == '}')
			return p + 1;
		else
			return fail_at(s, p, "expected ',' or '}'");
	}
}

static const char *scan_value(scanner *s, const char *p, int depth, enum vtype *type)
{
	if (p >= s->end)
		return fail_at(s, p, "unexpected end of line");
	if (depth > MAX_DEPTH)
		return fail_at(s, p, "nested deeper than 64 levels");
	int escaped;
	switch (*p) {
	case '"': *type = V_STRING; return scan_string(s, p, &escaped);
	case '{': *type = V_OBJECT; return scan_object(s, p, depth);
	case '[': *type = V_ARRAY; return scan_array(s, p, depth);
	case 't': *type = V_TRUE; return scan_literal(s, p, "true", 4);
	case 'f': *type = V_FALSE; return scan_literal(s, p, "false", 5);
	case 'n': *type = V_NULL; return scan_literal(s, p, "null", 4);
	case 'N': case 'I': return fail_at(s, p, "NaN and Infinity are not JSON numbers");
	default:
		if (*p == '-' || is_digit(*p)) {
			*type = V_NUMBER;
			return scan_number(s, p);
		}
		return fail_at(s, p, "invalid JSON");
	}
}

/* One line: a JSON object and nothing after it but blanks. */
static int scan_record(scanner *s, const char *line, size_t len)
{
	enum vtype t;
	s->end = line + len;
	s->dup = NULL;
	for (size_t k = 0; k < s->n_fields; k++)
		s->fields[k].val = NULL;
	const char *p = skip_ws(line, s->end);
	if (p >= s->end || *p != '{')
		return fail_at(s, p, "not a JSON object"), -1;
	if (!(p = scan_value(s, p, 1, &t)))
		return -1;
	p = skip_ws(p, s->end);
	if (p != s->end)
		return fail_at(s, p, "text after the JSON value"), -1;
	return 0;
}

/* ---- numbers ------------------------------------------------------------- */

static const double exact_pow10[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* A number already checked against the JSON grammar.  Clinger's fast path:
 * up to 15 significant digits and a power of ten up to 22 are both exact
 * in double, so one multiplication or division rounds correctly; anything
 * else goes to strtod. */
static double parse_number(const char *p)
{
	const char *q = p;
	int neg = *q == '-';
	q += neg;
	uint64_t mant = 0;
	int digits = 0, exp10 = 0;
	for (; is_digit(*q); q++)
		if (mant || *q != '0') {
			mant = mant * 10 + (uint64_t)(*q - '0');
			if (++digits > 15)
				return strtod(p, NULL);
		}
	if (*q == '.')
		for (q++; is_digit(*q); q++) {
			exp10--;
			if (mant || *q != '0') {
				mant = mant * 10 + (uint64_t)(*q - '0');
				if (++digits > 15)
					return strtod(p, NULL);
			}
		}
	if (*q == 'e' || *q == 'E')
		return strtod(p, NULL);
	double v = (double)mant;
	if (exp10 < -22)
		return strtod(p, NULL);
	if (exp10 < 0)
		v /= exact_pow10[-exp10];
	return neg ? -v : v;
}

static const uint64_t pow10_u64[20] = {
	1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
	1000000000u, 10000000000u, 100000000000u, 1000000000000u,
	10000000000000u, 100000000000000u, 1000000000000000u,
	10000000000000000u, 100000000000000000u, 1000000000000000000u,
	10000000000000000000u
};

/* 10^p for 0 <= p <= 38 as a 128-bit integer. */
static unsigned __int128 pow10_u128(int p)
{
	if (p <= 19)
		return pow10_u64[p];
	return (unsigned __int128)pow10_u64[19] * pow10_u64[p - 19];
}

/* printf("%.9g", (float)v) without printf, for the hot loop: the float is
 * m 2^e2 exactly; scale by 10^(8-k) in 128-bit integers and round half to
 * even, as glibc does with the exact value.  Outside 1e-22 .. 1e9 (or for
 * subnormals) it calls io_format_number, the definition of the format. */
static size_t format_f32(double value, char *out)
{
	float f = (float)value;
	uint32_t bits;
	memcpy(&bits, &f, sizeof bits);
	uint32_t exp_bits = (bits >> 23) & 0xff, frac = bits & 0x7fffff;
	double a = fabs((double)f);
	if (exp_bits == 0 || exp_bits == 0xff || a < 1e-22 || a >= 1e9)
		return (size_t)io_format_number(out, 40, value, 0);
	char *o = out;
	if (bits >> 31)
		*o++ = '-';
	unsigned __int128 m = frac | 0x800000u, q = 0;
	int e2 = (int)exp_bits - 150;
	/* floor(log10 a) from the binary exponent, then one compare; the loop
	 * below corrects the rare miss next to a power of ten */
	int k = (int)floor((double)(e2 + 23) * 0.30102999566398120);
	if (k + 1 <= 22 && k + 1 >= -22 && a >= (k + 1 >= 0 ? exact_pow10[k + 1] : 1.0 / exact_pow10[-(k + 1)]))
		k++;
	for (int tries = 0;; tries++) {
		int p = 8 - k;
		if (tries > 3 || p < 0 || p > 31 || e2 < -127)
			return (size_t)io_format_number(out, 40, value, 0);
		if (p <= 12 && e2 < 0 && e2 > -64) {
			/* m 10^p < 2^24 10^12 < 2^64: the same in 64 bits */
			uint64_t n = (uint64_t)m * pow10_u64[p], q64 = n >> -e2;
			uint64_t rem = n - (q64 << -e2), half = (uint64_t)1 << (-e2 - 1);
			q = q64 + (rem > half || (rem == half && (q64 & 1)));
		} else {
			unsigned __int128 n = m * pow10_u128(p);
			if (e2 >= 0) {
				q = n << e2;
			} else {
				int sh = -e2;
				q = n >> sh;
				unsigned __int128 rem = n - (q << sh), half = (unsigned __int128)1 << (sh - 1);
				if (rem > half || (rem == half && (q & 1)))
					q++;
			}
		}
		if (q < 100000000u)
			k--;
		else if (q >= 1000000000u)
			k++;
		else
			break;
	}
	/* the nine digits: one, then four pairs */
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	uint32_t q32 = (uint32_t)q, rest = q32 % 100000000u, hi = rest / 10000, lo = rest % 10000;
	char d[9];
	d[0] = (char)('0' + q32 / 100000000u);
	memcpy(d + 1, pairs + 2 * (hi / 100), 2);
	memcpy(d + 3, pairs + 2 * (hi % 100), 2);
	memcpy(d + 5, pairs + 2 * (lo / 100), 2);
	memcpy(d + 7, pairs + 2 * (lo % 100), 2);
	int nd = 9;
	while (nd > 1 && d[nd - 1] == '0')
		nd--;
	if (k < -4 || k >= 9) {
		*o++ = d[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, d + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		int ax = k < 0 ? -k : k;
		*o++ = 'e';
		*o++ = k < 0 ? '-' : '+';
		*o++ = (char)('0' + ax / 10);
		*o++ = (char)('0' + ax % 10);
	} else if (k >= 0) {
		memcpy(o, d, (size_t)k + 1);
		o += k + 1;
		if (nd > k + 1) {
			*o++ = '.';
			memcpy(o, d + k + 1, (size_t)(nd - k - 1));
			o += nd - k - 1;
		}
	} else {
		*o++ = '0';
		*o++ = '.';
		for (int i = 0; i < -k - 1; i++)
			*o++ = '0';
		memcpy(o, d, (size_t)nd);
		o += nd;
	}
	*o = '\0';
	return (size_t)(o - out);
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
	const source *src;
	uint64_t lineno;
} where;

/* "FILE: line N: message" (no FILE for standard input), exit 1. */
static void die_at(where at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void die_at(where at, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (at.src->name)
		cli_die("%s: line %" PRIu64 ": %s", at.src->name, at.lineno, msg);
	cli_die("line %" PRIu64 ": %s", at.lineno, msg);
}

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* The records of all sources in order: every line that is not blank.  The
 * reading pass and the writing pass walk the same cursor, so the batch
 * keeps no pointers to the lines. */
typedef struct line_cursor {
	const source *srcs;
	size_t n_src, f;
	const char *p;
	where at;
} line_cursor;

static void cursor_start(line_cursor *cur, const source *srcs, size_t n_src)
{
	*cur = (line_cursor){ .srcs = srcs, .n_src = n_src, .p = n_src ? srcs[0].buf : NULL,
		.at = { n_src ? &srcs[0] : NULL, 0 } };
}

/* The next record: 1 with *line and *len set (cur->at says where), 0 at
 * the end. */
static int next_record(line_cursor *cur, const char **line, size_t *len)
{
	while (cur->f < cur->n_src) {
		const char *end = cur->srcs[cur->f].buf + cur->srcs[cur->f].len;
		while (cur->p < end) {
			const char *nl = memchr(cur->p, '\n', (size_t)(end - cur->p));
			*line = cur->p;
			*len = (size_t)((nl ? nl : end) - cur->p);
			cur->p = nl ? nl + 1 : end;
			cur->at.lineno++;
			if (**line == '{' || !blank(*line, *len))
				return 1;
		}
		if (++cur->f < cur->n_src) {
			cur->p = cur->srcs[cur->f].buf;
			cur->at = (where){ &cur->srcs[cur->f], 0 };
		}
	}
	return 0;
}

/* Where record i is, for a message found after reading. */
static where locate(const source *srcs, size_t n_src, size_t i)
{
	line_cursor cur;
	const char *line;
	size_t len;
	cursor_start(&cur, srcs, n_src);
	for (size_t k = 0; k <= i && next_record(&cur, &line, &len); k++)
		;
	return cur.at;
}

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

/* ---- the group table: open addressing on the group's JSON text ---------- */

typedef struct group_slot {
	const char *text;        /* NULL: empty */
	size_t len;
	uint64_t hash;
	size_t id;
} group_slot;

typedef struct group_table {
	group_slot *slot;
	size_t cap, used;
} group_table;

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;  /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
	return h ^ (h >> 29);
}

static void table_grow(group_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	if (cap > SIZE_MAX / sizeof(group_slot))
		cli_die("too many groups");
	group_slot *slot = calloc(cap, sizeof *slot);
	if (!slot)
		cli_die("out of memory");
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slot[i].text)
			continue;
		size_t j = t->slot[i].hash & (cap - 1);
		while (slot[j].text)
			j = (j + 1) & (cap - 1);
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
}

static size_t group_id(group_table *t, const char *text, size_t len)
{
	if ((t->used + 1) * 2 > t->cap)
		table_grow(t);
	uint64_t h = hash_bytes(text, len);
	size_t j = h & (t->cap - 1);
	for (; t->slot[j].text; j = (j + 1) & (t->cap - 1))
		if (t->slot[j].hash == h && t->slot[j].len == len && memcmp(t->slot[j].text, text, len) == 0)
			return t->slot[j].id;
	t->slot[j] = (group_slot){ text, len, h, t->used };
	return t->used++;
}

/* ---- field values -------------------------------------------------------- */

static double number_field(where at, const field_ref *f)
{
	if (!f->val)
		die_at(at, "field '%s' is missing", f->name);
	if (f->type == V_NULL)
		die_at(at, "field '%s' is null", f->name);
	if (f->type != V_NUMBER)
		die_at(at, "field '%s' is not a number", f->name);
	double v = parse_number(f->val);
	if (!isfinite(v))
		die_at(at, "field '%s' is not a finite number", f->name);
	return v;
}

static unsigned char flag_field(where at, const field_ref *f)
{
	if (f->val && (f->type == V_TRUE || f->type == V_FALSE))
		return f->type == V_TRUE;
	if (f->val && f->type == V_NUMBER) {
		double v = parse_number(f->val);
		if (v == 0 || v == 1)
			return v == 1;
	}
	if (!f->val)
		die_at(at, "field '%s' is missing", f->name);
	die_at(at, "field '%s' is not a boolean (true, false, 0 or 1)", f->name);
	return 0;
}

/* Call each(b, at, f, value, index) for every element of an array of
 * numbers (already checked against the JSON grammar). */
typedef void element_fn(batch *b, where at, const field_ref *f, double v, size_t k);

static size_t number_array(where at, const field_ref *f, batch *b, element_fn *each)
{
	if (!f->val)
		die_at(at, "field '%s' is missing", f->name);
	if (f->type != V_ARRAY)
		die_at(at, "field '%s' is not an array", f->name);
	scanner s = { .end = f->val + f->val_len };
	const char *p = skip_ws(f->val + 1, s.end);
	size_t k = 0;
	for (; *p != ']'; k++) {
		if (!(*p == '-' || is_digit(*p)))
			die_at(at, "field '%s': element %zu is not a number", f->name, k);
		double v = parse_number(p);
		if (!isfinite(v))
			die_at(at, "field '%s': element %zu is not a finite number", f->name, k);
		each(b, at, f, v, k);
		p = skip_ws(scan_number(&s, p), s.end);
		if (*p == ',')
			p = skip_ws(p + 1, s.end);
	}
	return k;
}

static void add_step_reward(batch *b, where at, const field_ref *f, double v, size_t k)
{
	(void)at, (void)f, (void)k;
	reserve(&b->step_reward, &b->step_reward_cap, b->n_steps + 1, sizeof *b->step_reward);
	b->step_reward[b->n_steps++] = v;
}

static void add_step_end(batch *b, where at, const field_ref *f, double v, size_t k)
{
	size_t i = b->step_offset[b->n] + k;
	if (v < 0 || v != floor(v) || v > 1e15)
		die_at(at, "field '%s': element %zu is not a token index (a whole number >= 0)", f->name, k);
	if (k > 0 && (double)b->step_end[i - 1] >= v)
		die_at(at, "field '%s': element %zu is not after element %zu", f->name, k, k - 1);
	reserve(&b->step_end, &b->step_end_cap, i + 1, sizeof *b->step_end);
	b->step_end[i] = (size_t)v;
}

/* Steps of record b->n; sets its step and token offsets. */
static void read_steps(const config *c, batch *b, where at, const field_ref *fields)
{
	size_t first = b->step_offset[b->n];
	size_t n_rewards = number_array(at, &fields[F_STEP_REWARDS], b, add_step_reward);
	size_t n_ends = number_array(at, &fields[F_STEP_ENDS], b, add_step_end);
	if (n_rewards != n_ends)
		die_at(at, "field '%s' has %zu elements but '%s' has %zu",
			c->step_rewards_field, n_rewards, c->step_ends_field, n_ends);
	size_t n_tokens = n_rewards ? b->step_end[first + n_rewards - 1] + 1 : 0;
	if (fields[F_LENGTH].val) {
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

static void read_fields(const config *c, batch *b, where at, const field_ref *fields)
{
	const field_ref *g = &fields[F_GROUP];
	if (!g->val)
		die_at(at, "field '%s' is missing", c->group_field);
	if (g->type != V_STRING && g->type != V_NUMBER)
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
static void read_records(const config *c, const source *srcs, size_t n_src, batch *b)
{
	field_ref fields[N_FIELDS] = {
		[F_GROUP] = { .name = c->group_field },
		[F_REWARD] = { .name = c->reward_field },
		[F_LENGTH] = { .name = c->length_field },
		[F_CORRECT] = { .name = c->correct_field },
		[F_STEP_REWARDS] = { .name = c->step_rewards_field },
		[F_STEP_ENDS] = { .name = c->step_ends_field },
		[F_OUT] = { .name = c->out_field },
	};
	for (size_t k = 0; k < N_FIELDS; k++)
		fields[k].name_len = strlen(fields[k].name);
	scanner s = { .fields = fields, .n_fields = N_FIELDS };
	index_fields(&s);
	group_table table = { 0 };
	const char *last_group = NULL;
	size_t last_len = 0, last_id = 0;
	line_cursor cur;
	const char *line;
	size_t len;
	cursor_start(&cur, srcs, n_src);
	batch_grow(c, b);  /* the arrays and offsets exist even without records */
	while (next_record(&cur, &line, &len)) {
		where at = cur.at;
		if (scan_record(&s, line, len) != 0) {
			if (memchr(line, '\0', len))
				die_at(at, "NUL byte in a JSON line");
			die_at(at, "invalid JSON at column %zu: %s", (size_t)(s.bad - line) + 1, s.why);
		}
		if (s.dup)
			die_at(at, "field '%s' appears twice", s.dup);
		if (fields[F_OUT].val)
			die_at(at, "field '%s' is already present (name the new field with --advantage-field)", c->out_field);
		batch_grow(c, b);
		read_fields(c, b, at, fields);
		const field_ref *g = &fields[F_GROUP];
		if (!(last_group && g->val_len == last_len && same_bytes(g->val, last_group, last_len))) {
			last_id = group_id(&table, g->val, g->val_len);
			last_group = g->val;
			last_len = g->val_len;
		}
		b->group[b->n++] = last_id;
	}
	b->n_groups = table.used;
	free(table.slot);
}

/* ---- computing ----------------------------------------------------------- */

static void *alloc_array(size_t n, size_t elem)
{
	if (n && n > SIZE_MAX / elem)
		cli_die("input too large");
	void *p = malloc(n ? n * elem : 1);
	if (!p)
		cli_die("out of memory");
	return p;
}

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
static void check_float_range(const batch *b, const result *res, const source *srcs, size_t n_src)
{
	for (size_t i = 0; i < b->n; i++) {
		size_t first = res->token_offset ? res->token_offset[i] : i;
		size_t last = res->token_offset ? res->token_offset[i + 1] : i + 1;
		for (size_t t = first; t < last; t++)
			if (!(fabs(res->adv[t]) <= FLT_MAX))
				die_at(locate(srcs, n_src, i), "advantage %g does not fit in float32", res->adv[t]);
	}
}

/* ---- writing ------------------------------------------------------------- */

/* Records go out through one large buffer.  lib/jsonl's
 * jsonl_write_appended makes five stdio calls per record, which cost a
 * quarter of a run on a million completions (tests/bench/grpo-adv.sh); the
 * scanner has already proved each line to be one object, so the insertion
 * point is simply the last '}' and the output is assembled with memcpy.
 * The rule is jsonl_write_appended's: fields go before the closing brace,
 * after a comma unless the object is empty, every other byte unchanged. */
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

/* One record: LINE (a checked object) with "key": value inserted before
 * its closing brace, the value being adv[0] or, when is_array, the array
 * adv[0 .. count). */
static void out_record(out_buffer *o, const char *line, size_t len, const jsonl_fields *key,
	const double *adv, size_t count, int is_array)
{
	size_t brace = len;
	while (line[brace - 1] != '}')
		brace--;
	brace--;
	const char *open = line[0] == '{' ? line : memchr(line, '{', len);
	int empty = skip_ws(open + 1, line + brace) == line + brace;
	/* a float32 prints in at most 15 bytes ("-1.17549435e-38") */
	if (count > (SIZE_MAX - len - key->len - 8) / 16)
		cli_die("record too large");
	char *w = out_room(o, len + key->len + 8 + count * 16), *start = w;
	memcpy(w, line, brace);
	w += brace;
	if (!empty)
		*w++ = ',';
	memcpy(w, key->buf, key->len);
	w += key->len;
	if (is_array)
		*w++ = '[';
	for (size_t t = 0; t < count; t++) {
		if (t)
			*w++ = ',';
		w += format_f32(adv[t], w);
	}
	if (is_array)
		*w++ = ']';
	memcpy(w, line + brace, len - brace);
	w += len - brace;
	*w++ = '\n';
	o->used += (size_t)(w - start);
}

static void write_records(const config *c, const source *srcs, size_t n_src,
	const batch *b, const result *res)
{
	line_cursor cur;
	const char *line;
	size_t len;
	cursor_start(&cur, srcs, n_src);
	jsonl_fields key = { 0 };
	if (jsonl_fields_raw(&key, c->out_field, "") != 0)
		cli_die("out of memory");
	out_buffer out = { 0 };
	reserve(&out.buf, &out.cap, 1 << 20, 1);
	for (size_t i = 0; i < b->n && next_record(&cur, &line, &len); i++) {
		if (res->token_offset)
			out_record(&out, line, len, &key, res->adv + res->token_offset[i],
				res->token_offset[i + 1] - res->token_offset[i], 1);
		else
			out_record(&out, line, len, &key, res->adv + i, 1, 0);
	}
	out_flush(&out);
	jsonl_fields_free(&key);
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

static void run_jsonl(const config *c, char **paths, int n_paths)
{
	size_t n_src = n_paths > 0 ? (size_t)n_paths : 1;
	source *srcs = alloc_array(n_src, sizeof *srcs);
	for (size_t f = 0; f < n_src; f++)
		read_source(&srcs[f], n_paths > 0 ? paths[f] : NULL);
	batch b = { 0 };
	read_records(c, srcs, n_src, &b);
	result res = { 0 };
	compute(c, &b, &res);
	check_float_range(&b, &res, srcs, n_src);
	write_records(c, srcs, n_src, &b, &res);
	if (c->stats_path)
		write_stats(c, b.n, &res);
	free(res.adv);
	void *arrays[] = { b.group, b.reward, b.length, b.correct,
		b.step_offset, b.token_offset, b.step_reward, b.step_end };
	for (size_t k = 0; k < sizeof arrays / sizeof *arrays; k++)
		free(arrays[k]);
	for (size_t f = 0; f < n_src; f++)
		release_source(&srcs[f]);
	free(srcs);
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
	init_tables();
	config c;
	parse_options(argc, argv, &c);
	if (c.group_size)
		run_binary(&c, optind < argc ? argv[optind] : NULL);
	else
		run_jsonl(&c, argv + optind, argc - optind);
	cli_close_stdout();
	return EXIT_SUCCESS;
}
