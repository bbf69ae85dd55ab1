/* Unit tests for lib/utf8: the well-formed sequences of Unicode Table 3-7
 * and each way of breaking them. */
#include "utf8.h"
#include "unit.h"

#include <string.h>

static size_t at(const char *s)
{
	return utf8_invalid_at(s, strlen(s));
}

START_TEST(test_well_formed)
{
	const char *good[] = {
		"", "plain ascii text longer than eight bytes",
		"\xc2\x80", "\xdf\xbf",                 /* U+0080, U+07FF */
		"\xe0\xa0\x80", "\xed\x9f\xbf",         /* U+0800, U+D7FF */
		"\xee\x80\x80", "\xef\xbf\xbf",         /* U+E000, U+FFFF */
		"\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", /* U+10000, U+10FFFF */
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 ok",
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		ck_assert_uint_eq(at(good[i]), strlen(good[i]));
}
END_TEST

START_TEST(test_ill_formed)
{
	static const struct {
		const char *s;
		size_t at;
	} bad[] = {
		{"ab\x80", 2},               /* a stray continuation byte */
		{"\xc0\xaf", 0},             /* overlong '/' */
		{"\xc1\xbf", 0},             /* overlong */
		{"\xe0\x9f\xbf", 0},         /* overlong three-byte form */
		{"\xed\xa0\x80", 0},         /* U+D800, a surrogate */
		{"\xf0\x8f\xbf\xbf", 0},     /* overlong four-byte form */
		{"\xf4\x90\x80\x80", 0},     /* U+110000 */
		{"\xf5\x80\x80\x80", 0},     /* no such lead byte */
		{"\xff", 0},
		{"12345678\xc3\x28", 8},     /* a lead byte without its continuation */
		{"x\xe2\x82", 1},            /* cut short at the end */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(at(bad[i].s) == bad[i].at, "case %zu: %zu, expected %zu", i, at(bad[i].s), bad[i].at);
}
END_TEST

static Suite *utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("utf8");
	tcase_add_test(tc, test_well_formed);
	tcase_add_test(tc, test_ill_formed);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(utf8_suite)
