/* Unit tests for lib/keyid: ids are dense, in order of first sight, equal
 * exactly for equal bytes (not for equal pointers), across table growth. */
#include "keyid.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

START_TEST(test_dense_in_order)
{
	keyid_table t = { 0 };
	static const char *const keys[] = { "\"q-1\"", "7", "\"q-1\"", "", "\"q-2\"", "7", "" };
	static const size_t want[] = { 0, 1, 0, 2, 3, 1, 2 };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		char copy[16];
		strcpy(copy, keys[i]);  /* the bytes matter, not where they are */
		size_t id;
		ck_assert_int_eq(keyid_get(&t, i % 2 ? keys[i] : copy, strlen(keys[i]), &id), 0);
		ck_assert_uint_eq(id, want[i]);
		if (i % 2 == 0)
			ck_assert_int_eq(keyid_get(&t, keys[i], strlen(keys[i]), &id), 0);
	}
	ck_assert_uint_eq(t.used, 4);
	/* a prefix is another key */
	size_t id;
	ck_assert_int_eq(keyid_get(&t, "\"q-1", 4, &id), 0);
	ck_assert_uint_eq(id, 4);
	keyid_free(&t);
	ck_assert_uint_eq(t.used, 0);
}
END_TEST

START_TEST(test_growth)
{
	enum { N = 100000 };
	char (*text)[16] = malloc(N * sizeof *text);
	ck_assert_ptr_nonnull(text);
	keyid_table t = { 0 };
	size_t id, bad = 0;
	for (size_t i = 0; i < N; i++) {
		snprintf(text[i], sizeof text[i], "\"g%zu\"", i);
		if (keyid_get(&t, text[i], strlen(text[i]), &id) != 0 || id != i)
			bad++;
	}
	for (size_t i = N; i-- > 0;)
		if (keyid_get(&t, text[i], strlen(text[i]), &id) != 0 || id != i)
			bad++;
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(t.used, N);
	ck_assert_uint_ge(t.cap, 2 * N);
	keyid_free(&t);
	free(text);
}
END_TEST

static Suite *keyid_suite(void)
{
	Suite *s = suite_create("keyid");
	TCase *tc = tcase_create("ids");
	tcase_add_test(tc, test_dense_in_order);
	tcase_add_test(tc, test_growth);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(keyid_suite)
