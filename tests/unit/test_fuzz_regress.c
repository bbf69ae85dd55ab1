/* Replays the inputs kept for the fuzz targets in the ordinary build: the
 * crash inputs in tests/fuzz/regressions/NAME/ and the seed corpus in
 * tests/fuzz/corpus/NAME/ go through the same entry points libFuzzer
 * drives (tests/fuzz/fuzz_NAME.c, included here with FUZZ_REPLAY), so
 * `make check` (and `make check SAN=1`) proves every fixed crash stays
 * fixed and every oracle holds on every kept input.  Run from the top of
 * the tree (the Makefile does). */
#define FUZZ_REPLAY 1

#include "../fuzz/fuzz_jsonl.c"
#include "../fuzz/fuzz_jsonscan.c"
#include "../fuzz/fuzz_keyid.c"
#include "../fuzz/fuzz_lines.c"
#include "../fuzz/fuzz_npy_header.c"
#include "../fuzz/fuzz_numfmt.c"
#include "../fuzz/fuzz_options.c"
#include "../fuzz/fuzz_rows.c"
#include "../fuzz/fuzz_text.c"
#include "../fuzz/fuzz_utf8.c"

#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

typedef void (*fuzz_entry)(const uint8_t *, size_t);

static const struct {
	const char *name;
	fuzz_entry fn;
} targets[] = {
	{"jsonl", fuzz_jsonl},
	{"jsonscan", fuzz_jsonscan},
	{"keyid", fuzz_keyid},
	{"lines", fuzz_lines},
	{"npy_header", fuzz_npy_header},
	{"numfmt", fuzz_numfmt},
	{"options", fuzz_options},
	{"rows", fuzz_rows},
	{"text", fuzz_text},
	{"utf8", fuzz_utf8},
};

/* The whole file, or NULL (fails the test). */
static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s: %s", path, strerror(errno));
	uint8_t *buf = NULL;
	size_t cap = 0;
	*n = 0;
	for (;;) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		size_t got = fread(buf + *n, 1, cap - *n, fp);
		*n += got;
		if (got == 0)
			break;
	}
	ck_assert_msg(!ferror(fp), "read error on %s", path);
	fclose(fp);
	return buf;
}

/* Run every regular file of DIR through FN; returns how many. */
static size_t replay_dir(const char *dir, fuzz_entry fn, int must_exist)
{
	DIR *d = opendir(dir);
	if (!d) {
		ck_assert_msg(!must_exist, "cannot open %s: %s", dir, strerror(errno));
		return 0;
	}
	size_t count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		size_t n;
		uint8_t *data = slurp(path, &n);
		fuzz_failure[0] = '\0';
		fn(data, n);
		free(data);
		ck_assert_msg(fuzz_failure[0] == '\0', "%s: %s", path, fuzz_failure);
		count++;
	}
	closedir(d);
	return count;
}

START_TEST(test_replay)
{
	const char *name = targets[_i].name;
	char dir[512];
	snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", name);
	size_t seeds = replay_dir(dir, targets[_i].fn, 1);
	ck_assert_msg(seeds > 0, "%s: no seed inputs", dir);
	snprintf(dir, sizeof dir, "tests/fuzz/regressions/%s", name);
	replay_dir(dir, targets[_i].fn, 0);
}
END_TEST

static Suite *fuzz_regress_suite(void)
{
	Suite *s = suite_create("fuzz_regress");
	TCase *tc = tcase_create("replay");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_replay, 0, (int)(sizeof targets / sizeof targets[0]));
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(fuzz_regress_suite)
