/* gae: the backward recursions of actor-critic returns and advantages.
 * See gae.h for the layouts and man/man7/actor-critic.7 for the math. */
#include "gae.h"

#include <math.h>

void gae_carry_init(gae_carry *c, double bootstrap)
{
	c->value = bootstrap;
	c->ret = bootstrap;
	c->acc = 0.0;
	c->adv = 0.0;
}

/* GAE (Schulman et al. 2016, eq. 16) as Stable-Baselines3's
 * RolloutBuffer.compute_returns_and_advantage and CleanRL's ppo.py compute
 * it backwards:
 *   delta_t = r_t + gamma V_{t+1} - V_t        (V_{t+1} = 0 after a termination)
 *   A_t     = delta_t + gamma lambda A_{t+1}   (A_{t+1} = 0 after any end)
 * A truncated step bootstraps from the value of its final observation, the
 * fix of Stable-Baselines3 issue #633 (there folded into the reward).
 * V-trace (IMPALA, Espeholt et al. 2018, eq. 1; scalable_agent vtrace.py
 * from_importance_weights) weights the same recursion:
 *   delta_t = rho_t (r_t + gamma V_{t+1} - V_t),  rho_t = min(rho_bar, pi/mu)
 *   v_t - V_t = delta_t + gamma c_t (v_{t+1} - V_{t+1}),
 *                                  c_t = lambda min(c_bar, pi/mu)
 *   advantage_t = rho_t (r_t + gamma v_{t+1} - V_t)
 * so that on-policy with lambda = 1 it is the n-step return.  A masked step
 * is skipped: value and advantage carry across it, and it reports the
 * advantage of the next kept step (verl core_algos.py
 * compute_gae_advantage_return, response_mask). */
static inline void backstep(const gae_params *p, gae_carry *c, double r, double v,
	int end, double next_value, double log_rho, int kept,
	double *adv, double *ret)
{
	if (!kept) {
		*adv = c->adv;
		*ret = c->adv + v;
		return;
	}
	double v_next = c->value, ret_next = c->ret, cont = 1.0;
	if (end == GAE_TERMINATED) {
		v_next = 0.0;
		ret_next = 0.0;
		cont = 0.0;
	} else if (end == GAE_TRUNCATED) {
		v_next = next_value;
		ret_next = next_value;
		cont = 0.0;
	}
	double rho = 1.0, trace = p->lambda;
	if (p->vtrace) {
		double ratio = exp(log_rho);
		rho = fmin(p->rho_bar, ratio);
		trace = p->lambda * fmin(p->c_bar, ratio);
	}
	double acc = rho * (r + p->gamma * v_next - v) + p->gamma * trace * cont * c->acc;
	*ret = v + acc;
	*adv = p->vtrace ? rho * (r + p->gamma * ret_next - v) : acc;
	c->value = v;
	c->ret = *ret;
	c->acc = acc;
	c->adv = *adv;
}

void gae_backstep(const gae_params *p, gae_carry *c, double r, double v,
	int end, double next_value, double log_rho, int kept,
	double *adv, double *ret)
{
	backstep(p, c, r, v, end, next_value, log_rho, kept, adv, ret);
}

void gae_track_compute(const gae_params *p, const gae_track *tr,
	double *adv, double *ret)
{
	gae_carry carry;
	gae_carry_init(&carry, tr->bootstrap);
	for (size_t t = tr->n; t-- > 0;) {
		size_t i = tr->index ? tr->index[t] : t * tr->stride;
		int end = tr->end ? tr->end[i] : GAE_CONTINUE;
		double next_value = tr->next_value ? tr->next_value[i] : 0.0;
		double log_rho = tr->log_rho ? tr->log_rho[i] : 0.0;
		int kept = tr->kept ? tr->kept[i] != 0.0 : 1;
		backstep(p, &carry, tr->reward[i], tr->value[i], end,
			next_value, log_rho, kept, &adv[i], &ret[i]);
	}
}

/* Batch arrays are float32 or float64; the branch is the same for every
 * element, so it predicts perfectly. */
static inline double load(const void *a, size_t i, int f64)
{
	return f64 ? ((const double *)a)[i] : (double)((const float *)a)[i];
}

static inline void store(void *a, size_t i, int f64, double x)
{
	if (f64)
		((double *)a)[i] = x;
	else
		((float *)a)[i] = (float)x;
}

double gae_batch_get(const gae_batch *b, const void *array, size_t i)
{
	return load(array, i, b->f64);
}

static int is_flag(double x)
{
	return x == 0.0 || x == 1.0;
}

static int first_non_flag(const void *a, size_t n, int f64, size_t *bad_index)
{
	for (size_t i = 0; a && i < n; i++) {
		if (!is_flag(load(a, i, f64))) {
			*bad_index = i;
			return -1;
		}
	}
	return 0;
}

int gae_batch_check(const gae_batch *b, size_t *bad_index, const char **which)
{
	size_t n = b->T * b->E;
	if (first_non_flag(b->episode_start, n, b->f64, bad_index) != 0) {
		*which = "dones";
		return -1;
	}
	if (first_non_flag(b->kept, n, b->f64, bad_index) != 0) {
		*which = "mask";
		return -1;
	}
	if (first_non_flag(b->last_done, b->E, b->f64, bad_index) != 0) {
		*which = "last-dones";
		return -1;
	}
	return 0;
}

/* Environments processed together, so that a time-major row is read once
 * per block: the carries live on the stack, no allocation. */
enum { GAE_BLOCK = 64 };

static void batch_block(const gae_params *p, const gae_batch *b,
	size_t e0, size_t n_env, void *adv, void *ret)
{
	gae_carry carry[GAE_BLOCK];
	int f64 = b->f64;
	for (size_t k = 0; k < n_env; k++)
		gae_carry_init(&carry[k], load(b->last_value, e0 + k, f64));
	for (size_t t = b->T; t-- > 0;) {
		for (size_t k = 0; k < n_env; k++) {
			size_t e = e0 + k, i = t * b->t_stride + e * b->e_stride;
			/* CleanRL ppo.py: nextnonterminal = 1 - dones[t + 1],
			 * and 1 - next_done for the last step */
			double terminated = t + 1 < b->T
				? load(b->episode_start, i + b->t_stride, f64)
				: (b->last_done ? load(b->last_done, e, f64) : 0.0);
			int end = terminated != 0.0 ? GAE_TERMINATED : GAE_CONTINUE;
			int kept = b->kept ? load(b->kept, i, f64) != 0.0 : 1;
			double log_rho = b->log_rho ? load(b->log_rho, i, f64) : 0.0;
			double a, r;
			backstep(p, &carry[k], load(b->reward, i, f64), load(b->value, i, f64),
				end, 0.0, log_rho, kept, &a, &r);
			store(adv, i, f64, a);
			store(ret, i, f64, r);
		}
	}
}

void gae_batch_compute(const gae_params *p, const gae_batch *b, void *adv, void *ret)
{
	/* batch-major data is walked one environment at a time */
	size_t block = b->e_stride == 1 ? GAE_BLOCK : 1;
	for (size_t e0 = 0; e0 < b->E; e0 += block) {
		size_t n_env = b->E - e0 < block ? b->E - e0 : block;
		batch_block(p, b, e0, n_env, adv, ret);
	}
}

double gae_td_target(double gamma, double reward, int terminated, double next_value)
{
	/* Lillicrap et al. 2015, Algorithm 1: y_i = r_i + gamma Q'(s_{i+1},
	 * mu'(s_{i+1})); Stable-Baselines3 td3.py: (1 - dones) masks it */
	return terminated ? reward : reward + gamma * next_value;
}

/* Welford's running mean and sum of squared deviations. */
typedef struct welford {
	size_t count;
	double mean, m2;
} welford;

static inline void welford_add(welford *w, double x)
{
	w->count++;
	double d = x - w->mean;
	w->mean += d / (double)w->count;
	w->m2 += d * (x - w->mean);
}

/* torch.std's default (unbiased, n - 1), as CleanRL's advantages.std() */
static double welford_std(const welford *w)
{
	return w->count > 1 ? sqrt(w->m2 / (double)(w->count - 1)) : 0.0;
}

size_t gae_mean_std(const double *x, size_t n, size_t stride,
	const double *kept, double *mean, double *std)
{
	welford w = { 0 };
	for (size_t i = 0; i < n; i++)
		if (!kept || kept[i * stride] != 0.0)
			welford_add(&w, x[i * stride]);
	*mean = w.mean;
	*std = welford_std(&w);
	return w.count;
}

void gae_normalize(double *x, size_t n, size_t stride, const double *kept)
{
	double mean, std;
	gae_mean_std(x, n, stride, kept, &mean, &std);
	double denom = std + GAE_NORM_EPS;
	for (size_t i = 0; i < n; i++)
		x[i * stride] = (x[i * stride] - mean) / denom;
}

void gae_batch_normalize(const gae_batch *b, void *adv)
{
	size_t n = b->T * b->E;
	welford w = { 0 };
	for (size_t i = 0; i < n; i++)
		if (!b->kept || load(b->kept, i, b->f64) != 0.0)
			welford_add(&w, load(adv, i, b->f64));
	double denom = welford_std(&w) + GAE_NORM_EPS;
	for (size_t i = 0; i < n; i++)
		store(adv, i, b->f64, (load(adv, i, b->f64) - w.mean) / denom);
}
