/* ppo: per-token policy losses, KL estimators, value loss, aggregation and
 * exact gradients.  See ppo.h and policy-optimization(7). */
#include "ppo.h"
#include "vmath.h"

#include <math.h>
#include <string.h>

const char *const ppo_objective_names[] = { "ppo", "pg", "kimi", NULL };
const char *const ppo_kl_names[] = { "none", "k1", "k2", "k3", "abs", NULL };
const char *const ppo_kl_clamp_names[] = { "verl", "openrlhf", "none", NULL };
const char *const ppo_agg_names[] = { "token-mean", "seq-mean-token-sum",
	"seq-mean-token-mean", "seq-mean-token-sum-norm", NULL };
const char *const ppo_preset_names[] = { "verl", "trl", "openrlhf", "cleanrl", NULL };

/* verl kl_penalty (low_var_kl) and OpenRLHF compute_approx_kl both clamp
 * the estimate to [-10, 10]; verl clamps k3's exponent to [-20, 20]. */
#define PPO_KL_VALUE_CLAMP 10.0
#define PPO_K3_EXP_CLAMP 20.0
/* CleanRL ppo.py: (A - mean) / (std + 1e-8) */
#define PPO_ADV_EPS 1e-8

void ppo_config_default(ppo_config *c)
{
	c->objective = PPO_OBJ_PPO;
	c->clip_low = 0.2;
	c->clip_high = 0.2;
	c->dual_clip = 0.0;
	c->kl = PPO_KL_NONE;
	c->kl_clamp = PPO_KL_CLAMP_VERL;
	c->beta = 0.0;
	c->agg = PPO_AGG_TOKEN_MEAN;
	c->max_len = 0.0;
	c->tau = 0.0;
	c->entropy_coef = 0.0;
	c->value_clip = 0.5;
	c->value_coef = 0.0;
	c->normalize_adv = 0;
}

/* Each framework's defaults for the loss it computes; the KL estimator is
 * the one it uses when its KL loss is switched on (beta stays 0, as every
 * one of them ships with the KL loss off). */
void ppo_config_preset(ppo_config *c, enum ppo_preset p)
{
	ppo_config_default(c);
	switch (p) {
	case PPO_PRESET_VERL:
		/* verl trainer/config/actor/actor.yaml: clip_ratio 0.2,
		 * clip_ratio_c 3.0, loss_agg_mode token-mean, entropy_coeff 0,
		 * use_kl_loss false, kl_loss_type low_var_kl (k3);
		 * critic.yaml cliprange_value 0.5 (separate optimiser). */
		c->dual_clip = 3.0;
		c->kl = PPO_KL_K3;
		c->kl_clamp = PPO_KL_CLAMP_VERL;
		break;
	case PPO_PRESET_TRL:
		/* TRL GRPOConfig: epsilon 0.2, epsilon_high = epsilon, beta 0,
		 * loss_type "dapo" (tokens of the whole batch), k3 unclamped;
		 * PPOConfig cliprange_value 0.2. */
		c->kl = PPO_KL_K3;
		c->kl_clamp = PPO_KL_CLAMP_NONE;
		c->value_clip = 0.2;
		break;
	case PPO_PRESET_OPENRLHF:
		/* OpenRLHF cli/train_ppo_ray.py: eps_clip 0.2, dual_clip None, kl_estimator k1
		 * clamped to [-10, 10], token-level loss, value_clip 0.5,
		 * use_kl_loss false (the KL goes into the reward instead). */
		c->kl = PPO_KL_K1;
		c->kl_clamp = PPO_KL_CLAMP_OPENRLHF;
		break;
	case PPO_PRESET_CLEANRL:
		/* CleanRL ppo.py: clip_coef 0.2 for policy and value, ent_coef
		 * 0.01, vf_coef 0.5, norm_adv True, plain means, no KL. */
		c->entropy_coef = 0.01;
		c->value_coef = 0.5;
		c->value_clip = 0.2;
		c->normalize_adv = 1;
		c->kl_clamp = PPO_KL_CLAMP_NONE;
		break;
	}
}

const char *ppo_config_check(const ppo_config *c)
{
	if (!(c->clip_low >= 0 && c->clip_low < 1))
		return "--clip-low must be in [0, 1)";
	if (!(c->clip_high >= 0))
		return "--clip-high must be >= 0";
	if (c->dual_clip != 0 && !(c->dual_clip > 1))
		return "--dual-clip must be greater than 1 (or 0 for off)";
	if (c->agg == PPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM && !(c->max_len > 0))
		return "--agg seq-mean-token-sum-norm needs --max-len";
	if (c->objective == PPO_OBJ_KIMI && !(c->tau > 0))
		return "--objective kimi needs --tau";
	if (c->beta != 0 && c->kl == PPO_KL_NONE)
		return "--beta needs a KL estimator (--kl k1|k2|k3|abs)";
	if (!(c->value_clip >= 0))
		return "--value-clip must be >= 0";
	return NULL;
}

/* Two selects, not a nested one: each compiles to a min or max
 * instruction instead of a branch. */
static inline double clamp(double x, double lo, double hi)
{
	double y = x < lo ? lo : x;
	return y > hi ? hi : y;
}

/* torch.clamp passes the gradient where lo <= x <= hi, else 0. */
static inline double clamp_grad(double x, double lo, double hi)
{
	return x >= lo && x <= hi ? 1.0 : 0.0;
}

/* k3's exponent x = ref - logp = -d (DeepSeekMath eq. 4), to [-20, 20]
 * under verl's clamp; *gx (may be NULL) gets dx / d logp. */
static inline double k3_exponent(enum ppo_kl_clamp cl, double logp, double ref_logp, double *gx)
{
	double x = ref_logp - logp, g = -1;
	if (cl == PPO_KL_CLAMP_VERL) {
		g *= clamp_grad(x, -PPO_K3_EXP_CLAMP, PPO_K3_EXP_CLAMP);
		x = clamp(x, -PPO_K3_EXP_CLAMP, PPO_K3_EXP_CLAMP);
	}
	if (gx)
		*gx = g;
	return x;
}

/* J. Schulman, "Approximating KL divergence" (2020); verl core_algos.py
 * kl_penalty, OpenRLHF models/utils.py compute_approx_kl.  Everything but
 * the exp: e = exp(k3_exponent(...)) when kind is k3, unused otherwise
 * (a block of tokens takes its exps in one vectorised pass). */
static inline double kl_estimate_at(enum ppo_kl kind, enum ppo_kl_clamp cl,
	double logp, double ref_logp, double e, double *d_logp)
{
	double d = logp - ref_logp, v = 0, g = 0;
	switch (kind) {
	case PPO_KL_NONE:
		break;
	case PPO_KL_K1:
		v = d;
		g = 1;
		break;
	case PPO_KL_K2:
		v = 0.5 * d * d;
		g = d;
		break;
	case PPO_KL_K3: {
		/* exp(x) - x - 1 */
		double gx, x = k3_exponent(cl, logp, ref_logp, &gx);
		v = e - x - 1;
		g = (e - 1) * gx;
		break;
	}
	case PPO_KL_ABS:
		v = fabs(d);
		g = d > 0 ? 1 : d < 0 ? -1 : 0;
		break;
	}
	int clamp_value = cl == PPO_KL_CLAMP_OPENRLHF
		|| (cl == PPO_KL_CLAMP_VERL && kind == PPO_KL_K3);
	if (clamp_value) {
		g *= clamp_grad(v, -PPO_KL_VALUE_CLAMP, PPO_KL_VALUE_CLAMP);
		v = clamp(v, -PPO_KL_VALUE_CLAMP, PPO_KL_VALUE_CLAMP);
	}
	if (d_logp)
		*d_logp = g;
	return v;
}

double ppo_kl_estimate(enum ppo_kl kind, enum ppo_kl_clamp cl,
	double logp, double ref_logp, double *d_logp)
{
	double e = kind == PPO_KL_K3 ? vmath_exp(k3_exponent(cl, logp, ref_logp, NULL)) : 0.0;
	return kl_estimate_at(kind, cl, logp, ref_logp, e, d_logp);
}

/* PPO-clip, verl compute_policy_loss_vanilla: max(-A r, -A clip(r)), then
 * for A < 0 the dual clip min(., -A C) (Ye et al. 2020, eq. 5).
 * d_ratio is d r / d logp (r, or 0 where the log-ratio clamp binds).
 * Written without branches on the data: clipping is a coin flip per
 * token, and a mispredicted branch costs more than the arithmetic. */
static inline void ppo_clip_loss(const ppo_config *c, double adv, double ratio,
	double d_ratio, ppo_terms *o)
{
	double lo = 1 - c->clip_low, hi = 1 + c->clip_high;
	double plain = -adv * ratio, clipped = -adv * clamp(ratio, lo, hi);
	double loss = plain > clipped ? plain : clipped;
	/* the clipped surrogate wins exactly where these hold; there it is
	 * flat in logp */
	o->clip_low = (adv < 0) & (ratio < lo);
	o->clip_high = (adv > 0) & (ratio > hi);
	double d_loss = (o->clip_low | o->clip_high) ? 0.0 : -adv * d_ratio;
	double cap = ((adv < 0) & (c->dual_clip > 0)) ? -adv * c->dual_clip : INFINITY;
	o->clip_dual = loss > cap;
	o->pg = loss < cap ? loss : cap;
	o->d_pg = o->clip_dual ? 0.0 : d_loss;
}

/* PPO's clipped value loss (verl compute_value_loss, CleanRL ppo.py). */
static inline void ppo_value_loss(const ppo_config *c, const ppo_token *t, ppo_terms *o)
{
	double err = t->value - t->ret;
	double l_plain = err * err;
	if (c->value_clip == 0) {
		o->vf = 0.5 * l_plain;
		return;
	}
	double v_clip = t->old_value + clamp(t->value - t->old_value, -c->value_clip, c->value_clip);
	double l_clip = (v_clip - t->ret) * (v_clip - t->ret);
	o->vf_clipped = l_clip > l_plain;
	o->vf = 0.5 * (o->vf_clipped ? l_clip : l_plain);
}

/* The clamped log-ratio of verl compute_policy_loss_vanilla. */
static inline double log_ratio_of(const ppo_token *t)
{
	return clamp(t->logp - t->old_logp, -PPO_LOG_RATIO_CLAMP, PPO_LOG_RATIO_CLAMP);
}

/* Whether a token's terms take k3's exp. */
static int takes_k3(const ppo_config *c, unsigned fields)
{
	return c->kl == PPO_KL_K3 && (fields & PPO_HAS_REF);
}

/* Everything of a token but the exps: ratio = exp(log_ratio_of(t)) and,
 * when takes_k3, kl_exp = exp(k3_exponent(...)). */
static inline __attribute__((always_inline)) void token_terms_at_ratio(const ppo_config *c,
	unsigned fields, const ppo_token *t, double ratio, double kl_exp, ppo_terms *o)
{
	*o = (ppo_terms){ 0 };
	double raw = t->logp - t->old_logp;
	o->log_ratio = log_ratio_of(t);
	o->ratio = ratio;
	double d_ratio = ratio * clamp_grad(raw, -PPO_LOG_RATIO_CLAMP, PPO_LOG_RATIO_CLAMP);
	switch (c->objective) {
	case PPO_OBJ_PPO:
		ppo_clip_loss(c, t->adv, ratio, d_ratio, o);
		break;
	case PPO_OBJ_PG:
		/* REINFORCE: -A log pi (verl compute_policy_loss_gpg) */
		o->pg = -t->adv * t->logp;
		o->d_pg = -t->adv;
		break;
	case PPO_OBJ_KIMI:
		break;
	}
	if (c->kl != PPO_KL_NONE && (fields & PPO_HAS_REF))
		o->kl = kl_estimate_at(c->kl, c->kl_clamp, t->logp, t->ref_logp, kl_exp, &o->d_kl);
	if (fields & PPO_HAS_VALUE)
		ppo_value_loss(c, t, o);
}

void ppo_token_terms(const ppo_config *c, unsigned fields, const ppo_token *t,
	ppo_terms *o)
{
	double kl_exp = takes_k3(c, fields)
		? vmath_exp(k3_exponent(c->kl_clamp, t->logp, t->ref_logp, NULL)) : 0.0;
	token_terms_at_ratio(c, fields, t, vmath_exp(log_ratio_of(t)), kl_exp, o);
}

void ppo_acc_init(ppo_acc *a, const ppo_config *c, unsigned fields)
{
	*a = (ppo_acc){ 0 };
	a->cfg = *c;
	a->fields = fields;
	a->adv_scale = 1.0;
	a->ratio_min = INFINITY;
	a->ratio_max = -INFINITY;
}

_Static_assert(sizeof(ppo_token) % sizeof(double) == 0, "ppo_token holds doubles only");

ppo_cols ppo_cols_of_tokens(const ppo_token *t, size_t n)
{
	ppo_cols c = {
		.n = n, .stride = sizeof *t / sizeof(double),
		.logp = &t->logp, .old_logp = &t->old_logp, .adv = &t->adv, .mask = &t->mask,
		.ref_logp = &t->ref_logp, .entropy = &t->entropy, .value = &t->value,
		.old_value = &t->old_value, .ret = &t->ret,
	};
	return c;
}

/* Token i of the columns, advantages whitened. */
static inline __attribute__((always_inline)) void token_at(const ppo_acc *a,
	const ppo_cols *cl, size_t i, unsigned fields, ppo_token *t)
{
	size_t k = i * cl->stride;
	t->logp = cl->logp[k];
	t->old_logp = cl->old_logp[k];
	t->adv = (cl->adv[k] - a->adv_shift) * a->adv_scale;
	t->mask = cl->mask ? cl->mask[k] : 1.0;
	t->ref_logp = (fields & PPO_HAS_REF) ? cl->ref_logp[k] : 0.0;
	t->entropy = (fields & PPO_HAS_ENTROPY) ? cl->entropy[k] : 0.0;
	int v = (fields & PPO_HAS_VALUE) != 0;
	t->value = v ? cl->value[k] : 0.0;
	t->old_value = v ? cl->old_value[k] : 0.0;
	t->ret = v ? cl->ret[k] : 0.0;
}

/* Kimi needs one advantage per sequence: remember the first kept token's. */
static void ppo_acc_seq_adv(ppo_acc *a, double adv)
{
	if (!a->seq_adv_set) {
		a->seq_adv = adv;
		a->seq_adv_set = 1;
	} else if (adv != a->seq_adv) {
		a->seq_adv_mixed = 1;
	}
}

/* The sums of a run of tokens, kept in locals so that the loop runs in
 * registers. */
typedef struct run_sums {
	double m, pg, kl, ent, vf, log_ratio;
	double clip_low, clip_high, clip_dual, vf_clip, ratio, approx_kl, ppo_kl;
	double ratio_min, ratio_max;
	uint64_t tokens;
} run_sums;

/* Terms of absent inputs are 0 and not summed: with FIELDS a constant the
 * compiler drops them. */
static inline __attribute__((always_inline)) void run_sums_add(run_sums *s,
	unsigned fields, const ppo_token *t, const ppo_terms *tm)
{
	double m = t->mask;
	s->m += m;
	s->pg += m * tm->pg;
	if (fields & PPO_HAS_REF)
		s->kl += m * tm->kl;
	if (fields & PPO_HAS_ENTROPY)
		s->ent += m * t->entropy;
	if (fields & PPO_HAS_VALUE) {
		s->vf += m * tm->vf;
		s->vf_clip += m * tm->vf_clipped;
	}
	s->log_ratio += m * (t->logp - t->old_logp);
	s->clip_low += m * tm->clip_low;
	s->clip_high += m * tm->clip_high;
	s->clip_dual += m * tm->clip_dual;
	s->ratio += m * tm->ratio;
	/* CleanRL approx_kl: (r - 1) - log r; verl ppo_kl: -log r */
	s->approx_kl += m * ((tm->ratio - 1) - tm->log_ratio);
	s->ppo_kl -= m * tm->log_ratio;
	int kept = m > 0;
	s->tokens += (uint64_t)kept;
	double r_lo = kept ? tm->ratio : INFINITY, r_hi = kept ? tm->ratio : -INFINITY;
	s->ratio_min = r_lo < s->ratio_min ? r_lo : s->ratio_min;
	s->ratio_max = r_hi > s->ratio_max ? r_hi : s->ratio_max;
}

static void run_sums_merge(ppo_acc *a, const run_sums *s)
{
	a->seq_m += s->m;
	a->seq_pg += s->pg;
	a->seq_kl += s->kl;
	a->seq_ent += s->ent;
	a->seq_vf += s->vf;
	a->seq_log_ratio += s->log_ratio;
	a->w_clip_low += s->clip_low;
	a->w_clip_high += s->clip_high;
	a->w_clip_dual += s->clip_dual;
	a->w_vf_clip += s->vf_clip;
	a->w_ratio += s->ratio;
	a->w_approx_kl += s->approx_kl;
	a->w_ppo_kl += s->ppo_kl;
	a->tokens += s->tokens;
	if (s->ratio_min < a->ratio_min)
		a->ratio_min = s->ratio_min;
	if (s->ratio_max > a->ratio_max)
		a->ratio_max = s->ratio_max;
}

/* Tokens in blocks: the exps first, in a loop of their own, so that the
 * accumulating loop makes no call and keeps its sums in registers (every
 * floating-point register is caller-saved on x86-64). */
enum { PPO_BLOCK = 256 };

static inline __attribute__((always_inline)) void acc_block(ppo_acc *a,
	const ppo_cols *cl, size_t base, size_t n, unsigned fields, ppo_out *outs,
	run_sums *sums)
{
	const ppo_config *c = &a->cfg;
	run_sums s = *sums;     /* a local: no store through a pointer per token */
	double ratio[PPO_BLOCK], kl_exp[PPO_BLOCK];
	int k3 = takes_k3(c, fields);
	ppo_token t;
	for (size_t i = 0; i < n; i++) {
		size_t k = (base + i) * cl->stride;
		t.logp = cl->logp[k];
		t.old_logp = cl->old_logp[k];
		ratio[i] = log_ratio_of(&t);
		kl_exp[i] = k3 ? k3_exponent(c->kl_clamp, t.logp, cl->ref_logp[k], NULL) : 0.0;
	}
	vmath_exp_array(ratio, n);
	if (k3)
		vmath_exp_array(kl_exp, n);
	for (size_t i = 0; i < n; i++) {
		ppo_terms tm;
		token_at(a, cl, base + i, fields, &t);
		token_terms_at_ratio(c, fields, &t, ratio[i], kl_exp[i], &tm);
		run_sums_add(&s, fields, &t, &tm);
		if (c->objective == PPO_OBJ_KIMI && t.mask > 0)
			ppo_acc_seq_adv(a, t.adv);
		if (outs) {
			ppo_out *o = &outs[base + i];
			o->mask = t.mask;
			o->agg_c = t.mask * (tm.pg + c->beta * tm.kl - c->entropy_coef * t.entropy
				+ c->value_coef * tm.vf);
			o->agg_g = t.mask * (tm.d_pg + c->beta * tm.d_kl);
			o->kimi_c = 0;
			o->kimi_g = 0;
		}
	}
	*sums = s;
}

/* No optional inputs, no outputs, another objective than PPO's. */
static void acc_block_plain(ppo_acc *a, const ppo_cols *cl, size_t base, size_t n, run_sums *s)
{
	acc_block(a, cl, base, n, 0, NULL, s);
}

static void acc_block_any(ppo_acc *a, const ppo_cols *cl, size_t base, size_t n,
	ppo_out *outs, run_sums *s)
{
	acc_block(a, cl, base, n, a->fields, outs, s);
}

/* ---- the common case, four tokens at a time --------------------------
 * PPO-clip with no optional inputs and no per-token outputs (what a
 * trainer's batch without a reference policy asks for): the same IEEE
 * operations as token_terms_at_ratio and run_sums_add, token for token,
 * on vectors of four (vmath.h), with the sums kept per lane and added
 * across the lanes at the end of the run.  Only the order of the
 * summation differs from the general path.  Each loop is compiled twice
 * on x86-64 (baseline and AVX2, chosen at run time, the same bits). */

typedef vmath_vd vd;
typedef vmath_vu vu;

/* The sums of run_sums, one per lane. */
typedef struct lane_sums {
	vd m, pg, log_ratio, clip_low, clip_high, clip_dual, ratio, approx_kl, ppo_kl;
	vd ratio_min, ratio_max;
	vu kept;
} lane_sums;

/* What the kernel needs of the configuration, as vectors. */
typedef struct clip_params {
	vd lo, hi;              /* 1 - clip_low, 1 + clip_high */
	vd dual;                /* the dual clip C */
	vu dual_on;             /* all ones when C > 0 */
	vd adv_shift, adv_scale;
} clip_params;

#define SELECT VMATH_SELECT
/* m times 1 where the comparison mask is set, else times 0: for m >= 0
 * the bits of m or +0, which the mask selects without a product */
#define M_WHERE(m, mask) ((vd)((vu)(m) & (vu)(mask)))

typedef float vf __attribute__((vector_size(16)));

/* Four tokens from the strided columns, rows i .. i+3, built in
 * registers (lanes stored one by one and loaded whole would stall the
 * load on four stores).  From doubles (cl) or from float32 (cf, widened
 * by one conversion of four); the mask first, as a group with every mask
 * 0 needs nothing else. */
#define COLUMN4(col) { (col)[k], (col)[k + st], (col)[k + 2 * st], (col)[k + 3 * st] }

static inline __attribute__((always_inline)) void gather_mask4(const ppo_cols *cl,
	const ppo_cols_f32 *cf, size_t i, vd *mask)
{
	size_t st = cl ? cl->stride : cf->stride, k = i * st;
	if (cl)
		*mask = cl->mask ? (vd)COLUMN4(cl->mask) : (vd){ 1, 1, 1, 1 };
	else
		*mask = cf->mask ? __builtin_convertvector((vf)COLUMN4(cf->mask), vd) : (vd){ 1, 1, 1, 1 };
}

static inline __attribute__((always_inline)) void gather4(const ppo_cols *cl,
	const ppo_cols_f32 *cf, size_t i, vd *logp, vd *old_logp, vd *adv)
{
	size_t st = cl ? cl->stride : cf->stride, k = i * st;
	if (cl) {
		*logp = (vd)COLUMN4(cl->logp);
		*old_logp = (vd)COLUMN4(cl->old_logp);
		*adv = (vd)COLUMN4(cl->adv);
	} else {
		*logp = __builtin_convertvector((vf)COLUMN4(cf->logp), vd);
		*old_logp = __builtin_convertvector((vf)COLUMN4(cf->old_logp), vd);
		*adv = __builtin_convertvector((vf)COLUMN4(cf->adv), vd);
	}
}
#undef COLUMN4

/* The last 1 to 3 tokens, rows i .. end-1; the lanes past them are zero
 * (mask 0: they add nothing). */
static void gather_tail(const ppo_cols *cl, const ppo_cols_f32 *cf, size_t i, size_t end,
	vd *logp, vd *old_logp, vd *adv, vd *mask)
{
	double col[4][VMATH_LANES] = { { 0 } };
	for (size_t j = 0; i + j < end; j++) {
		if (cl) {
			size_t k = (i + j) * cl->stride;
			col[0][j] = cl->logp[k];
			col[1][j] = cl->old_logp[k];
			col[2][j] = cl->adv[k];
			col[3][j] = cl->mask ? cl->mask[k] : 1.0;
		} else {
			size_t k = (i + j) * cf->stride;
			col[0][j] = cf->logp[k];
			col[1][j] = cf->old_logp[k];
			col[2][j] = cf->adv[k];
			col[3][j] = cf->mask ? cf->mask[k] : 1.0;
		}
	}
	memcpy(logp, col[0], sizeof *logp);
	memcpy(old_logp, col[1], sizeof *old_logp);
	memcpy(adv, col[2], sizeof *adv);
	memcpy(mask, col[3], sizeof *mask);
}

/* A block of tokens as contiguous columns, in groups of four.  The work
 * goes in three passes over it (columns in; exps; losses and sums) rather
 * than one: each loop body is then short enough for the processor to run
 * several groups at once, where one long body would wait on the latency
 * of the exp's chain of operations. */
enum { PLAIN_GROUPS = PPO_BLOCK / VMATH_LANES };

typedef struct plain_block {
	vd raw[PLAIN_GROUPS];       /* logp - old_logp */
	vd log_ratio[PLAIN_GROUPS]; /* clamped (log_ratio_of) */
	vd ratio[PLAIN_GROUPS];
	vd adv[PLAIN_GROUPS], mask[PLAIN_GROUPS];
} plain_block;

/* Group g of the block from its four tokens. */
static inline __attribute__((always_inline)) void plain_columns(const clip_params *p,
	const vd *logp, const vd *old_logp, const vd *adv, const vd *mask,
	plain_block *b, size_t g)
{
	const vd zero = { 0, 0, 0, 0 };
	vd raw = *logp - *old_logp;
	vd lr = SELECT(raw < -PPO_LOG_RATIO_CLAMP, zero - PPO_LOG_RATIO_CLAMP, raw);
	b->raw[g] = raw;
	b->log_ratio[g] = SELECT(lr > PPO_LOG_RATIO_CLAMP, zero + PPO_LOG_RATIO_CLAMP, lr);
	b->adv[g] = (*adv - p->adv_shift) * p->adv_scale;   /* token_at's whitening */
	b->mask[g] = *mask;
}

/* A group whose every mask is 0 adds exact zeros to every sum (its inputs
 * are finite and its ratio bounded): it is left out.  Padded batches are
 * full of them, in runs, so that the branch is well predicted. */
static inline __attribute__((always_inline)) int any_kept(const vd *mask)
{
	vu nonzero = (vu)(*mask != 0);
	return ((nonzero[0] | nonzero[1]) | (nonzero[2] | nonzero[3])) != 0;
}

/* ppo_clip_loss and run_sums_add on group g. */
static inline __attribute__((always_inline)) void plain_sums(const clip_params *p,
	const plain_block *b, size_t g, lane_sums *s)
{
	const vd zero = { 0, 0, 0, 0 };
	vd a = b->adv[g], m = b->mask[g], ratio = b->ratio[g], lr = b->log_ratio[g];
	vd r_lo = SELECT(ratio < p->lo, p->lo, ratio);
	vd r_clamped = SELECT(r_lo > p->hi, p->hi, r_lo);
	vd plain = -a * ratio, clipped = -a * r_clamped;
	vd loss = SELECT(plain > clipped, plain, clipped);
	vu neg = (vu)(a < 0);
	vu clip_low = neg & (vu)(ratio < p->lo);
	vu clip_high = (vu)(a > 0) & (vu)(ratio > p->hi);
	vd cap = SELECT(neg & p->dual_on, -a * p->dual, zero + INFINITY);
	vu clip_dual = (vu)(loss > cap);
	vd pg = SELECT(loss < cap, loss, cap);
	s->m += m;
	s->pg += m * pg;
	s->log_ratio += m * b->raw[g];
	s->clip_low += M_WHERE(m, clip_low);
	s->clip_high += M_WHERE(m, clip_high);
	s->clip_dual += M_WHERE(m, clip_dual);
	s->ratio += m * ratio;
	s->approx_kl += m * ((ratio - 1) - lr);
	s->ppo_kl -= m * lr;
	vu kept = (vu)(m > 0);
	s->kept -= kept;    /* all ones is -1 */
	s->ratio_min = SELECT(kept & (vu)(ratio < s->ratio_min), ratio, s->ratio_min);
	s->ratio_max = SELECT(kept & (vu)(ratio > s->ratio_max), ratio, s->ratio_max);
}

/* Tokens base .. base+n-1 (n <= PPO_BLOCK) into the lane sums. */
static inline __attribute__((always_inline)) void plain_block_run(const ppo_cols *cl,
	const ppo_cols_f32 *cf, const clip_params *p, size_t base, size_t n,
	plain_block *b, lane_sums *sums)
{
	vd logp, old_logp, adv, mask;
	size_t full = n / VMATH_LANES, groups = 0;
	for (size_t g = 0; g < full; g++) {
		size_t i = base + g * VMATH_LANES;
		gather_mask4(cl, cf, i, &mask);
		if (!any_kept(&mask))
			continue;
		gather4(cl, cf, i, &logp, &old_logp, &adv);
		plain_columns(p, &logp, &old_logp, &adv, &mask, b, groups++);
	}
	if (full * VMATH_LANES < n) {
		gather_tail(cl, cf, base + full * VMATH_LANES, base + n, &logp, &old_logp, &adv, &mask);
		if (any_kept(&mask))
			plain_columns(p, &logp, &old_logp, &adv, &mask, b, groups++);
	}
	for (size_t g = 0; g < groups; g++)
		vmath_exp4(&b->log_ratio[g], &b->ratio[g]);
	lane_sums s = *sums;    /* in registers, not stored per group */
	for (size_t g = 0; g < groups; g++)
		plain_sums(p, b, g, &s);
	*sums = s;
}

/* Exactly one of cl, cf is not NULL; both are constants where this is
 * inlined, so that each caller below gets its own gathering loop. */
static inline __attribute__((always_inline)) void plain_run(const ppo_cols *cl,
	const ppo_cols_f32 *cf, const clip_params *p, lane_sums *sums)
{
	plain_block b;
	size_t n_tokens = cl ? cl->n : cf->n;
	for (size_t base = 0; base < n_tokens; base += PPO_BLOCK) {
		size_t n = n_tokens - base < PPO_BLOCK ? n_tokens - base : PPO_BLOCK;
		plain_block_run(cl, cf, p, base, n, &b, sums);
	}
}

static void plain_run_f64(const ppo_cols *cl, const clip_params *p, lane_sums *s)
{
	plain_run(cl, NULL, p, s);
}

static void plain_run_f32(const ppo_cols_f32 *cf, const clip_params *p, lane_sums *s)
{
	plain_run(NULL, cf, p, s);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PPO_AVX2 1
/* The same loops compiled for AVX2, where four doubles fill a register;
 * the same operations in the same order, so the same bits. */
__attribute__((target("avx2"), flatten))
static void plain_run_f64_avx2(const ppo_cols *cl, const clip_params *p, lane_sums *s)
{
	plain_run(cl, NULL, p, s);
}

__attribute__((target("avx2"), flatten))
static void plain_run_f32_avx2(const ppo_cols_f32 *cf, const clip_params *p, lane_sums *s)
{
	plain_run(NULL, cf, p, s);
}
#endif

/* The lanes in a fixed order: (0 + 1) + (2 + 3). */
static double lanes_sum(const vd *v)
{
	return ((*v)[0] + (*v)[1]) + ((*v)[2] + (*v)[3]);
}

/* The common case on either kind of columns. */
static void acc_plain(const ppo_acc *a, const ppo_cols *cl, const ppo_cols_f32 *cf,
	run_sums *out)
{
	const ppo_config *c = &a->cfg;
	const vd zero = { 0, 0, 0, 0 };
	clip_params p = {
		.lo = zero + (1 - c->clip_low), .hi = zero + (1 + c->clip_high),
		.dual = zero + c->dual_clip, .dual_on = (vu)(zero + c->dual_clip > 0),
		.adv_shift = zero + a->adv_shift, .adv_scale = zero + a->adv_scale,
	};
	lane_sums s;
	memset(&s, 0, sizeof s);
	s.ratio_min = zero + INFINITY;
	s.ratio_max = zero - INFINITY;
#ifdef PPO_AVX2
	if (__builtin_cpu_supports("avx2")) {
		if (cl)
			plain_run_f64_avx2(cl, &p, &s);
		else
			plain_run_f32_avx2(cf, &p, &s);
	} else
#endif
	if (cl)
		plain_run_f64(cl, &p, &s);
	else
		plain_run_f32(cf, &p, &s);
	out->m += lanes_sum(&s.m);
	out->pg += lanes_sum(&s.pg);
	out->log_ratio += lanes_sum(&s.log_ratio);
	out->clip_low += lanes_sum(&s.clip_low);
	out->clip_high += lanes_sum(&s.clip_high);
	out->clip_dual += lanes_sum(&s.clip_dual);
	out->ratio += lanes_sum(&s.ratio);
	out->approx_kl += lanes_sum(&s.approx_kl);
	out->ppo_kl += lanes_sum(&s.ppo_kl);
	for (int j = 0; j < VMATH_LANES; j++) {
		out->tokens += s.kept[j];
		if (s.ratio_min[j] < out->ratio_min)
			out->ratio_min = s.ratio_min[j];
		if (s.ratio_max[j] > out->ratio_max)
			out->ratio_max = s.ratio_max[j];
	}
}

/* The vectorised path takes PPO-clip without optional inputs or outputs. */
static int takes_plain(const ppo_acc *a, const ppo_out *outs)
{
	return a->fields == 0 && !outs && a->cfg.objective == PPO_OBJ_PPO;
}

void ppo_acc_tokens(ppo_acc *a, const ppo_cols *cl, ppo_out *outs)
{
	run_sums s = { .ratio_min = INFINITY, .ratio_max = -INFINITY };
	if (takes_plain(a, outs)) {
		acc_plain(a, cl, NULL, &s);
	} else {
		for (size_t base = 0; base < cl->n; base += PPO_BLOCK) {
			size_t n = cl->n - base < PPO_BLOCK ? cl->n - base : PPO_BLOCK;
			if (a->fields == 0 && !outs)
				acc_block_plain(a, cl, base, n, &s);
			else
				acc_block_any(a, cl, base, n, outs, &s);
		}
	}
	run_sums_merge(a, &s);
}

/* Float32 columns: the common case reads them directly; any other
 * widens a block of tokens at a time and sums them as ppo_acc_tokens
 * would, so that both give the same bits. */
void ppo_acc_tokens_f32(ppo_acc *a, const ppo_cols_f32 *cf)
{
	run_sums s = { .ratio_min = INFINITY, .ratio_max = -INFINITY };
	if (takes_plain(a, NULL)) {
		acc_plain(a, NULL, cf, &s);
		run_sums_merge(a, &s);
		return;
	}
	ppo_token tok[PPO_BLOCK];
	for (size_t base = 0; base < cf->n; base += PPO_BLOCK) {
		size_t n = cf->n - base < PPO_BLOCK ? cf->n - base : PPO_BLOCK;
		for (size_t i = 0; i < n; i++) {
			size_t k = (base + i) * cf->stride;
#define AT(col, dflt) (cf->col ? (double)cf->col[k] : (dflt))
			tok[i] = (ppo_token){
				.logp = cf->logp[k], .old_logp = cf->old_logp[k], .adv = cf->adv[k],
				.mask = AT(mask, 1.0), .ref_logp = AT(ref_logp, 0.0),
				.entropy = AT(entropy, 0.0), .value = AT(value, 0.0),
				.old_value = AT(old_value, 0.0), .ret = AT(ret, 0.0),
			};
#undef AT
		}
		ppo_cols cl = ppo_cols_of_tokens(tok, n);
		if (a->fields == 0)
			acc_block_plain(a, &cl, 0, n, &s);
		else
			acc_block_any(a, &cl, 0, n, NULL, &s);
	}
	run_sums_merge(a, &s);
}

void ppo_acc_token(ppo_acc *a, const ppo_token *t, ppo_out *out)
{
	ppo_cols cl = ppo_cols_of_tokens(t, 1);
	ppo_acc_tokens(a, &cl, out);
}

/* The weight a sequence's sums get in the batch sum (verl agg_loss). */
static double ppo_seq_factor(const ppo_config *c, double mask_sum)
{
	return c->agg == PPO_AGG_SEQ_MEAN_TOKEN_MEAN ? 1.0 / mask_sum : 1.0;
}

int ppo_acc_end_seq(ppo_acc *a, ppo_out *outs, size_t n, ppo_seq_info *info)
{
	const ppo_config *c = &a->cfg;
	ppo_seq_info si = { 0 };
	si.mask_sum = a->seq_m;
	si.log_ratio_sum = a->seq_log_ratio;
	si.adv = a->seq_adv;
	int mixed = a->seq_adv_mixed && c->objective == PPO_OBJ_KIMI;
	a->sequences++;
	if (a->seq_m > 0) {
		si.factor = ppo_seq_factor(c, a->seq_m);
		a->sequences_counted++;
		a->sum_m += a->seq_m;
		a->sum_pg += si.factor * a->seq_pg;
		a->sum_kl += si.factor * a->seq_kl;
		a->sum_ent += si.factor * a->seq_ent;
		a->sum_vf += si.factor * a->seq_vf;
		if (c->objective == PPO_OBJ_KIMI) {
			/* Kimi k1.5 eq. 2 with tau log Z ~ mean reward: (A - tau s)^2 */
			double resid = si.adv - c->tau * si.log_ratio_sum;
			si.kimi_loss = resid * resid;
			a->kimi_sum += si.kimi_loss;
		}
	}
	for (size_t i = 0; outs && i < n; i++) {
		ppo_out *o = &outs[i];
		o->agg_c *= si.factor;
		o->agg_g *= si.factor;
		if (c->objective == PPO_OBJ_KIMI && a->seq_m > 0) {
			/* the sequence loss shared by mask weight; d/d logp_t of
			 * (A - tau s)^2 is -2 tau (A - tau s) m_t (eq. 3 up to
			 * the factor -2 tau) */
			o->kimi_c = si.kimi_loss * o->mask / a->seq_m;
			o->kimi_g = -2 * c->tau * (si.adv - c->tau * si.log_ratio_sum) * o->mask;
		}
	}
	if (info)
		*info = si;
	a->seq_m = a->seq_pg = a->seq_kl = a->seq_ent = a->seq_vf = 0;
	a->seq_log_ratio = a->seq_adv = 0;
	a->seq_adv_set = a->seq_adv_mixed = 0;
	return mixed ? -1 : 0;
}

static double ppo_div(double num, double den)
{
	return den > 0 ? num / den : 0.0;
}

void ppo_acc_finish(const ppo_acc *a, ppo_summary *s)
{
	const ppo_config *c = &a->cfg;
	*s = (ppo_summary){ 0 };
	switch (c->agg) {
	case PPO_AGG_TOKEN_MEAN:
		s->agg_divisor = a->sum_m;
		break;
	case PPO_AGG_SEQ_MEAN_TOKEN_SUM:
	case PPO_AGG_SEQ_MEAN_TOKEN_MEAN:
		s->agg_divisor = (double)a->sequences_counted;
		break;
	case PPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM:
		s->agg_divisor = a->sequences_counted ? c->max_len : 0.0;
		break;
	}
	s->kimi_divisor = (double)a->sequences_counted;
	s->has_kl = c->kl != PPO_KL_NONE && (a->fields & PPO_HAS_REF);
	s->has_entropy = (a->fields & PPO_HAS_ENTROPY) != 0;
	s->has_value = (a->fields & PPO_HAS_VALUE) != 0;
	s->pg_loss = c->objective == PPO_OBJ_KIMI
		? ppo_div(a->kimi_sum, s->kimi_divisor)
		: ppo_div(a->sum_pg, s->agg_divisor);
	s->kl = ppo_div(a->sum_kl, s->agg_divisor);
	s->entropy = ppo_div(a->sum_ent, s->agg_divisor);
	s->value_loss = ppo_div(a->sum_vf, s->agg_divisor);
	/* a term with coefficient 0 is left out, not added as 0 * x */
	s->loss = s->pg_loss;
	if (c->beta != 0)
		s->loss += c->beta * s->kl;
	if (c->entropy_coef != 0)
		s->loss -= c->entropy_coef * s->entropy;
	if (c->value_coef != 0)
		s->loss += c->value_coef * s->value_loss;
	s->clipfrac_low = ppo_div(a->w_clip_low, a->sum_m);
	s->clipfrac_high = ppo_div(a->w_clip_high, a->sum_m);
	s->clipfrac = ppo_div(a->w_clip_low + a->w_clip_high, a->sum_m);
	s->clipfrac_dual = ppo_div(a->w_clip_dual, a->sum_m);
	s->vf_clipfrac = ppo_div(a->w_vf_clip, a->sum_m);
	s->approx_kl = ppo_div(a->w_approx_kl, a->sum_m);
	s->ppo_kl = ppo_div(a->w_ppo_kl, a->sum_m);
	s->ratio_mean = a->sum_m > 0 ? a->w_ratio / a->sum_m : NAN;
	s->ratio_min = a->tokens ? a->ratio_min : NAN;
	s->ratio_max = a->tokens ? a->ratio_max : NAN;
	s->tokens = a->tokens;
	s->sequences = a->sequences;
	s->sequences_counted = a->sequences_counted;
}

void ppo_out_final(const ppo_summary *s, const ppo_out *o, double *contrib, double *grad)
{
	double c = ppo_div(o->agg_c, s->agg_divisor) + ppo_div(o->kimi_c, s->kimi_divisor);
	double g = ppo_div(o->agg_g, s->agg_divisor) + ppo_div(o->kimi_g, s->kimi_divisor);
	if (contrib)
		*contrib = c;
	if (grad)
		*grad = g;
}

void ppo_adv_whitening(const ppo_token *tokens, size_t n, double *shift, double *scale)
{
	/* Welford's weighted mean and variance (West 1979) */
	double w_sum = 0, mean = 0, m2 = 0;
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		double w = tokens[i].mask;
		if (!(w > 0))
			continue;
		kept++;
		w_sum += w;
		double delta = tokens[i].adv - mean;
		mean += delta * w / w_sum;
		m2 += w * delta * (tokens[i].adv - mean);
	}
	/* unbiased, as torch.std: sum(m (A - mean)^2) / (sum(m) - 1) */
	double std = kept > 1 && w_sum > 1 ? sqrt(m2 / (w_sum - 1)) : 0.0;
	*shift = mean;
	*scale = 1.0 / (std + PPO_ADV_EPS);
}

int ppo_batch_compute(const ppo_config *c, const ppo_batch *b, ppo_summary *s,
	ppo_out *outs, double *contrib, double *grad, size_t *bad_seq)
{
	ppo_acc a;
	ppo_acc_init(&a, c, b->fields);
	if (c->normalize_adv)
		ppo_adv_whitening(b->tokens, b->n_tokens, &a.adv_shift, &a.adv_scale);
	int status = 0;
	for (size_t i = 0; i < b->n_seqs; i++) {
		size_t lo = b->seq_start[i], hi = b->seq_start[i + 1];
		ppo_cols cl = ppo_cols_of_tokens(&b->tokens[lo], hi - lo);
		ppo_acc_tokens(&a, &cl, outs ? &outs[lo] : NULL);
		if (ppo_acc_end_seq(&a, outs ? &outs[lo] : NULL, hi - lo, NULL) < 0 && status == 0) {
			status = -1;
			if (bad_seq)
				*bad_seq = i;
		}
	}
	ppo_acc_finish(&a, s);
	for (size_t t = 0; outs && t < b->n_tokens; t++)
		ppo_out_final(s, &outs[t], contrib ? &contrib[t] : NULL, grad ? &grad[t] : NULL);
	return status;
}
