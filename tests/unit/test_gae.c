/* Unit tests of lib/gae: check values of TOOLS.md, the special cases of
 * GAE, episode boundaries, masks, the two layouts, V-trace and the
 * normalisation. */
#include "gae.h"
#include "unit.h"

#include <string.h>

enum { N = 64 };

/* A small deterministic generator for random rollouts (no rng needed). */
static double uniform(unsigned long long *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) / 9007199254740992.0;
}

typedef struct rollout {
	size_t n;
	double reward[N], value[N], next_value[N], log_rho[N], kept[N];
	unsigned char end[N];
	double bootstrap;
} rollout;

/* Random rewards and values, about one end in eight (half of them
 * truncations), random next values for the truncated steps. */
static void random_rollout(rollout *ro, size_t n, unsigned long long seed)
{
	unsigned long long s = seed;
	ro->n = n;
	for (size_t t = 0; t < n; t++) {
		ro->reward[t] = 2.0 * uniform(&s) - 1.0;
		ro->value[t] = 4.0 * uniform(&s) - 2.0;
		ro->next_value[t] = 4.0 * uniform(&s) - 2.0;
		ro->log_rho[t] = 1.5 * uniform(&s) - 0.75;
		ro->kept[t] = 1.0;
		double u = uniform(&s);
		ro->end[t] = u < 0.0625 ? GAE_TERMINATED : u < 0.125 ? GAE_TRUNCATED : GAE_CONTINUE;
	}
	ro->bootstrap = 0.7;
}

static gae_track track_of(rollout *ro)
{
	gae_track tr = {
		.n = ro->n, .stride = 1, .reward = ro->reward, .value = ro->value,
		.end = ro->end, .next_value = ro->next_value, .log_rho = NULL,
		.kept = NULL, .bootstrap = ro->bootstrap,
	};
	return tr;
}

/* GAE or V-trace over a whole rollout, in the track layout. */
static void run_track(const gae_params *p, rollout *ro, double *adv, double *ret)
{
	gae_track tr = track_of(ro);
	gae_track_compute(p, &tr, adv, ret);
}

static gae_params gae(double gamma, double lambda)
{
	gae_params p = { .gamma = gamma, .lambda = lambda, .vtrace = 0, .rho_bar = 1.0, .c_bar = 1.0 };
	return p;
}

/* The value the step after t bootstraps from (0 after a termination). */
static double value_after(const rollout *ro, size_t t)
{
	if (ro->end[t] == GAE_TERMINATED)
		return 0.0;
	if (ro->end[t] == GAE_TRUNCATED)
		return ro->next_value[t];
	return t + 1 < ro->n ? ro->value[t + 1] : ro->bootstrap;
}

static int episode_goes_on(const rollout *ro, size_t t)
{
	return ro->end[t] == GAE_CONTINUE && t + 1 < ro->n;
}

START_TEST(test_check_values)
{
	/* TOOLS.md, gae: r=[0,0,1], V=[.5,.6,.7], terminal, gamma .99, lambda .95 */
	double r[3] = { 0, 0, 1 }, v[3] = { 0.5, 0.6, 0.7 }, adv[3], ret[3];
	unsigned char end[3] = { 0, 0, GAE_TERMINATED };
	gae_params p = gae(0.99, 0.95);
	gae_track tr = { .n = 3, .stride = 1, .reward = r, .value = v, .end = end };
	gae_track_compute(&p, &tr, adv, ret);
	double want_adv[3] = { 0.446828575, 0.37515, 0.3 };
	double want_ret[3] = { 0.946828575, 0.97515, 1.0 };
	for (int t = 0; t < 3; t++) {
		ck_assert_close(adv[t], want_adv[t], 1e-12, 1e-12);
		ck_assert_close(ret[t], want_ret[t], 1e-12, 1e-12);
	}
}
END_TEST

START_TEST(test_check_values_masked)
{
	/* TOOLS.md: m=[1,1,0], r=[0,1,0], V=[0,0,100], gamma 1, lambda .95 */
	double r[3] = { 0, 1, 0 }, v[3] = { 0, 0, 100 }, m[3] = { 1, 1, 0 }, adv[3], ret[3];
	gae_params p = gae(1.0, 0.95);
	gae_track tr = { .n = 3, .stride = 1, .reward = r, .value = v, .kept = m };
	gae_track_compute(&p, &tr, adv, ret);
	ck_assert_close(adv[0], 0.95, 0, 1e-15);
	ck_assert_close(adv[1], 1.0, 0, 1e-15);
	ck_assert_close(adv[2], 0.0, 0, 0);
}
END_TEST

START_TEST(test_lambda_one_is_discounted_return_minus_value)
{
	for (unsigned long long seed = 1; seed <= 20; seed++) {
		rollout ro;
		random_rollout(&ro, N, seed);
		gae_params p = gae(0.97, 1.0);
		double adv[N], ret[N];
		run_track(&p, &ro, adv, ret);
		/* Monte Carlo: G_t = r_t + gamma G_{t+1} inside an episode,
		 * G_t = r_t + gamma V(after) at its end or the rollout's end */
		double g[N];
		for (size_t t = N; t-- > 0;)
			g[t] = ro.reward[t] + p.gamma * (episode_goes_on(&ro, t) ? g[t + 1] : value_after(&ro, t));
		for (size_t t = 0; t < N; t++) {
			ck_assert_close(adv[t], g[t] - ro.value[t], 1e-12, 1e-12);
			ck_assert_close(ret[t], g[t], 1e-12, 1e-12);
		}
	}
}
END_TEST

START_TEST(test_lambda_zero_is_td_error)
{
	for (unsigned long long seed = 1; seed <= 20; seed++) {
		rollout ro;
		random_rollout(&ro, N, seed);
		gae_params p = gae(0.9, 0.0);
		double adv[N], ret[N];
		run_track(&p, &ro, adv, ret);
		for (size_t t = 0; t < N; t++) {
			double delta = ro.reward[t] + p.gamma * value_after(&ro, t) - ro.value[t];
			ck_assert_close(adv[t], delta, 1e-14, 1e-14);
		}
	}
}
END_TEST

START_TEST(test_sum_form)
{
	/* GAE paper eq. 16: A_t = sum_l (gamma lambda)^l delta_{t+l}, summed
	 * up to the end of the episode or of the rollout */
	rollout ro;
	random_rollout(&ro, N, 99);
	gae_params p = gae(0.99, 0.9);
	double adv[N], ret[N];
	run_track(&p, &ro, adv, ret);
	for (size_t t = 0; t < N; t++) {
		double sum = 0.0, weight = 1.0;
		for (size_t k = t; k < N; k++) {
			sum += weight * (ro.reward[k] + p.gamma * value_after(&ro, k) - ro.value[k]);
			if (!episode_goes_on(&ro, k))
				break;
			weight *= p.gamma * p.lambda;
		}
		ck_assert_close(adv[t], sum, 1e-12, 1e-12);
		ck_assert_close(ret[t], adv[t] + ro.value[t], 1e-15, 1e-15);
	}
}
END_TEST

START_TEST(test_termination_does_not_leak)
{
	rollout a, b;
	random_rollout(&a, N, 5);
	for (size_t t = 0; t < N; t++)
		a.end[t] = GAE_CONTINUE;
	a.end[20] = GAE_TERMINATED;
	b = a;
	/* the next episode is entirely different */
	for (size_t t = 21; t < N; t++) {
		b.reward[t] += 100.0;
		b.value[t] -= 50.0;
	}
	b.bootstrap = -1e6;
	gae_params p = gae(0.99, 0.95);
	gae_track ta = track_of(&a), tb = track_of(&b);
	double adv_a[N], ret_a[N], adv_b[N], ret_b[N];
	gae_track_compute(&p, &ta, adv_a, ret_a);
	gae_track_compute(&p, &tb, adv_b, ret_b);
	for (size_t t = 0; t <= 20; t++)
		ck_assert_double_eq(adv_a[t], adv_b[t]);
	/* the terminated step sees only its reward */
	ck_assert_close(adv_a[20], a.reward[20] - a.value[20], 0, 1e-15);
}
END_TEST

START_TEST(test_truncation_bootstraps)
{
	rollout a, b;
	random_rollout(&a, N, 6);
	for (size_t t = 0; t < N; t++)
		a.end[t] = GAE_CONTINUE;
	a.end[30] = GAE_TRUNCATED;
	b = a;
	for (size_t t = 31; t < N; t++)
		b.reward[t] -= 7.0;
	gae_params p = gae(0.99, 0.95);
	gae_track ta = track_of(&a), tb = track_of(&b);
	double adv_a[N], ret_a[N], adv_b[N], ret_b[N];
	gae_track_compute(&p, &ta, adv_a, ret_a);
	gae_track_compute(&p, &tb, adv_b, ret_b);
	for (size_t t = 0; t <= 30; t++)
		ck_assert_double_eq(adv_a[t], adv_b[t]);
	/* the truncated step bootstraps from V(final observation) */
	ck_assert_close(adv_a[30], a.reward[30] + 0.99 * a.next_value[30] - a.value[30], 0, 1e-15);
	/* and the value of the final observation reaches the steps before it */
	b = a;
	b.next_value[30] += 1.0;
	tb = track_of(&b);
	gae_track_compute(&p, &tb, adv_b, ret_b);
	double gl = 0.99 * 0.95;
	ck_assert_close(adv_b[28] - adv_a[28], 0.99 * gl * gl, 1e-9, 1e-12);
}
END_TEST

START_TEST(test_mask_skips_positions)
{
	/* inserting masked steps with any content changes nothing else */
	rollout dense, sparse;
	random_rollout(&dense, 40, 8);
	for (size_t t = 0; t < 40; t++)
		dense.end[t] = GAE_CONTINUE;
	dense.end[39] = GAE_TERMINATED;
	sparse.n = 0;
	sparse.bootstrap = dense.bootstrap;
	size_t where[40];
	for (size_t t = 0; t < 40; t++) {
		if (t % 3 == 1) { /* an observation token before step t */
			size_t j = sparse.n++;
			sparse.reward[j] = 1e3;
			sparse.value[j] = -1e3;
			sparse.kept[j] = 0.0;
			sparse.end[j] = GAE_TERMINATED;
			sparse.next_value[j] = 5.0;
		}
		size_t j = sparse.n++;
		where[t] = j;
		sparse.reward[j] = dense.reward[t];
		sparse.value[j] = dense.value[t];
		sparse.kept[j] = 1.0;
		sparse.end[j] = dense.end[t];
		sparse.next_value[j] = dense.next_value[t];
	}
	gae_params p = gae(1.0, 0.95);
	gae_track td = track_of(&dense), ts = track_of(&sparse);
	ts.kept = sparse.kept;
	double adv_d[N], ret_d[N], adv_s[N], ret_s[N];
	gae_track_compute(&p, &td, adv_d, ret_d);
	gae_track_compute(&p, &ts, adv_s, ret_s);
	for (size_t t = 0; t < 40; t++) {
		ck_assert_close(adv_s[where[t]], adv_d[t], 1e-13, 1e-13);
		/* a masked step repeats the advantage of the next kept one */
		if (where[t] > 0 && sparse.kept[where[t] - 1] == 0.0)
			ck_assert_double_eq(adv_s[where[t] - 1], adv_s[where[t]]);
	}
}
END_TEST

/* Build the CleanRL layout of E interleaved rollouts with terminations
 * only: episode_start[t + 1] = terminated after step t. */
static void to_batch(rollout *ro, size_t E, double *reward, double *value,
	double *start, double *last_value, double *last_done, int batch_major)
{
	size_t T = ro[0].n;
	for (size_t e = 0; e < E; e++) {
		for (size_t t = 0; t < T; t++) {
			size_t i = batch_major ? e * T + t : t * E + e;
			reward[i] = ro[e].reward[t];
			value[i] = ro[e].value[t];
			/* the first start flag belongs to the previous rollout */
			start[i] = t == 0 ? (double)(e % 2) : (ro[e].end[t - 1] == GAE_TERMINATED);
		}
		last_value[e] = ro[e].bootstrap;
		last_done[e] = ro[e].end[T - 1] == GAE_TERMINATED;
	}
}

static void check_layouts_agree(int batch_major)
{
	enum { E = 5, T = 48 };
	rollout ro[E];
	for (size_t e = 0; e < E; e++) {
		random_rollout(&ro[e], T, 100 + e);
		for (size_t t = 0; t < T; t++)
			if (ro[e].end[t] == GAE_TRUNCATED)
				ro[e].end[t] = GAE_TERMINATED;
		ro[e].bootstrap = 0.1 * (double)e;
	}
	ro[2].end[T - 1] = GAE_TERMINATED;
	static double reward[E * T], value[E * T], start[E * T], adv[E * T], ret[E * T];
	double last_value[E], last_done[E];
	to_batch(ro, E, reward, value, start, last_value, last_done, batch_major);
	gae_batch b = {
		.T = T, .E = E, .t_stride = batch_major ? 1 : E, .e_stride = batch_major ? T : 1,
		.f64 = 1, .reward = reward, .value = value, .episode_start = start,
		.last_value = last_value, .last_done = last_done,
	};
	size_t bad;
	const char *which;
	ck_assert_int_eq(gae_batch_check(&b, &bad, &which), 0);
	gae_params p = gae(0.99, 0.95);
	gae_batch_compute(&p, &b, adv, ret);
	for (size_t e = 0; e < E; e++) {
		gae_track tr = track_of(&ro[e]);
		double want_adv[N], want_ret[N];
		gae_track_compute(&p, &tr, want_adv, want_ret);
		for (size_t t = 0; t < T; t++) {
			size_t i = t * b.t_stride + e * b.e_stride;
			ck_assert_double_eq(adv[i], want_adv[t]);
			ck_assert_double_eq(ret[i], want_ret[t]);
		}
	}
}

START_TEST(test_batch_time_major_equals_tracks)
{
	check_layouts_agree(0);
}
END_TEST

START_TEST(test_batch_major_equals_tracks)
{
	check_layouts_agree(1);
}
END_TEST

START_TEST(test_batch_float32_storage)
{
	/* float32 storage, double arithmetic: the float64 results rounded */
	enum { T = 40, E = 3 };
	unsigned long long s = 77;
	double r[T * E], v[T * E], d[T * E], lv[E], adv[T * E], ret[T * E];
	float rf[T * E], vf[T * E], df[T * E], lvf[E], advf[T * E], retf[T * E];
	for (size_t i = 0; i < T * E; i++) {
		rf[i] = (float)(2.0 * uniform(&s) - 1.0);
		vf[i] = (float)uniform(&s);
		df[i] = uniform(&s) < 0.1 ? 1.0f : 0.0f;
		r[i] = rf[i], v[i] = vf[i], d[i] = df[i];
	}
	for (size_t e = 0; e < E; e++)
		lvf[e] = 0.25f * (float)e, lv[e] = lvf[e];
	gae_params p = gae(0.99, 0.95);
	gae_batch b64 = { .T = T, .E = E, .t_stride = E, .e_stride = 1, .f64 = 1,
		.reward = r, .value = v, .episode_start = d, .last_value = lv };
	gae_batch b32 = { .T = T, .E = E, .t_stride = E, .e_stride = 1, .f64 = 0,
		.reward = rf, .value = vf, .episode_start = df, .last_value = lvf };
	gae_batch_compute(&p, &b64, adv, ret);
	gae_batch_compute(&p, &b32, advf, retf);
	for (size_t i = 0; i < T * E; i++) {
		ck_assert_float_eq(advf[i], (float)adv[i]);
		ck_assert_float_eq(retf[i], (float)ret[i]);
	}
	/* in place: advantages over the rewards, returns over the values */
	gae_batch_compute(&p, &b32, rf, vf);
	for (size_t i = 0; i < T * E; i++) {
		ck_assert_float_eq(rf[i], advf[i]);
		ck_assert_float_eq(vf[i], retf[i]);
	}
	/* batch normalisation agrees with the double one */
	gae_batch_normalize(&b64, adv);
	gae_batch_normalize(&b32, advf);
	double mean, std;
	gae_mean_std(adv, T * E, 1, NULL, &mean, &std);
	ck_assert_close(mean, 0.0, 0, 1e-14);
	ck_assert_close(std, 1.0, 1e-7, 0);
	for (size_t i = 0; i < T * E; i++)
		ck_assert_close(advf[i], adv[i], 1e-6, 1e-6);
}
END_TEST

START_TEST(test_sb3_truncation_fold)
{
	/* Stable-Baselines3 (#633) adds gamma V(final observation) to the
	 * reward of a truncated step and marks it done: the same advantages */
	rollout ro;
	random_rollout(&ro, N, 11);
	gae_params p = gae(0.98, 0.9);
	gae_track tr = track_of(&ro);
	double want_adv[N], want_ret[N], adv[N], ret[N];
	gae_track_compute(&p, &tr, want_adv, want_ret);
	double reward[N], start[N], last_done;
	for (size_t t = 0; t < N; t++) {
		reward[t] = ro.reward[t];
		if (ro.end[t] == GAE_TRUNCATED)
			reward[t] += p.gamma * ro.next_value[t];
		start[t] = t > 0 && ro.end[t - 1] != GAE_CONTINUE;
	}
	last_done = ro.end[N - 1] != GAE_CONTINUE;
	gae_batch b = {
		.T = N, .E = 1, .t_stride = 1, .e_stride = 1, .f64 = 1, .reward = reward,
		.value = ro.value, .episode_start = start,
		.last_value = &ro.bootstrap, .last_done = &last_done,
	};
	gae_batch_compute(&p, &b, adv, ret);
	for (size_t t = 0; t < N; t++)
		ck_assert_close(adv[t], want_adv[t], 1e-13, 1e-13);
}
END_TEST

START_TEST(test_batch_check_flags)
{
	double r[4] = { 0 }, v[4] = { 0 }, start[4] = { 0, 1, 0.5, 0 }, lv[2] = { 0 }, ld[2] = { 0, 2 };
	gae_batch b = { .T = 2, .E = 2, .t_stride = 2, .e_stride = 1, .f64 = 1, .reward = r, .value = v,
		.episode_start = start, .last_value = lv, .last_done = ld };
	size_t bad = 0;
	const char *which = NULL;
	ck_assert_int_eq(gae_batch_check(&b, &bad, &which), -1);
	ck_assert_uint_eq(bad, 2);
	ck_assert_str_eq(which, "dones");
	start[2] = 1.0;
	ck_assert_int_eq(gae_batch_check(&b, &bad, &which), -1);
	ck_assert_uint_eq(bad, 1);
	ck_assert_str_eq(which, "last-dones");
}
END_TEST

static gae_params vtrace(double gamma, double lambda, double rho_bar, double c_bar)
{
	gae_params p = { .gamma = gamma, .lambda = lambda, .vtrace = 1, .rho_bar = rho_bar, .c_bar = c_bar };
	return p;
}

START_TEST(test_vtrace_on_policy_is_n_step_return)
{
	/* IMPALA, remark 1: with pi = mu and c_bar >= 1, v_s is the on-policy
	 * n-step Bellman target sum_t gamma^(t-s) r_t + gamma^n V(x_{s+n}) */
	rollout ro;
	random_rollout(&ro, N, 21);
	for (size_t t = 0; t < N; t++)
		ro.log_rho[t] = 0.0;
	gae_params p = vtrace(0.95, 1.0, 1.0, 1.0);
	gae_track tr = track_of(&ro);
	tr.log_rho = ro.log_rho;
	double adv[N], ret[N];
	gae_track_compute(&p, &tr, adv, ret);
	for (size_t s = 0; s < N; s++) {
		double sum = 0.0, discount = 1.0;
		size_t t = s;
		for (;; t++) {
			sum += discount * ro.reward[t];
			discount *= p.gamma;
			if (!episode_goes_on(&ro, t))
				break;
		}
		sum += discount * value_after(&ro, t);
		ck_assert_close(ret[s], sum, 1e-12, 1e-12);
		/* the policy-gradient advantage is r_s + gamma v_{s+1} - V(x_s) */
		double v_next = episode_goes_on(&ro, s) ? ret[s + 1] : value_after(&ro, s);
		ck_assert_close(adv[s], ro.reward[s] + p.gamma * v_next - ro.value[s], 1e-12, 1e-12);
	}
}
END_TEST

START_TEST(test_vtrace_sum_form)
{
	/* IMPALA eq. 1 written out, with clipped weights, against the
	 * recursion */
	rollout ro;
	random_rollout(&ro, N, 33);
	gae_params p = vtrace(0.99, 0.9, 1.2, 0.8);
	gae_track tr = track_of(&ro);
	tr.log_rho = ro.log_rho;
	double adv[N], ret[N];
	gae_track_compute(&p, &tr, adv, ret);
	for (size_t s = 0; s < N; s++) {
		double sum = 0.0, weight = 1.0;
		for (size_t t = s; t < N; t++) {
			double ratio = exp(ro.log_rho[t]);
			double rho = fmin(p.rho_bar, ratio);
			sum += weight * rho * (ro.reward[t] + p.gamma * value_after(&ro, t) - ro.value[t]);
			if (!episode_goes_on(&ro, t))
				break;
			weight *= p.gamma * p.lambda * fmin(p.c_bar, ratio);
		}
		ck_assert_close(ret[s], ro.value[s] + sum, 1e-12, 1e-12);
	}
}
END_TEST

START_TEST(test_vtrace_equals_gae_on_policy)
{
	/* on-policy V-trace returns are GAE(lambda) returns */
	rollout ro;
	random_rollout(&ro, N, 44);
	for (size_t t = 0; t < N; t++)
		ro.log_rho[t] = 0.0;
	gae_params pv = vtrace(0.99, 0.8, 1.0, 1.0), pg = gae(0.99, 0.8);
	gae_track tr = track_of(&ro);
	tr.log_rho = ro.log_rho;
	double adv_v[N], ret_v[N], adv_g[N], ret_g[N];
	gae_track_compute(&pv, &tr, adv_v, ret_v);
	gae_track_compute(&pg, &tr, adv_g, ret_g);
	for (size_t t = 0; t < N; t++)
		ck_assert_close(ret_v[t], ret_g[t], 1e-13, 1e-13);
}
END_TEST

START_TEST(test_td_target)
{
	ck_assert_double_eq(gae_td_target(0.99, 1.5, 1, 10.0), 1.5);
	ck_assert_close(gae_td_target(0.99, 1.5, 0, 10.0), 11.4, 1e-15, 0);
}
END_TEST

START_TEST(test_normalize)
{
	double x[N], kept[N];
	unsigned long long s = 3;
	for (size_t i = 0; i < N; i++) {
		x[i] = 10.0 * uniform(&s) + 3.0;
		kept[i] = i % 4 != 0;
	}
	double y[N];
	memcpy(y, x, sizeof x);
	gae_normalize(y, N, 1, NULL);
	double mean, std;
	ck_assert_uint_eq(gae_mean_std(y, N, 1, NULL, &mean, &std), N);
	ck_assert_close(mean, 0.0, 0, 1e-14);
	ck_assert_close(std, 1.0, 1e-7, 0); /* 1e-8 in the denominator */
	/* two-pass reference: unbiased variance */
	double m = 0, v = 0;
	for (size_t i = 0; i < N; i++)
		m += x[i] / N;
	for (size_t i = 0; i < N; i++)
		v += (x[i] - m) * (x[i] - m) / (N - 1);
	ck_assert_close(y[7], (x[7] - m) / (sqrt(v) + 1e-8), 1e-12, 1e-14);
	/* masked: statistics over the kept entries only, applied to all */
	memcpy(y, x, sizeof x);
	gae_normalize(y, N, 1, kept);
	ck_assert_uint_eq(gae_mean_std(y, N, 1, kept, &mean, &std), N - N / 4);
	ck_assert_close(mean, 0.0, 0, 1e-14);
	ck_assert_close(std, 1.0, 1e-7, 0);
	/* a constant input becomes zeros, one entry too */
	double c[3] = { 2, 2, 2 };
	gae_normalize(c, 3, 1, NULL);
	ck_assert_double_eq(c[0], 0.0);
	gae_normalize(c, 1, 1, NULL);
	ck_assert_double_eq(c[0], 0.0);
}
END_TEST

static Suite *gae_suite(void)
{
	Suite *s = suite_create("gae");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_check_values);
	tcase_add_test(tc, test_check_values_masked);
	tcase_add_test(tc, test_lambda_one_is_discounted_return_minus_value);
	tcase_add_test(tc, test_lambda_zero_is_td_error);
	tcase_add_test(tc, test_sum_form);
	tcase_add_test(tc, test_termination_does_not_leak);
	tcase_add_test(tc, test_truncation_bootstraps);
	tcase_add_test(tc, test_mask_skips_positions);
	tcase_add_test(tc, test_batch_time_major_equals_tracks);
	tcase_add_test(tc, test_batch_major_equals_tracks);
	tcase_add_test(tc, test_batch_float32_storage);
	tcase_add_test(tc, test_sb3_truncation_fold);
	tcase_add_test(tc, test_batch_check_flags);
	tcase_add_test(tc, test_vtrace_on_policy_is_n_step_return);
	tcase_add_test(tc, test_vtrace_sum_form);
	tcase_add_test(tc, test_vtrace_equals_gae_on_policy);
	tcase_add_test(tc, test_td_target);
	tcase_add_test(tc, test_normalize);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(gae_suite)
