/* cli: diagnostics, strict option parsing, checked output, progress bar. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cli_prog = "mlpipe";

void cli_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');
	cli_prog = slash ? slash + 1 : prog;
	/* Numbers are read and printed in the "C" locale whatever the user's. */
	setlocale(LC_ALL, "C");
	/* "| head" must end us quietly: the default action of SIGPIPE. */
	signal(SIGPIPE, SIG_DFL);
}

static void vsay(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", cli_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void cli_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	exit(EXIT_DATA);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", cli_prog);
	exit(EXIT_USAGE);
}

void cli_close_stdout(void)
{
	/* ferror catches earlier failed writes, fclose the final flush
	 * (OpenBSD cat.c and gnulib close-stdout do the same). */
	int failed = ferror(stdout);
	if (fclose(stdout) != 0)
		failed = 1;
	if (failed)
		cli_die("write error: standard output: %s", errno ? strerror(errno) : "unknown error");
}

void cli_version(void)
{
	printf("%s (mlpipe) %s\n", cli_prog, MLPIPE_VERSION);
	cli_close_stdout();
	exit(EXIT_SUCCESS);
}

void cli_help(const char *text)
{
	fputs(text, stdout);
	cli_close_stdout();
	exit(EXIT_SUCCESS);
}

int cli_parse_double(const char *arg, double lo, double hi, double *out, char *why, size_t why_len)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end == arg || *end != '\0' || arg[strspn(arg, " \t\n\v\f\r")] == '\0') {
		snprintf(why, why_len, "'%s' is not a number", arg);
		return -1;
	}
	if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0)) {
		snprintf(why, why_len, "'%s' is not a finite number", arg);
		return -1;
	}
	if (v < lo || v > hi) {
		snprintf(why, why_len, "%s is out of range [%.9g, %.9g]", arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_llong(const char *arg, long long lo, long long hi, long long *out, char *why, size_t why_len)
{
	char *end;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	if (end == arg || *end != '\0') {
		snprintf(why, why_len, "'%s' is not an integer", arg);
		return -1;
	}
	if (errno == ERANGE || v < lo || v > hi) {
		snprintf(why, why_len, "%s is out of range [%lld, %lld]", arg, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_size(const char *arg, size_t lo, size_t hi, size_t *out, char *why, size_t why_len)
{
	char *end;
	errno = 0;
	if (arg[strspn(arg, " \t\n\v\f\r")] == '-') {
		snprintf(why, why_len, "%s is out of range [%zu, %zu]", arg, lo, hi);
		return -1;
	}
	unsigned long long v = strtoull(arg, &end, 10);
	if (end != arg && (*end == 'e' || *end == 'E' || *end == '.')) {
		/* "1e6": a count written in floating point, when it is whole */
		char *dend;
		double d = strtod(arg, &dend);
		if (*dend == '\0' && isfinite(d) && d >= 0 && d == floor(d)) {
			/* (double)SIZE_MAX rounds up to 2^64, which no integer
			 * type holds: compare with 2^64 before converting */
			if (d >= 0x1p64 || (unsigned long long)d > hi) {
				snprintf(why, why_len, "%s is out of range [%zu, %zu]", arg, lo, hi);
				return -1;
			}
			v = (unsigned long long)d;
			end = dend;
			errno = 0;
		}
	}
	if (end == arg || *end != '\0') {
		snprintf(why, why_len, "'%s' is not a whole number", arg);
		return -1;
	}
	if (errno == ERANGE || v < lo || v > hi) {
		snprintf(why, why_len, "%s is out of range [%zu, %zu]", arg, lo, hi);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

double cli_double(const char *opt, const char *arg, double lo, double hi)
{
	char why[160];
	double v;
	if (cli_parse_double(arg, lo, hi, &v, why, sizeof why) != 0)
		cli_usage_error("%s: %s", opt, why);
	return v;
}

long long cli_llong(const char *opt, const char *arg, long long lo, long long hi)
{
	char why[160];
	long long v;
	if (cli_parse_llong(arg, lo, hi, &v, why, sizeof why) != 0)
		cli_usage_error("%s: %s", opt, why);
	return v;
}

size_t cli_size(const char *opt, const char *arg, size_t lo, size_t hi)
{
	char why[160];
	size_t v;
	if (cli_parse_size(arg, lo, hi, &v, why, sizeof why) != 0)
		cli_usage_error("%s: %s", opt, why);
	return v;
}

int cli_choice(const char *opt, const char *arg, const char *const choices[])
{
	char list[512] = "";
	size_t used = 0;
	for (int i = 0; choices[i]; i++) {
		if (strcmp(arg, choices[i]) == 0)
			return i;
		int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", choices[i]);
		if (n > 0 && (size_t)n < sizeof list - used)
			used += (size_t)n;
	}
	cli_usage_error("%s: unknown value '%s' (choose from %s)", opt, arg, list);
}

FILE *cli_fopen_out(const char *path)
{
	if (strcmp(path, "-") == 0)
		return stdout;
	FILE *fp = fopen(path, "wb");
	if (!fp)
		cli_die("cannot open '%s' for writing: %s", path, strerror(errno));
	return fp;
}

FILE *cli_fopen_in(const char *path)
{
	if (!path || strcmp(path, "-") == 0)
		return stdin;
	FILE *fp = fopen(path, "rb");
	if (!fp)
		cli_die("cannot open '%s': %s", path, strerror(errno));
	return fp;
}

void cli_fclose(FILE *fp, const char *path)
{
	if (fp == stdout || fp == stdin)
		return;
	int failed = ferror(fp);
	if (fclose(fp) != 0)
		failed = 1;
	if (failed)
		cli_die("write error: '%s': %s", path, errno ? strerror(errno) : "unknown error");
}

void cli_refuse_tty(FILE *fp, int is_binary, int force)
{
	if (is_binary && !force && isatty(fileno(fp)))
		cli_usage_error("refusing to write binary data to a terminal (use -O text, or -f to force)");
}

void cli_progress_start(cli_progress *p, const char *label, uint64_t total, int quiet)
{
	p->total = total;
	p->done = 0;
	p->label = label;
	p->last_permille = -1;
	p->active = !quiet && isatty(STDERR_FILENO);
	cli_progress_update(p, 0);
}

void cli_progress_update(cli_progress *p, uint64_t done)
{
	if (!p->active)
		return;
	p->done = done;
	if (p->total == 0) {
		if (done % 1024 == 0)
			fprintf(stderr, "\r%s: %s %llu", cli_prog, p->label, (unsigned long long)done);
		return;
	}
	int permille = (int)(done >= p->total ? 1000 : done * 1000 / p->total);
	if (permille == p->last_permille)
		return;
	p->last_permille = permille;
	enum { WIDTH = 40 };
	char bar[WIDTH + 1];
	int filled = permille * WIDTH / 1000;
	for (int i = 0; i < WIDTH; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[WIDTH] = '\0';
	fprintf(stderr, "\r%s: %s [%s] %3d%%", cli_prog, p->label, bar, permille / 10);
}

void cli_progress_end(cli_progress *p)
{
	if (!p->active)
		return;
	fputs("\r\033[K", stderr);
	p->active = 0;
}

void cli_widen_pipe(FILE *fp)
{
#ifdef F_SETPIPE_SZ
	(void)fcntl(fileno(fp), F_SETPIPE_SZ, 1 << 20);
#else
	(void)fp;
#endif
}
