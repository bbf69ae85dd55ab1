/* Fuzz the strict number parsers of the command line (lib/cli.c
 * cli_parse_double, cli_parse_llong, cli_parse_size: the cores of
 * cli_double, cli_llong and cli_size, which exit on a usage error).
 *
 * Input: one control byte (the range [lo, hi] asked for, from a table that
 * includes the extremes), then the argument text up to the first NUL.
 * Oracle: an accepted value is within [lo, hi], finite, and what strtod /
 * strtoll / strtoull read from the whole text; a rejected one leaves a
 * message; nothing is accepted with trailing junk or as an empty string;
 * every accepted count written in floating point ("1e6") is whole. */
#include "fuzz.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>

#include "cli.h"

static const double options_double_ranges[][2] = {
	{0, 1}, {-1e300, 1e300}, {-INFINITY, INFINITY}, {1e-8, 1e8}, {-DBL_MAX, DBL_MAX}, {0, 0},
};
static const long long options_llong_ranges[][2] = {
	{LLONG_MIN, LLONG_MAX}, {0, 100}, {-5, 5}, {1, LLONG_MAX},
};
static const size_t options_size_ranges[][2] = {
	{0, SIZE_MAX}, {1, (size_t)1 << 24}, {1, 100000000}, {0, 0}, {1, (size_t)1 << 32}, {0, (size_t)LLONG_MAX},
};

#define OPTIONS_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int options_blank(const char *s)
{
	return s[strspn(s, " \t\n\v\f\r")] == '\0';
}

static void options_check_double(const char *arg, unsigned pick)
{
	const double *range = options_double_ranges[pick % OPTIONS_COUNT(options_double_ranges)];
	double v = NAN;
	char why[256] = "";
	int rc = cli_parse_double(arg, range[0], range[1], &v, why, sizeof why);
	if (rc == 0) {
		char *end;
		double again = strtod(arg, &end);
		FUZZ_CHECK(isfinite(v) && v >= range[0] && v <= range[1], "'%s' gave %.17g outside [%g, %g]", arg, v,
			   range[0], range[1]);
		FUZZ_CHECK(*end == '\0' && !options_blank(arg), "'%s' accepted with junk or blank", arg);
		FUZZ_CHECK(again == v, "'%s' gave %.17g, strtod %.17g", arg, v, again);
	} else {
		FUZZ_CHECK(rc == -1 && why[0] != '\0', "'%s': rc %d, message '%s'", arg, rc, why);
	}
}

static void options_check_llong(const char *arg, unsigned pick)
{
	const long long *range = options_llong_ranges[pick % OPTIONS_COUNT(options_llong_ranges)];
	long long v = 0;
	char why[256] = "";
	int rc = cli_parse_llong(arg, range[0], range[1], &v, why, sizeof why);
	if (rc == 0) {
		char *end;
		errno = 0;
		long long again = strtoll(arg, &end, 10);
		FUZZ_CHECK(v >= range[0] && v <= range[1], "'%s' gave %lld outside the range", arg, v);
		FUZZ_CHECK(*end == '\0' && end != arg && errno == 0 && again == v, "'%s' gave %lld, strtoll %lld", arg, v,
			   again);
	} else {
		FUZZ_CHECK(rc == -1 && why[0] != '\0', "'%s': rc %d, message '%s'", arg, rc, why);
	}
}

static void options_check_size(const char *arg, unsigned pick)
{
	const size_t *range = options_size_ranges[pick % OPTIONS_COUNT(options_size_ranges)];
	size_t v = 0;
	char why[256] = "";
	int rc = cli_parse_size(arg, range[0], range[1], &v, why, sizeof why);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && why[0] != '\0', "'%s': rc %d, message '%s'", arg, rc, why);
		return;
	}
	FUZZ_CHECK(v >= range[0] && v <= range[1], "'%s' gave %zu outside [%zu, %zu]", arg, v, range[0], range[1]);
	FUZZ_CHECK(!strchr(arg, '-') || strpbrk(arg, "eE"), "'%s': a negative count accepted as %zu", arg, v);
	char *end;
	errno = 0;
	unsigned long long whole = strtoull(arg, &end, 10);
	if (*end == '\0') {
		FUZZ_CHECK(errno == 0 && whole == v, "'%s' gave %zu, strtoull %llu", arg, v, whole);
	} else {
		double d = strtod(arg, &end);
		FUZZ_CHECK(*end == '\0' && d == floor(d) && d == (double)v, "'%s' gave %zu, strtod %.17g", arg, v, d);
	}
}

static void fuzz_options(const uint8_t *data, size_t size)
{
	unsigned pick = fuzz_take_byte(&data, &size);
	char *arg = malloc(size + 1);
	if (!arg)
		return;
	memcpy(arg, data, size);
	arg[size] = '\0';
	switch (pick % 3) {
	case 0:
		options_check_double(arg, pick / 3);
		break;
	case 1:
		options_check_llong(arg, pick / 3);
		break;
	default:
		options_check_size(arg, pick / 3);
		break;
	}
	free(arg);
}

FUZZ_TARGET(fuzz_options)
