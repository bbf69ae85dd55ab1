/* Unit tests for lib/cli: strict numbers, usage errors exit 2, data errors
 * exit 1, closing a failed stdout is an error. */
#include "cli.h"
#include "unit.h"

#include <string.h>

START_TEST(test_numbers_accepted)
{
	cli_init("test");
	ck_assert_double_eq(cli_double("--gamma", "0.99", 0, 1), 0.99);
	ck_assert_double_eq(cli_double("--x", "-1e-3", -1, 1), -1e-3);
	ck_assert_int_eq(cli_llong("--n", "-42", -100, 100), -42);
	ck_assert_uint_eq(cli_size("--n", "1e6", 1, 10000000), 1000000);
	ck_assert_uint_eq(cli_size("--n", "17", 1, 100), 17);
	static const char *const styles[] = {"interleaved", "neox", NULL};
	ck_assert_int_eq(cli_choice("--style", "neox", styles), 1);
}
END_TEST

START_TEST(test_parse_cores)
{
	char why[160];
	double d;
	size_t z;
	long long ll;
	ck_assert_int_eq(cli_parse_double("0.9x", 0, 1, &d, why, sizeof why), -1);
	ck_assert_str_eq(why, "'0.9x' is not a number");
	ck_assert_int_eq(cli_parse_double("1e400", -1e308, 1e308, &d, why, sizeof why), -1);
	ck_assert_str_eq(why, "'1e400' is not a finite number");
	ck_assert_int_eq(cli_parse_double(" ", 0, 1, &d, why, sizeof why), -1);
	ck_assert_int_eq(cli_parse_size("1e12", 1, 1 << 24, &z, why, sizeof why), -1);
	ck_assert_str_eq(why, "1e12 is out of range [1, 16777216]");
	ck_assert_int_eq(cli_parse_size("99999999999999999999999", 1, 100, &z, why, sizeof why), -1);
	ck_assert_int_eq(cli_parse_size("1.8446744073709552e19", 0, SIZE_MAX, &z, why, sizeof why), -1);
	ck_assert_int_eq(cli_parse_size("1e30", 0, SIZE_MAX, &z, why, sizeof why), -1);
	ck_assert_int_eq(cli_parse_size("9.2233720368547758e18", 0, SIZE_MAX, &z, why, sizeof why), 0);
	ck_assert_uint_eq(z, (size_t)1 << 63);
	ck_assert_int_eq(cli_parse_llong("9223372036854775808", 0, 1, &ll, why, sizeof why), -1);
	ck_assert_int_eq(cli_parse_llong("12", 0, 100, &ll, why, sizeof why), 0);
	ck_assert_int_eq(ll, 12);
}
END_TEST

/* The forked children's messages are expected: keep them off the log. */
static void quiet_stderr(void)
{
	if (!freopen("/dev/null", "w", stderr))
		exit(99);
}

/* Each of these must be a usage error (exit 2), run in a forked child. */
START_TEST(test_trailing_junk)
{
	quiet_stderr();
	cli_init("test");
	cli_double("--gamma", "0.9x", 0, 1);
}
END_TEST
START_TEST(test_empty)
{
	quiet_stderr();
	cli_init("test");
	cli_double("--gamma", "", 0, 1);
}
END_TEST
START_TEST(test_nan)
{
	quiet_stderr();
	cli_init("test");
	cli_double("--gamma", "nan", -1e300, 1e300);
}
END_TEST
START_TEST(test_out_of_range)
{
	quiet_stderr();
	cli_init("test");
	cli_double("--gamma", "1.5", 0, 1);
}
END_TEST
START_TEST(test_size_negative)
{
	quiet_stderr();
	cli_init("test");
	cli_size("--dim", "-1", 1, 100);
}
END_TEST
START_TEST(test_size_fraction)
{
	quiet_stderr();
	cli_init("test");
	cli_size("--dim", "2.5", 1, 100);
}
END_TEST
START_TEST(test_size_absurd)
{
	quiet_stderr();
	cli_init("test");
	cli_size("--dim", "1e12", 1, 1 << 24);
}
END_TEST
START_TEST(test_choice_unknown)
{
	static const char *const styles[] = {"interleaved", "neox", NULL};
	quiet_stderr();
	cli_init("test");
	cli_choice("--style", "gptj", styles);
}
END_TEST
START_TEST(test_die_is_1)
{
	quiet_stderr();
	cli_init("test");
	cli_die("data error");
}
END_TEST
START_TEST(test_full_stdout_is_1)
{
	quiet_stderr();
	cli_init("test");
	if (!freopen("/dev/full", "w", stdout))
		exit(99);
	fputs("some output", stdout);
	cli_close_stdout();
	exit(0);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");
	tcase_add_test(tc, test_numbers_accepted);
	tcase_add_test(tc, test_parse_cores);
	tcase_add_exit_test(tc, test_trailing_junk, 2);
	tcase_add_exit_test(tc, test_empty, 2);
	tcase_add_exit_test(tc, test_nan, 2);
	tcase_add_exit_test(tc, test_out_of_range, 2);
	tcase_add_exit_test(tc, test_size_negative, 2);
	tcase_add_exit_test(tc, test_size_fraction, 2);
	tcase_add_exit_test(tc, test_size_absurd, 2);
	tcase_add_exit_test(tc, test_choice_unknown, 2);
	tcase_add_exit_test(tc, test_die_is_1, 1);
	tcase_add_exit_test(tc, test_full_stdout_is_1, 1);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(cli_suite)
