/* Unit tests of lib/ppo: the check values of TOOLS.md, the KL clamps of
 * verl and OpenRLHF, clip fractions on constructed tokens, the four
 * aggregation modes on unequal masked sequences, the analytic gradient
 * against central finite differences for every objective, KL estimator
 * and aggregation, the invariant that the per-token contributions sum
 * to the loss, the vectorised common case against the general path, and
 * float32 columns against the same values in double. */
#include "ppo.h"
#include "unit.h"

#include <string.h>

enum { MAX_TOK = 64, MAX_SEQ = 8 };

static double uniform(unsigned long long *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) / 9007199254740992.0;
}

/* A batch with its storage. */
typedef struct fixture {
	ppo_token tok[MAX_TOK];
	size_t start[MAX_SEQ + 1];
	ppo_out outs[MAX_TOK];
	double contrib[MAX_TOK], grad[MAX_TOK];
	ppo_batch b;
} fixture;

static void fixture_wire(fixture *f, size_t n_seqs, unsigned fields)
{
	f->b.tokens = f->tok;
	f->b.seq_start = f->start;
	f->b.n_seqs = n_seqs;
	f->b.n_tokens = f->start[n_seqs];
	f->b.fields = fields;
}

/* Sequences of lengths 3, 7, 1, 5, 4 (20 tokens), one fully masked, a
 * few masked tokens elsewhere, log-ratios within +-0.6 so that some
 * tokens clip at 0.2, per-sequence advantages (Kimi needs them). */
static void random_batch(fixture *f, unsigned long long seed, unsigned fields)
{
	static const size_t len[] = { 3, 7, 1, 5, 4 };
	unsigned long long s = seed;
	size_t t = 0;
	f->start[0] = 0;
	for (size_t i = 0; i < 5; i++) {
		double adv = 2.0 * uniform(&s) - 1.0;
		for (size_t k = 0; k < len[i]; k++, t++) {
			ppo_token *x = &f->tok[t];
			x->old_logp = -0.2 - 2.0 * uniform(&s);
			x->logp = x->old_logp + 1.2 * uniform(&s) - 0.6;
			x->ref_logp = x->logp + 1.6 * uniform(&s) - 0.8;
			x->adv = adv;
			x->mask = (i == 2 || uniform(&s) < 0.15) ? 0.0 : 1.0;
			x->entropy = 2.0 * uniform(&s);
			x->old_value = 2.0 * uniform(&s) - 1.0;
			x->value = x->old_value + 1.2 * uniform(&s) - 0.6;
			x->ret = 2.0 * uniform(&s) - 1.0;
		}
		f->start[i + 1] = t;
	}
	fixture_wire(f, 5, fields);
}

static double batch_loss(const ppo_config *c, fixture *f)
{
	ppo_summary s;
	ck_assert_int_eq(ppo_batch_compute(c, &f->b, &s, NULL, NULL, NULL, NULL), 0);
	return s.loss;
}

/* Every token's analytic d loss / d logp against a central difference,
 * and the contributions summing to the loss. */
static void check_gradient(const ppo_config *c, fixture *f)
{
	ppo_summary s;
	ck_assert_int_eq(ppo_batch_compute(c, &f->b, &s, f->outs, f->contrib, f->grad, NULL), 0);
	double total = 0;
	for (size_t t = 0; t < f->b.n_tokens; t++)
		total += f->contrib[t];
	ck_assert_close(total, s.loss, 1e-12, 1e-14);
	const double h = 1e-6;
	for (size_t t = 0; t < f->b.n_tokens; t++) {
		double keep = f->tok[t].logp;
		f->tok[t].logp = keep + h;
		double up = batch_loss(c, f);
		f->tok[t].logp = keep - h;
		double down = batch_loss(c, f);
		f->tok[t].logp = keep;
		double numeric = (up - down) / (2 * h);
		ck_assert_msg(fabs(f->grad[t] - numeric) <= 1e-7 + 1e-6 * fabs(numeric),
			"token %zu: analytic %.12g, numeric %.12g", t, f->grad[t], numeric);
		if (f->tok[t].mask == 0)
			ck_assert(f->grad[t] == 0 && f->contrib[t] == 0);
	}
}

static ppo_config config(enum ppo_objective obj)
{
	ppo_config c;
	ppo_config_default(&c);
	c.objective = obj;
	if (obj == PPO_OBJ_KIMI)
		c.tau = 0.3;
	return c;
}

/* ------------------------------------------------------------------ */

START_TEST(kl_check_values)
{
	/* TOOLS.md: logp -1, ref -1.5 */
	double g;
	ck_assert_close(ppo_kl_estimate(PPO_KL_K1, PPO_KL_CLAMP_VERL, -1, -1.5, &g), 0.5, 1e-15, 0);
	ck_assert_close(g, 1.0, 0, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_K2, PPO_KL_CLAMP_VERL, -1, -1.5, &g), 0.125, 1e-15, 0);
	ck_assert_close(g, 0.5, 1e-15, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_K3, PPO_KL_CLAMP_VERL, -1, -1.5, &g), 0.1065307, 0, 5e-8);
	ck_assert_close(g, 1 - exp(-0.5), 1e-15, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_ABS, PPO_KL_CLAMP_VERL, -1, -1.5, &g), 0.5, 0, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_ABS, PPO_KL_CLAMP_VERL, -1.5, -1, &g), 0.5, 0, 0);
	ck_assert_close(g, -1.0, 0, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_NONE, PPO_KL_CLAMP_VERL, -1, -1.5, &g), 0, 0, 0);
}
END_TEST

START_TEST(kl_properties)
{
	/* k2 and k3 are non-negative and zero at d = 0; k3 ~ k2 for small d
	 * (both 0.5 d^2 to second order, Schulman 2020) */
	for (int i = -40; i <= 40; i++) {
		double d = i / 20.0, g;
		ck_assert(ppo_kl_estimate(PPO_KL_K2, PPO_KL_CLAMP_NONE, d, 0, &g) >= 0);
		ck_assert(ppo_kl_estimate(PPO_KL_K3, PPO_KL_CLAMP_NONE, d, 0, &g) >= 0);
	}
	double g;
	ck_assert_close(ppo_kl_estimate(PPO_KL_K3, PPO_KL_CLAMP_NONE, 0, 0, &g), 0, 0, 0);
	ck_assert_close(g, 0, 0, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_K3, PPO_KL_CLAMP_NONE, 1e-3, 0, &g),
		ppo_kl_estimate(PPO_KL_K2, PPO_KL_CLAMP_NONE, 1e-3, 0, NULL), 2e-3, 0);
}
END_TEST

START_TEST(kl_clamps)
{
	double g;
	/* verl: k3 = e^5 - 5 - 1 = 142.4 for logp - ref = -5, clamped to 10,
	 * gradient 0; TRL leaves it */
	ck_assert_close(ppo_kl_estimate(PPO_KL_K3, PPO_KL_CLAMP_VERL, -5, 0, &g), 10, 0, 0);
	ck_assert_close(g, 0, 0, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_K3, PPO_KL_CLAMP_NONE, -5, 0, &g), exp(5) - 6, 1e-14, 0);
	ck_assert_close(g, 1 - exp(5), 1e-14, 0);
	/* verl clamps only k3; OpenRLHF clamps every estimator */
	ck_assert_close(ppo_kl_estimate(PPO_KL_K1, PPO_KL_CLAMP_VERL, 12, 0, &g), 12, 0, 0);
	ck_assert_close(g, 1, 0, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_K1, PPO_KL_CLAMP_OPENRLHF, 12, 0, &g), 10, 0, 0);
	ck_assert_close(g, 0, 0, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_K1, PPO_KL_CLAMP_OPENRLHF, -12, 0, &g), -10, 0, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_K2, PPO_KL_CLAMP_OPENRLHF, 5, 0, &g), 10, 0, 0);
	ck_assert_close(ppo_kl_estimate(PPO_KL_K2, PPO_KL_CLAMP_OPENRLHF, 4, 0, &g), 8, 0, 0);
	ck_assert_close(g, 4, 0, 0);
	/* verl's exponent clamp: x = ref - logp = 30 becomes 20 */
	ck_assert_close(ppo_kl_estimate(PPO_KL_K3, PPO_KL_CLAMP_VERL, -30, 0, &g), 10, 0, 0);
	ck_assert(isfinite(ppo_kl_estimate(PPO_KL_K3, PPO_KL_CLAMP_VERL, -1e6, 0, &g)));
}
END_TEST

/* One token through ppo_token_terms with logp - old_logp = log r. */
static ppo_terms one_token(const ppo_config *c, double adv, double ratio)
{
	ppo_token t = { .logp = log(ratio) - 1.0, .old_logp = -1.0, .adv = adv, .mask = 1 };
	ppo_terms o;
	ppo_token_terms(c, 0, &t, &o);
	return o;
}

START_TEST(ppo_check_values)
{
	/* TOOLS.md: eps 0.2, c 3 */
	ppo_config c = config(PPO_OBJ_PPO);
	c.dual_clip = 3.0;
	ck_assert_close(one_token(&c, 1, 1.5).pg, -1.2, 1e-15, 0);
	ck_assert_close(one_token(&c, 1, 0.5).pg, -0.5, 1e-15, 0);
	ck_assert_close(one_token(&c, -1, 0.5).pg, 0.8, 1e-15, 0);
	ck_assert_close(one_token(&c, -1, 1.5).pg, 1.5, 1e-15, 0);
	ck_assert_close(one_token(&c, -1, 5.0).pg, 3.0, 1e-15, 0);
	c.dual_clip = 0;
	ck_assert_close(one_token(&c, -1, 5.0).pg, 5.0, 1e-14, 0);
	/* gradients: flat where a clip binds, -A r elsewhere */
	ck_assert_close(one_token(&c, 1, 1.5).d_pg, 0, 0, 0);
	ck_assert_close(one_token(&c, 1, 0.5).d_pg, -0.5, 1e-15, 0);
	ck_assert_close(one_token(&c, -1, 1.5).d_pg, 1.5, 1e-15, 0);
	/* clip-higher (DAPO): 0.28 above, 0.2 below */
	c.clip_high = 0.28;
	ck_assert_close(one_token(&c, 1, 1.5).pg, -1.28, 1e-15, 0);
	ck_assert_close(one_token(&c, 1, 1.25).pg, -1.25, 1e-15, 0);
	ck_assert_close(one_token(&c, -1, 0.5).pg, 0.8, 1e-15, 0);
}
END_TEST

START_TEST(pg_and_ratio_clamp)
{
	ppo_config c = config(PPO_OBJ_PG);
	ppo_token t = { .logp = -2.0, .old_logp = -1.0, .adv = 0.5, .mask = 1 };
	ppo_terms o;
	ppo_token_terms(&c, 0, &t, &o);
	ck_assert_close(o.pg, 1.0, 1e-15, 0);
	ck_assert_close(o.d_pg, -0.5, 1e-15, 0);
	/* verl: the log-ratio is clamped to [-20, 20] before exp */
	c = config(PPO_OBJ_PPO);
	c.clip_high = 1e9;
	t = (ppo_token){ .logp = 29.0, .old_logp = -1.0, .adv = 1.0, .mask = 1 };
	ppo_token_terms(&c, 0, &t, &o);
	ck_assert_close(o.ratio, exp(20.0), 1e-15, 0);
	ck_assert_close(o.d_pg, 0, 0, 0);
}
END_TEST

START_TEST(clip_fractions)
{
	/* five tokens, one of each kind, plus a masked one that would clip */
	static const double adv[] = { 1, -1, 1, -1, -1, 1 };
	static const double ratio[] = { 1.5, 0.5, 0.5, 1.5, 5.0, 9.0 };
	static const double mask[] = { 1, 1, 1, 1, 1, 0 };
	fixture f;
	for (size_t t = 0; t < 6; t++)
		f.tok[t] = (ppo_token){ .logp = log(ratio[t]) - 1, .old_logp = -1,
			.adv = adv[t], .mask = mask[t] };
	f.start[0] = 0;
	f.start[1] = 6;
	fixture_wire(&f, 1, 0);
	ppo_config c = config(PPO_OBJ_PPO);
	c.dual_clip = 3.0;
	ppo_summary s;
	ck_assert_int_eq(ppo_batch_compute(&c, &f.b, &s, NULL, NULL, NULL, NULL), 0);
	ck_assert_close(s.clipfrac_high, 0.2, 1e-15, 0);  /* (1, 1.5) */
	ck_assert_close(s.clipfrac_low, 0.2, 1e-15, 0);   /* (-1, 0.5) */
	ck_assert_close(s.clipfrac, 0.4, 1e-15, 0);
	ck_assert_close(s.clipfrac_dual, 0.2, 1e-15, 0);  /* (-1, 5) */
	ck_assert_uint_eq(s.tokens, 5);
	ck_assert_close(s.ratio_min, 0.5, 1e-15, 0);
	ck_assert_close(s.ratio_max, 5.0, 1e-14, 0);
	ck_assert_close(s.ratio_mean, (1.5 + 0.5 + 0.5 + 1.5 + 5.0) / 5, 1e-14, 0);
	/* token-mean of [-1.2, 0.8, -0.5, 1.5, 3.0] */
	ck_assert_close(s.pg_loss, 3.6 / 5, 1e-14, 0);
	/* CleanRL approx_kl: mean of (r - 1) - log r */
	double approx = 0;
	for (size_t t = 0; t < 5; t++)
		approx += (ratio[t] - 1) - log(ratio[t]);
	ck_assert_close(s.approx_kl, approx / 5, 1e-14, 0);
	/* verl's clipfrac is "the clipped loss is the larger"; ours agrees */
	for (size_t t = 0; t < 5; t++) {
		ppo_terms o = one_token(&c, adv[t], ratio[t]);
		double lo = 1 - c.clip_low, hi = 1 + c.clip_high;
		double r = ratio[t], rc = r < lo ? lo : r > hi ? hi : r;
		ck_assert_int_eq(o.clip_low || o.clip_high, -adv[t] * rc > -adv[t] * r);
	}
}
END_TEST

/* Lengths 2, 4 (last token masked), 3 (all masked); pg objective with
 * logp = -1 so that every kept token of sequence i loses A_i. */
static void unequal_batch(fixture *f)
{
	static const double adv[] = { 1, 1, 2, 2, 2, 2, 5, 5, 5 };
	static const double mask[] = { 1, 1, 1, 1, 1, 0, 0, 0, 0 };
	for (size_t t = 0; t < 9; t++)
		f->tok[t] = (ppo_token){ .logp = -1, .old_logp = -1, .adv = adv[t], .mask = mask[t] };
	f->start[0] = 0;
	f->start[1] = 2;
	f->start[2] = 6;
	f->start[3] = 9;
	fixture_wire(f, 3, 0);
}

START_TEST(aggregation_modes)
{
	fixture f;
	unequal_batch(&f);
	ppo_config c = config(PPO_OBJ_PG);
	ppo_summary s;
	/* losses: sequence 1 [1, 1], sequence 2 [2, 2, 2], sequence 3 empty */
	struct { enum ppo_agg agg; double loss, g1, g2; } want[] = {
		{ PPO_AGG_TOKEN_MEAN, 8.0 / 5, -1.0 / 5, -2.0 / 5 },
		{ PPO_AGG_SEQ_MEAN_TOKEN_SUM, 8.0 / 2, -1.0 / 2, -2.0 / 2 },
		{ PPO_AGG_SEQ_MEAN_TOKEN_MEAN, (1.0 + 2.0) / 2, -1.0 / 4, -2.0 / 6 },
		{ PPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM, 8.0 / 4, -1.0 / 4, -2.0 / 4 },
	};
	c.max_len = 4;
	for (size_t k = 0; k < 4; k++) {
		c.agg = want[k].agg;
		ck_assert_int_eq(ppo_batch_compute(&c, &f.b, &s, f.outs, f.contrib, f.grad, NULL), 0);
		ck_assert_close(s.pg_loss, want[k].loss, 1e-15, 0);
		ck_assert_close(f.grad[0], want[k].g1, 1e-15, 0);
		ck_assert_close(f.grad[1], want[k].g1, 1e-15, 0);
		ck_assert_close(f.grad[2], want[k].g2, 1e-15, 0);
		ck_assert_close(f.grad[5], 0, 0, 0);
		ck_assert_close(f.grad[8], 0, 0, 0);
		ck_assert_uint_eq(s.sequences, 3);
		ck_assert_uint_eq(s.sequences_counted, 2);
	}
	/* Dr.GRPO's point: token-mean weighs a token 1/sum(m) wherever it
	 * is; seq-mean-token-mean gives the short sequence's tokens more */
	c.agg = PPO_AGG_SEQ_MEAN_TOKEN_MEAN;
	ppo_batch_compute(&c, &f.b, &s, f.outs, f.contrib, f.grad, NULL);
	ck_assert(fabs(f.grad[0]) / 1.0 > fabs(f.grad[2]) / 2.0);
}
END_TEST

START_TEST(gradients_every_objective_kl_agg)
{
	static const enum ppo_objective objs[] = { PPO_OBJ_PPO, PPO_OBJ_PG, PPO_OBJ_KIMI };
	static const enum ppo_kl kls[] = { PPO_KL_NONE, PPO_KL_K1, PPO_KL_K2, PPO_KL_K3, PPO_KL_ABS };
	static const enum ppo_agg aggs[] = { PPO_AGG_TOKEN_MEAN, PPO_AGG_SEQ_MEAN_TOKEN_SUM,
		PPO_AGG_SEQ_MEAN_TOKEN_MEAN, PPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM };
	fixture f;
	random_batch(&f, 12345, PPO_HAS_REF | PPO_HAS_ENTROPY | PPO_HAS_VALUE);
	for (size_t o = 0; o < 3; o++)
		for (size_t k = 0; k < 5; k++)
			for (size_t a = 0; a < 4; a++) {
				ppo_config c = config(objs[o]);
				c.kl = kls[k];
				c.beta = kls[k] == PPO_KL_NONE ? 0 : 0.7;
				c.agg = aggs[a];
				c.max_len = 9;
				c.entropy_coef = 0.01;
				c.value_coef = 0.5;
				check_gradient(&c, &f);
			}
}
END_TEST

START_TEST(gradients_clip_variants_and_clamps)
{
	fixture f;
	random_batch(&f, 777, PPO_HAS_REF);
	ppo_config c = config(PPO_OBJ_PPO);
	c.clip_high = 0.28;      /* clip-higher */
	check_gradient(&c, &f);
	c.dual_clip = 1.3;       /* low enough to bind on this batch */
	check_gradient(&c, &f);
	for (int cl = 0; cl < 3; cl++) {
		c.kl = PPO_KL_K3;
		c.kl_clamp = (enum ppo_kl_clamp)cl;
		c.beta = 0.1;
		check_gradient(&c, &f);
	}
	/* whitened advantages are constants: the gradient still matches */
	c.normalize_adv = 1;
	check_gradient(&c, &f);
	ppo_summary s;
	ppo_batch_compute(&c, &f.b, &s, NULL, NULL, NULL, NULL);
	ck_assert(s.clipfrac_dual > 0 && s.clipfrac_low > 0 && s.clipfrac_high > 0);
}
END_TEST

START_TEST(kimi_loss)
{
	/* two sequences; s_i = sum of kept log-ratios */
	fixture f;
	static const double lr[] = { 0.1, -0.3, 0.4, 0.2, 0.5 };
	static const double mask[] = { 1, 1, 0, 1, 1 };
	static const double adv[] = { 0.5, 0.5, 0.5, -1.0, -1.0 };
	for (size_t t = 0; t < 5; t++)
		f.tok[t] = (ppo_token){ .logp = -1 + lr[t], .old_logp = -1, .adv = adv[t], .mask = mask[t] };
	f.start[0] = 0;
	f.start[1] = 3;
	f.start[2] = 5;
	fixture_wire(&f, 2, 0);
	ppo_config c = config(PPO_OBJ_KIMI);
	c.tau = 0.5;
	ppo_summary s;
	ck_assert_int_eq(ppo_batch_compute(&c, &f.b, &s, f.outs, f.contrib, f.grad, NULL), 0);
	double r1 = 0.5 - 0.5 * (0.1 - 0.3), r2 = -1.0 - 0.5 * (0.2 + 0.5);
	ck_assert_close(s.pg_loss, (r1 * r1 + r2 * r2) / 2, 1e-14, 0);
	/* eq. 3: the gradient is -2 tau (A - tau s) / n_seq per kept token */
	ck_assert_close(f.grad[0], -2 * 0.5 * r1 / 2, 1e-14, 0);
	ck_assert_close(f.grad[2], 0, 0, 0);
	ck_assert_close(f.grad[4], -2 * 0.5 * r2 / 2, 1e-14, 0);
	/* two advantages in one sequence is an error */
	f.tok[1].adv = 0.25;
	size_t bad = 99;
	ck_assert_int_eq(ppo_batch_compute(&c, &f.b, &s, NULL, NULL, NULL, &bad), -1);
	ck_assert_uint_eq(bad, 0);
	/* ... but not where the token is masked */
	f.tok[1].adv = 0.5;
	f.tok[2].adv = 7;
	ck_assert_int_eq(ppo_batch_compute(&c, &f.b, &s, NULL, NULL, NULL, &bad), 0);
}
END_TEST

START_TEST(value_loss)
{
	ppo_config c = config(PPO_OBJ_PPO);
	ppo_terms o;
	ppo_token t = { .logp = -1, .old_logp = -1, .mask = 1, .value = 1.0, .old_value = 0.5, .ret = 0.0 };
	c.value_clip = 0.2;
	ppo_token_terms(&c, PPO_HAS_VALUE, &t, &o);
	ck_assert_close(o.vf, 0.5, 1e-15, 0);        /* max(1, 0.49) / 2 */
	ck_assert_int_eq(o.vf_clipped, 0);
	t.ret = 1.0;                                  /* max(0, 0.09) / 2 */
	ppo_token_terms(&c, PPO_HAS_VALUE, &t, &o);
	ck_assert_close(o.vf, 0.045, 1e-14, 0);
	ck_assert_int_eq(o.vf_clipped, 1);
	c.value_clip = 0;                             /* off */
	ppo_token_terms(&c, PPO_HAS_VALUE, &t, &o);
	ck_assert_close(o.vf, 0, 0, 0);
}
END_TEST

START_TEST(advantage_whitening)
{
	fixture f;
	random_batch(&f, 99, 0);
	double shift, scale;
	ppo_adv_whitening(f.tok, f.b.n_tokens, &shift, &scale);
	double sum = 0, sum2 = 0, n = 0;
	for (size_t t = 0; t < f.b.n_tokens; t++) {
		if (f.tok[t].mask == 0)
			continue;
		double z = (f.tok[t].adv - shift) * scale;
		sum += z;
		sum2 += z * z;
		n++;
	}
	ck_assert_close(sum / n, 0, 0, 1e-12);
	ck_assert_close(sum2 / (n - 1), 1, 1e-6, 0);
}
END_TEST

START_TEST(empty_batch)
{
	fixture f;
	unequal_batch(&f);
	for (size_t t = 0; t < 9; t++)
		f.tok[t].mask = 0;
	ppo_config c = config(PPO_OBJ_PPO);
	ppo_summary s;
	ck_assert_int_eq(ppo_batch_compute(&c, &f.b, &s, f.outs, f.contrib, f.grad, NULL), 0);
	ck_assert_close(s.loss, 0, 0, 0);
	ck_assert_uint_eq(s.tokens, 0);
	ck_assert(isnan(s.ratio_mean) && isnan(s.ratio_min));
	for (size_t t = 0; t < 9; t++)
		ck_assert(f.grad[t] == 0 && f.contrib[t] == 0);
}
END_TEST

START_TEST(presets_and_checks)
{
	ppo_config c;
	ppo_config_preset(&c, PPO_PRESET_VERL);
	ck_assert_close(c.dual_clip, 3.0, 0, 0);
	ck_assert_int_eq(c.kl, PPO_KL_K3);
	ck_assert_int_eq(c.agg, PPO_AGG_TOKEN_MEAN);
	ck_assert_ptr_null(ppo_config_check(&c));
	ppo_config_preset(&c, PPO_PRESET_TRL);
	ck_assert_int_eq(c.kl_clamp, PPO_KL_CLAMP_NONE);
	ck_assert_close(c.dual_clip, 0, 0, 0);
	ppo_config_preset(&c, PPO_PRESET_OPENRLHF);
	ck_assert_int_eq(c.kl, PPO_KL_K1);
	ck_assert_int_eq(c.kl_clamp, PPO_KL_CLAMP_OPENRLHF);
	ppo_config_preset(&c, PPO_PRESET_CLEANRL);
	ck_assert_close(c.entropy_coef, 0.01, 0, 0);
	ck_assert_close(c.value_coef, 0.5, 0, 0);
	ck_assert_int_eq(c.normalize_adv, 1);
	ck_assert_ptr_null(ppo_config_check(&c));

	ppo_config_default(&c);
	c.dual_clip = 0.5;
	ck_assert_ptr_nonnull(ppo_config_check(&c));
	ppo_config_default(&c);
	c.objective = PPO_OBJ_KIMI;
	ck_assert_ptr_nonnull(ppo_config_check(&c));
	ppo_config_default(&c);
	c.agg = PPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM;
	ck_assert_ptr_nonnull(ppo_config_check(&c));
	ppo_config_default(&c);
	c.beta = 0.1;
	ck_assert_ptr_nonnull(ppo_config_check(&c));
	ck_assert_str_eq(ppo_agg_names[PPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM], "seq-mean-token-sum-norm");
	ck_assert_str_eq(ppo_kl_names[PPO_KL_ABS], "abs");
}
END_TEST

/* Two summaries of the same batch by two paths: the sums to rtol (0:
 * the same bits), counts and extremes exactly. */
static void summaries_agree(const ppo_summary *got, const ppo_summary *want, double rtol, double atol)
{
	ck_assert_close(got->loss, want->loss, rtol, atol);
	ck_assert_close(got->pg_loss, want->pg_loss, rtol, atol);
	ck_assert_close(got->kl, want->kl, rtol, atol);
	ck_assert_close(got->entropy, want->entropy, rtol, atol);
	ck_assert_close(got->clipfrac_low, want->clipfrac_low, rtol, atol);
	ck_assert_close(got->clipfrac_high, want->clipfrac_high, rtol, atol);
	ck_assert_close(got->clipfrac_dual, want->clipfrac_dual, rtol, atol);
	ck_assert_close(got->approx_kl, want->approx_kl, rtol, atol);
	ck_assert_close(got->ppo_kl, want->ppo_kl, rtol, atol);
	ck_assert_close(got->ratio_mean, want->ratio_mean, rtol, 0);
	ck_assert(got->ratio_min == want->ratio_min && got->ratio_max == want->ratio_max);
	ck_assert(got->tokens == want->tokens && got->sequences == want->sequences);
	ck_assert(got->sequences_counted == want->sequences_counted);
}

START_TEST(streaming_equals_batch)
{
	/* the accumulator fed token by token gives the batch's numbers */
	fixture f;
	random_batch(&f, 4242, PPO_HAS_REF | PPO_HAS_ENTROPY);
	ppo_config c = config(PPO_OBJ_PPO);
	c.kl = PPO_KL_K3;
	c.beta = 0.04;
	c.agg = PPO_AGG_SEQ_MEAN_TOKEN_MEAN;
	ppo_summary want, got;
	ppo_batch_compute(&c, &f.b, &want, NULL, NULL, NULL, NULL);
	ppo_acc a;
	ppo_acc_init(&a, &c, f.b.fields);
	for (size_t i = 0; i < f.b.n_seqs; i++) {
		for (size_t t = f.start[i]; t < f.start[i + 1]; t++)
			ppo_acc_token(&a, &f.tok[t], NULL);
		ck_assert_int_eq(ppo_acc_end_seq(&a, NULL, 0, NULL), 0);
	}
	ppo_acc_finish(&a, &got);
	/* one token at a time sums in another order: equal up to rounding */
	summaries_agree(&got, &want, 1e-14, 1e-16);
	ck_assert(want.has_kl && want.has_entropy && !want.has_value);
	ck_assert_close(want.loss, want.pg_loss + 0.04 * want.kl, 1e-15, 0);
}
END_TEST

START_TEST(vector_path_equals_general_path)
{
	/* without optional inputs or per-token outputs PPO-clip takes the
	 * four-lane path (ppo.c acc_plain); asking for outputs takes the
	 * general one.  Sequences of every length modulo 4 and across the
	 * 256-token block, whole groups of four masked, log-ratios past the
	 * clamp of 20: only the order of the sums may differ. */
	static const size_t len[] = { 1, 2, 3, 4, 5, 13, 300, 27, 257 };
	enum { N_SEQ = sizeof len / sizeof len[0], N = 612 };
	static ppo_token tok[N];
	static ppo_out outs[N];
	size_t start[N_SEQ + 1] = { 0 };
	unsigned long long s = 31337;
	size_t t = 0;
	for (size_t i = 0; i < N_SEQ; i++) {
		double adv = (i % 2 ? -1.0 : 1.0) * (0.1 + uniform(&s));
		for (size_t k = 0; k < len[i]; k++, t++) {
			ppo_token *x = &tok[t];
			x->old_logp = -0.1 - 3.0 * uniform(&s);
			x->logp = x->old_logp + uniform(&s) - 0.5;
			x->adv = adv;
			x->mask = (k / 4) % 5 == 3 ? 0.0 : uniform(&s) < 0.1 ? 0.0 : 1.0;
		}
		start[i + 1] = t;
	}
	ck_assert_uint_eq(t, N);
	/* log-ratios past the clamp, both ways */
	tok[101] = (ppo_token){ .logp = 24.0, .old_logp = -1.0, .adv = tok[101].adv, .mask = 1 };
	tok[333] = (ppo_token){ .logp = -31.0, .old_logp = -1.0, .adv = tok[333].adv, .mask = 1 };
	ppo_batch b = { tok, N, start, N_SEQ, 0 };
	for (int variant = 0; variant < 4; variant++) {
		ppo_config c = config(PPO_OBJ_PPO);
		c.clip_high = variant & 1 ? 0.28 : 0.2;
		c.dual_clip = variant & 1 ? 1.3 : 0;
		c.normalize_adv = variant >> 1;
		c.agg = variant & 2 ? PPO_AGG_SEQ_MEAN_TOKEN_MEAN : PPO_AGG_TOKEN_MEAN;
		ppo_summary vec, gen;
		ck_assert_int_eq(ppo_batch_compute(&c, &b, &vec, NULL, NULL, NULL, NULL), 0);
		ck_assert_int_eq(ppo_batch_compute(&c, &b, &gen, outs, NULL, NULL, NULL), 0);
		summaries_agree(&vec, &gen, 1e-13, 1e-16);
		/* the clamp bound somewhere, and every clip kind where it can */
		ck_assert_close(vec.ratio_max, exp(20.0), 1e-15, 0);
		ck_assert_close(vec.ratio_min, exp(-20.0), 1e-15, 0);
		ck_assert(vec.clipfrac_low > 0 && vec.clipfrac_high > 0);
		ck_assert(!(variant & 1) || vec.clipfrac_dual > 0);
	}
}
END_TEST

/* A summary from rows of a frame (columns logp, old_logp, advantage,
 * mask, ref_logp, entropy) fed as one sequence of n tokens, through the
 * float32 columns or through the same values widened to double. */
static void frame_summary(const ppo_config *c, unsigned fields, const float *rows,
	size_t n, int as_f32, ppo_summary *s)
{
	enum { DIM = 6 };
	static double wide[300 * DIM];
	ppo_acc a;
	ppo_acc_init(&a, c, fields);
	if (as_f32) {
		ppo_cols_f32 cf = { .n = n, .stride = DIM, .logp = rows, .old_logp = rows + 1,
			.adv = rows + 2, .mask = rows + 3, .ref_logp = rows + 4, .entropy = rows + 5 };
		ppo_acc_tokens_f32(&a, &cf);
	} else {
		for (size_t i = 0; i < n * DIM; i++)
			wide[i] = rows[i];
		ppo_cols cl = { .n = n, .stride = DIM, .logp = wide, .old_logp = wide + 1,
			.adv = wide + 2, .mask = wide + 3, .ref_logp = wide + 4, .entropy = wide + 5 };
		ppo_acc_tokens(&a, &cl, NULL);
	}
	ck_assert_int_eq(ppo_acc_end_seq(&a, NULL, 0, NULL), 0);
	ppo_acc_finish(&a, s);
}

START_TEST(float32_columns_equal_double)
{
	/* the same bits whichever path the configuration takes */
	enum { N = 300, DIM = 6 };
	static float rows[N * DIM];
	unsigned long long s = 2024;
	for (size_t t = 0; t < N; t++) {
		float *r = rows + t * DIM;
		r[1] = (float)(-0.1 - 3.0 * uniform(&s));
		r[0] = r[1] + (float)(uniform(&s) - 0.5);
		r[2] = 0.75f;
		r[3] = (t / 4) % 7 == 2 || uniform(&s) < 0.1 ? 0.0f : 1.0f;
		r[4] = r[0] + (float)(uniform(&s) - 0.5);
		r[5] = (float)(2.0 * uniform(&s));
	}
	struct { enum ppo_objective obj; enum ppo_kl kl; unsigned fields; } cases[] = {
		{ PPO_OBJ_PPO, PPO_KL_NONE, 0 },        /* the vectorised path */
		{ PPO_OBJ_PG, PPO_KL_NONE, 0 },
		{ PPO_OBJ_KIMI, PPO_KL_NONE, 0 },
		{ PPO_OBJ_PPO, PPO_KL_K3, PPO_HAS_REF | PPO_HAS_ENTROPY },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
		for (size_t n = N - 3; n <= N; n++) {
			ppo_config c = config(cases[k].obj);
			c.kl = cases[k].kl;
			c.beta = c.kl == PPO_KL_NONE ? 0 : 0.1;
			c.dual_clip = 3;
			ppo_summary narrow, wide;
			frame_summary(&c, cases[k].fields, rows, n, 1, &narrow);
			frame_summary(&c, cases[k].fields, rows, n, 0, &wide);
			summaries_agree(&narrow, &wide, 0, 0);
			ck_assert(narrow.tokens > 0);
		}
}
END_TEST

static Suite *ppo_suite(void)
{
	Suite *s = suite_create("ppo");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, kl_check_values);
	tcase_add_test(tc, kl_properties);
	tcase_add_test(tc, kl_clamps);
	tcase_add_test(tc, ppo_check_values);
	tcase_add_test(tc, pg_and_ratio_clamp);
	tcase_add_test(tc, clip_fractions);
	tcase_add_test(tc, aggregation_modes);
	tcase_add_test(tc, gradients_every_objective_kl_agg);
	tcase_add_test(tc, gradients_clip_variants_and_clamps);
	tcase_add_test(tc, kimi_loss);
	tcase_add_test(tc, value_loss);
	tcase_add_test(tc, advantage_whitening);
	tcase_add_test(tc, empty_batch);
	tcase_add_test(tc, presets_and_checks);
	tcase_add_test(tc, streaming_equals_batch);
	tcase_add_test(tc, vector_path_equals_general_path);
	tcase_add_test(tc, float32_columns_equal_double);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(ppo_suite)
