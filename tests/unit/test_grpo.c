/* Unit tests of lib/grpo: the check values of TOOLS.md (grpo-adv), the
 * invariants of each estimator, and the edge cases (singletons, equal
 * groups, process supervision). */
#include "grpo.h"
#include "unit.h"

#include <stdint.h>

static grpo_options opts(enum grpo_estimator e)
{
	grpo_options o;
	grpo_options_init(&o);
	o.estimator = e;
	return o;
}

/* A small deterministic generator for the property tests (splitmix64). */
static uint64_t mix_state = 0x9e3779b97f4a7c15u;

static double next_uniform(void)
{
	uint64_t z = (mix_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1p-53;
}

START_TEST(check_values_verl_eps)
{
	/* TOOLS.md: [1,0,0,1] gives +-0.8660239 with eps 1e-6 (verl) */
	double r[] = { 1, 0, 0, 1 }, adv[4];
	size_t g[] = { 0, 0, 0, 0 };
	grpo_group ws[1];
	grpo_options o = opts(GRPO_GRPO);
	ck_assert_int_eq(grpo_advantages(&o, r, g, 4, ws, 1, adv), 0);
	double want = 0.5 / (sqrt(1.0 / 3.0) + 1e-6);
	ck_assert_close(want, 0.8660239, 0, 5e-8);
	for (int i = 0; i < 4; i++)
		ck_assert_close(adv[i], r[i] ? want : -want, 1e-15, 0);
}
END_TEST

START_TEST(check_values_trl_eps)
{
	/* TOOLS.md: with eps 1e-4 (TRL's "+ 1e-4") +-0.8658754 */
	double r[] = { 1, 0, 0, 1 }, adv[4];
	size_t g[] = { 0, 0, 0, 0 };
	grpo_group ws[1];
	grpo_options o = opts(GRPO_GRPO);
	o.eps = GRPO_EPS_TRL;
	ck_assert_int_eq(grpo_advantages(&o, r, g, 4, ws, 1, adv), 0);
	ck_assert_close(adv[0], 0.8658754, 0, 5e-8);
	ck_assert_close(adv[1], -0.8658754, 0, 5e-8);
}
END_TEST

START_TEST(check_values_one_correct)
{
	/* TOOLS.md: [1,0,0,0] -> [1.499997, -0.499999 x3]; rloo [1, -1/3 x3] */
	double r[] = { 1, 0, 0, 0 }, adv[4];
	size_t g[] = { 0, 0, 0, 0 };
	grpo_group ws[1];
	grpo_options o = opts(GRPO_GRPO);
	grpo_advantages(&o, r, g, 4, ws, 1, adv);
	ck_assert_close(adv[0], 1.499997, 0, 5e-7);
	for (int i = 1; i < 4; i++)
		ck_assert_close(adv[i], -0.499999, 0, 5e-7);
	o = opts(GRPO_RLOO);
	grpo_advantages(&o, r, g, 4, ws, 1, adv);
	ck_assert_close(adv[0], 1.0, 1e-15, 0);
	for (int i = 1; i < 4; i++)
		ck_assert_close(adv[i], -1.0 / 3.0, 1e-15, 0);
}
END_TEST

START_TEST(rloo_is_leave_one_out)
{
	/* the closed form n/(n-1)(r - mean) equals r minus the others' mean */
	enum { N = 7 };
	double r[N], adv[N];
	size_t g[N] = { 0 };
	grpo_group ws[1];
	for (int i = 0; i < N; i++)
		r[i] = next_uniform() * 10 - 3;
	grpo_options o = opts(GRPO_RLOO);
	grpo_advantages(&o, r, g, N, ws, 1, adv);
	for (int i = 0; i < N; i++) {
		double others = 0;
		for (int j = 0; j < N; j++)
			if (j != i)
				others += r[j];
		ck_assert_close(adv[i], r[i] - others / (N - 1), 1e-13, 1e-13);
	}
}
END_TEST

/* Non-contiguous groups of random sizes (1..9) and random rewards. */
static size_t random_groups(size_t *g, double *r, size_t n, size_t n_groups)
{
	for (size_t i = 0; i < n; i++) {
		g[i] = (size_t)(next_uniform() * (double)n_groups);
		r[i] = next_uniform() < 0.3 ? (double)(i % 2) : next_uniform() * 4 - 1;
	}
	return n_groups;
}

START_TEST(advantages_sum_to_zero_per_group)
{
	enum { N = 400, G = 60 };
	static double r[N], adv[N], sum[G];
	static size_t g[N], count[G];
	static grpo_group ws[G];
	random_groups(g, r, N, G);
	const enum grpo_estimator zero_sum[] = { GRPO_GRPO, GRPO_DR_GRPO, GRPO_RLOO, GRPO_KIMI };
	for (size_t e = 0; e < sizeof zero_sum / sizeof *zero_sum; e++) {
		grpo_options o = opts(zero_sum[e]);
		ck_assert_int_eq(grpo_advantages(&o, r, g, N, ws, G, adv), 0);
		for (int k = 0; k < G; k++) {
			sum[k] = 0;
			count[k] = 0;
		}
		for (int i = 0; i < N; i++) {
			sum[g[i]] += adv[i];
			count[g[i]]++;
		}
		for (int k = 0; k < G; k++)
			ck_assert_msg(fabs(sum[k]) < 1e-12, "%s group %d (size %zu) sums to %g",
				grpo_estimator_names[zero_sum[e]], k, count[k], sum[k]);
	}
}
END_TEST

START_TEST(grpo_has_unit_std_per_group)
{
	/* (r - mean)/(std + eps) has std std/(std + eps) in every group */
	enum { N = 64, G = 4 };
	double r[N], adv[N];
	size_t g[N];
	grpo_group ws[G], check[G];
	for (int i = 0; i < N; i++) {
		g[i] = (size_t)(i * 7 % G);  /* interleaved, not contiguous */
		r[i] = next_uniform();
	}
	grpo_options o = opts(GRPO_GRPO);
	grpo_advantages(&o, r, g, N, ws, G, adv);
	grpo_group_stats(adv, g, N, check, G);
	for (int k = 0; k < G; k++) {
		double s = grpo_group_std(&ws[k], GRPO_STD_UNBIASED);
		ck_assert_close(grpo_group_std(&check[k], GRPO_STD_UNBIASED), s / (s + 1e-6), 1e-12, 0);
		ck_assert_close(check[k].mean, 0.0, 0, 1e-14);
	}
}
END_TEST

START_TEST(equal_group_is_exactly_zero)
{
	/* 16 x 0.35: a summed mean is not exactly 0.35 and a one-pass variance
	 * leaves residue; Welford plus two passes gives exactly 0 */
	enum { N = 16 };
	double r[N], adv[N];
	size_t g[N] = { 0 };
	grpo_group ws[1];
	double naive = 0;
	for (int i = 0; i < N; i++) {
		r[i] = 0.35;
		naive += r[i];
	}
	ck_assert(naive / N != 0.35);  /* the trap this test guards against */
	for (int e = 0; grpo_estimator_names[e]; e++) {
		grpo_options o = opts((enum grpo_estimator)e);
		o.eps = 0;  /* even without eps: no 0/0 */
		grpo_advantages(&o, r, g, N, ws, 1, adv);
		ck_assert(ws[0].mean == 0.35);
		ck_assert(ws[0].sum_sq == 0.0);
		for (int i = 0; i < N; i++)
			ck_assert_msg(adv[i] == 0.0, "%s: adv %g", grpo_estimator_names[e], adv[i]);
	}
	/* large offsets too */
	for (int i = 0; i < N; i++)
		r[i] = 123456789.123;
	grpo_options o = opts(GRPO_GRPO);
	grpo_advantages(&o, r, g, N, ws, 1, adv);
	for (int i = 0; i < N; i++)
		ck_assert(adv[i] == 0.0);
}
END_TEST

START_TEST(two_pass_is_accurate_with_offset)
{
	/* 1e9 + {0, 1}: variance 1/3 (unbiased, n=4) survives the offset */
	double r[] = { 1e9, 1e9 + 1, 1e9 + 1, 1e9 };
	size_t g[] = { 0, 0, 0, 0 };
	grpo_group ws[1];
	grpo_group_stats(r, g, 4, ws, 1);
	ck_assert(ws[0].mean == 1e9 + 0.5);
	ck_assert_close(grpo_group_std(&ws[0], GRPO_STD_UNBIASED), sqrt(1.0 / 3.0), 1e-15, 0);
	ck_assert_close(grpo_group_std(&ws[0], GRPO_STD_POPULATION), 0.5, 1e-15, 0);
}
END_TEST

START_TEST(population_std)
{
	double r[] = { 1, 0, 0, 1 }, adv[4];
	size_t g[] = { 0, 0, 0, 0 };
	grpo_group ws[1];
	grpo_options o = opts(GRPO_GRPO);
	o.std = GRPO_STD_POPULATION;
	grpo_advantages(&o, r, g, 4, ws, 1, adv);
	ck_assert_close(adv[0], 0.5 / (0.5 + 1e-6), 1e-15, 0);
}
END_TEST

START_TEST(singleton_zero_and_raw)
{
	/* group 1 has one member; group 0 two */
	double r[] = { 2, 0.7, 0 }, adv[3];
	size_t g[] = { 0, 1, 0 };
	grpo_group ws[2];
	grpo_options o = opts(GRPO_GRPO);
	grpo_advantages(&o, r, g, 3, ws, 2, adv);
	ck_assert(adv[1] == 0.0);  /* zero: TRL's behaviour */
	o.singleton = GRPO_SINGLETON_RAW;
	grpo_advantages(&o, r, g, 3, ws, 2, adv);
	ck_assert_close(adv[1], 0.7 / (1 + 1e-6), 1e-15, 0);  /* verl: mean 0, std 1 */
	ck_assert_close(adv[0], 1.0 / (sqrt(2.0) + 1e-6), 1e-15, 0);
	const enum grpo_estimator raw_is_r[] = { GRPO_DR_GRPO, GRPO_RLOO, GRPO_KIMI };
	for (size_t e = 0; e < 3; e++) {
		o = opts(raw_is_r[e]);
		o.singleton = GRPO_SINGLETON_RAW;
		grpo_advantages(&o, r, g, 3, ws, 2, adv);
		ck_assert_msg(adv[1] == 0.7, "%s: %g", grpo_estimator_names[raw_is_r[e]], adv[1]);
		o.singleton = GRPO_SINGLETON_ZERO;
		grpo_advantages(&o, r, g, 3, ws, 2, adv);
		ck_assert(adv[1] == 0.0);
	}
}
END_TEST

START_TEST(scale_batch_and_none)
{
	/* TRL scale_rewards: center per group, divide by the batch std */
	double r[] = { 1, 0, 1, 1 }, adv[4];
	size_t g[] = { 0, 0, 1, 1 };
	grpo_group ws[2];
	grpo_options o = opts(GRPO_GRPO);
	o.scale = GRPO_SCALE_BATCH;
	o.eps = GRPO_EPS_TRL;
	grpo_advantages(&o, r, g, 4, ws, 2, adv);
	/* batch: mean .75, squared deviations sum .75, unbiased var .25 */
	ck_assert_close(adv[0], 0.5 / (0.5 + 1e-4), 1e-15, 0);
	ck_assert_close(adv[1], -0.5 / (0.5 + 1e-4), 1e-15, 0);
	ck_assert(adv[2] == 0.0 && adv[3] == 0.0);
	o.scale = GRPO_SCALE_NONE;
	grpo_advantages(&o, r, g, 4, ws, 2, adv);
	ck_assert(adv[0] == 0.5 && adv[1] == -0.5);
}
END_TEST

START_TEST(dr_grpo_and_kimi_subtract_the_mean)
{
	double r[] = { 3, 1, 2, 0.5, 0.25 }, adv[5];
	size_t g[] = { 0, 0, 0, 1, 1 };
	grpo_group ws[2];
	for (int e = GRPO_DR_GRPO; e <= GRPO_KIMI; e += GRPO_KIMI - GRPO_DR_GRPO) {
		grpo_options o = opts((enum grpo_estimator)e);
		grpo_advantages(&o, r, g, 5, ws, 2, adv);
		ck_assert_close(adv[0], 1.0, 1e-15, 0);
		ck_assert_close(adv[1], -1.0, 1e-15, 0);
		ck_assert_close(adv[2], 0.0, 0, 1e-15);
		ck_assert_close(adv[3], 0.125, 1e-15, 0);
	}
}
END_TEST

START_TEST(reinforce_baseline_is_whitened)
{
	/* verl: r - group mean, then masked_whiten over the batch:
	 * (x - mean) / sqrt(var + 1e-8), unbiased var */
	enum { N = 40, G = 10 };
	double r[N], adv[N], centered[N];
	size_t g[N];
	grpo_group ws[G];
	random_groups(g, r, N, G);
	grpo_options o = opts(GRPO_DR_GRPO);
	o.singleton = GRPO_SINGLETON_ZERO;
	grpo_advantages(&o, r, g, N, ws, G, centered);
	double m, s;
	grpo_batch_stats(centered, N, GRPO_STD_UNBIASED, &m, &s);
	o = opts(GRPO_REINFORCE_BASELINE);
	grpo_advantages(&o, r, g, N, ws, G, adv);
	for (int i = 0; i < N; i++)
		ck_assert_close(adv[i], (centered[i] - m) / sqrt(s * s + 1e-8), 1e-12, 1e-14);
	double am, as;
	grpo_batch_stats(adv, N, GRPO_STD_UNBIASED, &am, &as);
	ck_assert_close(am, 0.0, 0, 1e-14);
	ck_assert_close(as, s / sqrt(s * s + 1e-8), 1e-12, 0);
}
END_TEST

START_TEST(kimi_length_reward)
{
	/* TOOLS.md: lengths [100,200,300], correct [1,0,0] -> [0.5, 0, -0.5] */
	double len[] = { 100, 200, 300, 50, 50 }, lr[5];
	unsigned char ok[] = { 1, 0, 0, 1, 0 };
	size_t g[] = { 0, 0, 0, 1, 1 };
	grpo_group ws[2];
	grpo_length_rewards(len, ok, g, 5, ws, 2, lr);
	ck_assert(lr[0] == 0.5 && lr[1] == 0.0 && lr[2] == -0.5);
	ck_assert(lr[3] == 0.0 && lr[4] == 0.0);  /* equal lengths: 0 */
	/* a wrong short answer is not rewarded for being short */
	double len2[] = { 10, 30 }, lr2[2];
	unsigned char ok2[] = { 0, 1 };
	size_t g2[] = { 0, 0 };
	grpo_length_rewards(len2, ok2, g2, 2, ws, 1, lr2);
	ck_assert(lr2[0] == 0.0 && lr2[1] == -0.5);
}
END_TEST

/* Token advantages by the definition: sum over the steps whose end index
 * is >= t, with the normalized rewards computed independently. */
START_TEST(process_supervision_definition)
{
	/* group 0: c0 steps r=[1,0] ends [2,5] (6 tokens), c1 r=[0] end [3]
	 * (5 tokens: token 4 follows the last step and gets 0);
	 * group 1: c2 r=[0.5, 0.25, 1] ends [0,1,2] (3 tokens) */
	double sr[] = { 1, 0, 0, 0.5, 0.25, 1 };
	size_t se[] = { 2, 5, 3, 0, 1, 2 };
	size_t so[] = { 0, 2, 3, 6 };
	size_t to[] = { 0, 6, 11, 14 };
	size_t g[] = { 0, 0, 1 };
	double norm[6], adv[14];
	grpo_group ws[2];
	grpo_options o = opts(GRPO_GRPO);
	ck_assert_int_eq(grpo_process_advantages(&o, sr, se, so, g, 3, ws, 2, to, norm, adv), 0);
	double s0 = sqrt(1.0 / 3.0) + 1e-6;  /* {1,0,0}: mean 1/3, std sqrt(1/3) */
	ck_assert_close(norm[0], (2.0 / 3.0) / s0, 1e-14, 0);
	ck_assert_close(norm[1], (-1.0 / 3.0) / s0, 1e-14, 0);
	for (int t = 0; t < 3; t++)
		ck_assert_close(adv[t], (1.0 / 3.0) / s0, 1e-14, 0);
	for (int t = 3; t < 6; t++)
		ck_assert_close(adv[t], (-1.0 / 3.0) / s0, 1e-14, 0);
	for (int t = 0; t < 4; t++)
		ck_assert_close(adv[6 + t], (-1.0 / 3.0) / s0, 1e-14, 0);
	ck_assert(adv[10] == 0.0);
	/* group 1 by the definition */
	for (int t = 0; t < 3; t++) {
		double want = 0;
		for (int j = 3; j < 6; j++)
			if (se[j] >= (size_t)t)
				want += norm[j];
		ck_assert_close(adv[11 + t], want, 1e-14, 1e-15);
	}
	/* normalized step rewards of a group sum to zero */
	ck_assert_close(norm[3] + norm[4] + norm[5], 0.0, 0, 1e-14);
	/* dr-grpo only centers */
	o = opts(GRPO_DR_GRPO);
	grpo_process_advantages(&o, sr, se, so, g, 3, ws, 2, to, norm, adv);
	ck_assert_close(adv[0], 1.0 / 3.0, 1e-14, 0);
}
END_TEST

START_TEST(process_supervision_rejects)
{
	double sr[] = { 1, 0 }, norm[2], adv[4];
	size_t se_bad_order[] = { 2, 2 }, se_outside[] = { 1, 4 }, se_ok[] = { 1, 3 };
	size_t so[] = { 0, 2 }, to[] = { 0, 4 }, g[] = { 0 };
	grpo_group ws[1];
	grpo_options o = opts(GRPO_GRPO);
	ck_assert_int_eq(grpo_process_advantages(&o, sr, se_bad_order, so, g, 1, ws, 1, to, norm, adv), -1);
	ck_assert_int_eq(grpo_process_advantages(&o, sr, se_outside, so, g, 1, ws, 1, to, norm, adv), -1);
	o.estimator = GRPO_RLOO;
	ck_assert_int_eq(grpo_process_advantages(&o, sr, se_ok, so, g, 1, ws, 1, to, norm, adv), -1);
	o.estimator = GRPO_GRPO;
	ck_assert_int_eq(grpo_process_advantages(&o, sr, se_ok, so, g, 1, ws, 1, to, norm, adv), 0);
	/* one completion with two steps is a group of two values */
	ck_assert_close(norm[0], 0.5 / (sqrt(0.5) + 1e-6), 1e-14, 0);
}
END_TEST

START_TEST(bad_group_index)
{
	double r[] = { 1, 2 }, adv[2];
	size_t g[] = { 0, 2 };
	grpo_group ws[2];
	grpo_options o = opts(GRPO_GRPO);
	ck_assert_int_eq(grpo_advantages(&o, r, g, 2, ws, 2, adv), -1);
}
END_TEST

START_TEST(batch_stats_and_summary)
{
	double m, s;
	double one[] = { 4.0 };
	grpo_batch_stats(one, 1, GRPO_STD_UNBIASED, &m, &s);
	ck_assert(m == 4.0 && isnan(s));  /* torch.std of one value is nan */
	grpo_batch_stats(one, 1, GRPO_STD_POPULATION, &m, &s);
	ck_assert(s == 0.0);
	double r[] = { 1, 1, 0, 1, 5 }, adv[5];
	size_t g[] = { 0, 0, 1, 1, 2 };
	grpo_group ws[3];
	grpo_options o = opts(GRPO_GRPO);
	grpo_advantages(&o, r, g, 5, ws, 3, adv);
	grpo_summary sum;
	grpo_summarize(r, 5, ws, 3, GRPO_STD_UNBIASED, adv, 5, &sum);
	ck_assert_uint_eq(sum.groups, 3);
	ck_assert_uint_eq(sum.singletons, 1);
	ck_assert_uint_eq(sum.zero_std_groups, 1);
	ck_assert_close(sum.reward_mean, 1.6, 1e-15, 0);
	ck_assert_close(sum.adv_max, 0.5 / (sqrt(0.5) + 1e-6), 1e-15, 0);
	ck_assert_close(sum.adv_min, -0.5 / (sqrt(0.5) + 1e-6), 1e-15, 0);
}
END_TEST

static Suite *grpo_suite(void)
{
	Suite *s = suite_create("grpo");
	TCase *tc = tcase_create("estimators");
	tcase_add_test(tc, check_values_verl_eps);
	tcase_add_test(tc, check_values_trl_eps);
	tcase_add_test(tc, check_values_one_correct);
	tcase_add_test(tc, rloo_is_leave_one_out);
	tcase_add_test(tc, advantages_sum_to_zero_per_group);
	tcase_add_test(tc, grpo_has_unit_std_per_group);
	tcase_add_test(tc, equal_group_is_exactly_zero);
	tcase_add_test(tc, two_pass_is_accurate_with_offset);
	tcase_add_test(tc, population_std);
	tcase_add_test(tc, singleton_zero_and_raw);
	tcase_add_test(tc, scale_batch_and_none);
	tcase_add_test(tc, dr_grpo_and_kimi_subtract_the_mean);
	tcase_add_test(tc, reinforce_baseline_is_whitened);
	tcase_add_test(tc, kimi_length_reward);
	tcase_add_test(tc, process_supervision_definition);
	tcase_add_test(tc, process_supervision_rejects);
	tcase_add_test(tc, bad_group_index);
	tcase_add_test(tc, batch_stats_and_summary);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(grpo_suite)
