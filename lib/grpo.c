/* grpo: group-relative advantages (see grpo.h and man/man7/grpo.7).
 *
 * References, read for the formulas (no code taken):
 *   verl trainer/ppo/core_algos.py: compute_grpo_outcome_advantage
 *     (id2mean/id2std per index, torch.std, epsilon 1e-6, a group of one
 *     gets mean 0 and std 1), compute_rloo_outcome_advantage (scores *
 *     n/(n-1) - mean * n/(n-1)), compute_reinforce_plus_plus_baseline_
 *     outcome_advantage (r - group mean, then verl_F.masked_whiten).
 *   TRL trainer/grpo_trainer.py: mean_grouped_rewards / std over
 *     num_generations, advantages / (std + 1e-4), scale_rewards "group",
 *     "batch" (rewards.std() of the whole batch) or "none".
 *   DeepSeekMath (Shao et al. 2024) 4.1.2 outcome and 4.1.3 process
 *   supervision; Dr. GRPO (Liu et al. 2025); Kimi k1.5 (2025) 2.3.3. */
#include "grpo.h"

#include <math.h>

const char *const grpo_estimator_names[] = {
	"grpo", "dr-grpo", "rloo", "reinforce-baseline", "kimi", NULL
};
const char *const grpo_scale_names[] = { "group", "batch", "none", NULL };
const char *const grpo_std_names[] = { "unbiased", "population", NULL };
const char *const grpo_singleton_names[] = { "zero", "raw", NULL };

void grpo_options_init(grpo_options *o)
{
	o->estimator = GRPO_GRPO;
	o->scale = GRPO_SCALE_GROUP;
	o->std = GRPO_STD_UNBIASED;
	o->singleton = GRPO_SINGLETON_ZERO;
	o->eps = GRPO_EPS_VERL;
}

/* Item i owns the values x[offset[i] .. offset[i+1]) when offset is given,
 * else the single value x[i]. */
static size_t item_begin(const size_t *offset, size_t i)
{
	return offset ? offset[i] : i;
}

static size_t item_end(const size_t *offset, size_t i)
{
	return offset ? offset[i + 1] : i + 1;
}

/* group == NULL puts every item in group 0 (the batch statistics). */
static size_t group_of(const size_t *group, size_t i)
{
	return group ? group[i] : 0;
}

/* The two passes of grpo_group_stats over items that may own several
 * values (the steps of process supervision).  Pass 1: Welford's running
 * mean, which stays exactly x when every value is x (a plain sum of 16 x
 * 0.35 divided by 16 is not 0.35).  Pass 2: squared deviations from that
 * mean, with the corrected two-pass refinement (Chan, Golub and LeVeque
 * 1983): the residual sum d of deviations moves the mean by d/n and takes
 * d^2/n off the squares.  For equal inputs d == 0 and sum_sq == 0
 * exactly; a one-pass S2 - S1^2/n would leave residue that a tiny std then
 * blows up into large advantages (NeMo-RL PR 4161). */
static void stats_two_pass(const double *x, const size_t *offset,
	const size_t *group, size_t n, grpo_group *groups, size_t n_groups)
{
	for (size_t k = 0; k < n_groups; k++) {
		groups[k].count = 0;
		groups[k].mean = 0.0;
		groups[k].sum_sq = 0.0;
		groups[k].resid = 0.0;
	}
	for (size_t i = 0; i < n; i++) {
		grpo_group *g = &groups[group_of(group, i)];
		for (size_t j = item_begin(offset, i); j < item_end(offset, i); j++) {
			g->count++;
			g->mean += (x[j] - g->mean) / (double)g->count;
		}
	}
	for (size_t i = 0; i < n; i++) {
		grpo_group *g = &groups[group_of(group, i)];
		for (size_t j = item_begin(offset, i); j < item_end(offset, i); j++) {
			double d = x[j] - g->mean;
			g->resid += d;
			g->sum_sq += d * d;
		}
	}
	for (size_t k = 0; k < n_groups; k++) {
		grpo_group *g = &groups[k];
		if (g->count > 0 && g->resid != 0.0) {
			g->mean += g->resid / (double)g->count;
			g->sum_sq -= g->resid * g->resid / (double)g->count;
			if (g->sum_sq < 0.0)
				g->sum_sq = 0.0;
		}
	}
}

void grpo_group_stats(const double *x, const size_t *group, size_t n,
	grpo_group *groups, size_t n_groups)
{
	stats_two_pass(x, NULL, group, n, groups, n_groups);
}

static double std_from(double sum_sq, size_t count, enum grpo_std kind)
{
	if (count == 0 || (kind == GRPO_STD_UNBIASED && count < 2))
		return NAN;
	double dof = kind == GRPO_STD_UNBIASED ? (double)(count - 1) : (double)count;
	return sqrt(sum_sq / dof);
}

double grpo_group_std(const grpo_group *g, enum grpo_std kind)
{
	return std_from(g->sum_sq, g->count, kind);
}

void grpo_batch_stats(const double *x, size_t n, enum grpo_std kind,
	double *mean, double *std)
{
	grpo_group all;
	stats_two_pass(x, NULL, NULL, n, &all, 1);
	*mean = n > 0 ? all.mean : NAN;
	*std = grpo_group_std(&all, kind);
}

static int groups_valid(const size_t *group, size_t n, size_t n_groups)
{
	for (size_t i = 0; i < n; i++)
		if (group[i] >= n_groups)
			return 0;
	return 1;
}

/* The advantage of value x of group g, before any batch whitening.  One
 * place for every estimator's baseline and scale. */
static double group_relative(const grpo_options *o, const grpo_group *g,
	double x, double batch_std)
{
	double centered, spread;
	int singleton = g->count == 1;
	if (singleton) {
		if (o->singleton == GRPO_SINGLETON_ZERO)
			return 0.0;  /* its own baseline, as TRL's zero-std group */
		centered = x;    /* verl: id2mean 0, id2std 1 */
		spread = 1.0;
	} else {
		if (g->sum_sq == 0.0)
			return 0.0;  /* all equal: exactly 0, even with --eps 0 */
		centered = x - g->mean;
		spread = grpo_group_std(g, o->std);
	}
	switch (o->estimator) {
	case GRPO_GRPO:
		if (o->scale == GRPO_SCALE_NONE)
			return centered;
		if (o->scale == GRPO_SCALE_BATCH && !isnan(batch_std))
			spread = batch_std;  /* TRL scale_rewards="batch" */
		return centered / (spread + o->eps);
	case GRPO_RLOO:
		/* mean of the others = (n mean - x)/(n - 1), so x minus it is
		 * n/(n-1) (x - mean); verl leaves a group of one as it is */
		if (singleton)
			return centered;
		return centered * (double)g->count / (double)(g->count - 1);
	case GRPO_DR_GRPO:
	case GRPO_REINFORCE_BASELINE:
	case GRPO_KIMI:
		break;
	}
	return centered;
}

/* verl_F.masked_whiten with every completion counted once:
 * (x - mean) / sqrt(var + 1e-8). */
static void whiten(double *x, size_t n, enum grpo_std kind)
{
	grpo_group all;
	stats_two_pass(x, NULL, NULL, n, &all, 1);
	double std = grpo_group_std(&all, kind);
	if (isnan(std)) {
		/* a batch of one: nothing to compare it with */
		for (size_t i = 0; i < n; i++)
			x[i] = 0.0;
		return;
	}
	double inv = 1.0 / sqrt(std * std + GRPO_WHITEN_EPS);
	for (size_t i = 0; i < n; i++)
		x[i] = (x[i] - all.mean) * inv;
}

static double batch_std_for(const grpo_options *o, const double *x, size_t n)
{
	double mean, std = NAN;
	if (o->estimator == GRPO_GRPO && o->scale == GRPO_SCALE_BATCH)
		grpo_batch_stats(x, n, o->std, &mean, &std);
	return std;
}

int grpo_advantages(const grpo_options *o, const double *reward,
	const size_t *group, size_t n, grpo_group *groups, size_t n_groups,
	double *adv)
{
	if (!groups_valid(group, n, n_groups))
		return -1;
	stats_two_pass(reward, NULL, group, n, groups, n_groups);
	double batch_std = batch_std_for(o, reward, n);
	for (size_t i = 0; i < n; i++)
		adv[i] = group_relative(o, &groups[group[i]], reward[i], batch_std);
	if (o->estimator == GRPO_REINFORCE_BASELINE)
		whiten(adv, n, o->std);
	return 0;
}

void grpo_length_rewards(const double *length, const unsigned char *correct,
	const size_t *group, size_t n, grpo_group *groups, size_t n_groups,
	double *len_reward)
{
	for (size_t k = 0; k < n_groups; k++) {
		groups[k].len_min = INFINITY;
		groups[k].len_max = -INFINITY;
	}
	for (size_t i = 0; i < n; i++) {
		grpo_group *g = &groups[group[i]];
		g->len_min = fmin(g->len_min, length[i]);
		g->len_max = fmax(g->len_max, length[i]);
	}
	for (size_t i = 0; i < n; i++) {
		const grpo_group *g = &groups[group[i]];
		double range = g->len_max - g->len_min;
		if (range == 0.0) {
			len_reward[i] = 0.0;
			continue;
		}
		double lambda = 0.5 - (length[i] - g->len_min) / range;
		len_reward[i] = correct[i] ? lambda : fmin(0.0, lambda);
	}
}

static int steps_valid(const size_t *step_end, const size_t *step_offset,
	const size_t *token_offset, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t n_tokens = token_offset[i + 1] - token_offset[i];
		for (size_t s = step_offset[i]; s < step_offset[i + 1]; s++) {
			if (step_end[s] >= n_tokens)
				return 0;
			if (s > step_offset[i] && step_end[s] <= step_end[s - 1])
				return 0;
		}
	}
	return 1;
}

/* DeepSeekMath 4.1.3: A_{i,t} = sum of normalized step rewards over the
 * steps j of completion i with index(j) >= t.  Walk the tokens backward,
 * adding a step's reward when its last token is reached. */
static void steps_to_tokens(const double *step_norm, const size_t *step_end,
	size_t first_step, size_t end_step, double *adv, size_t n_tokens)
{
	double acc = 0.0;
	size_t s = end_step;
	for (size_t t = n_tokens; t-- > 0;) {
		while (s > first_step && step_end[s - 1] >= t) {
			acc += step_norm[s - 1];
			s--;
		}
		adv[t] = acc;
	}
}

int grpo_process_advantages(const grpo_options *o, const double *step_reward,
	const size_t *step_end, const size_t *step_offset, const size_t *group,
	size_t n, grpo_group *groups, size_t n_groups, const size_t *token_offset,
	double *step_norm, double *token_adv)
{
	if (o->estimator != GRPO_GRPO && o->estimator != GRPO_DR_GRPO)
		return -1;
	if (!groups_valid(group, n, n_groups)
	    || !steps_valid(step_end, step_offset, token_offset, n))
		return -1;
	stats_two_pass(step_reward, step_offset, group, n, groups, n_groups);
	double batch_std = batch_std_for(o, step_reward, step_offset[n]);
	for (size_t i = 0; i < n; i++) {
		const grpo_group *g = &groups[group[i]];
		for (size_t s = step_offset[i]; s < step_offset[i + 1]; s++)
			step_norm[s] = group_relative(o, g, step_reward[s], batch_std);
		steps_to_tokens(step_norm, step_end, step_offset[i], step_offset[i + 1],
			token_adv + token_offset[i], token_offset[i + 1] - token_offset[i]);
	}
	return 0;
}

void grpo_summarize(const double *reward, size_t n, const grpo_group *groups,
	size_t n_groups, enum grpo_std kind, const double *adv, size_t n_adv,
	grpo_summary *s)
{
	s->groups = n_groups;
	s->singletons = 0;
	s->zero_std_groups = 0;
	for (size_t k = 0; k < n_groups; k++) {
		if (groups[k].count == 1)
			s->singletons++;
		else if (groups[k].count > 1 && groups[k].sum_sq == 0.0)
			s->zero_std_groups++;
	}
	grpo_batch_stats(reward, n, kind, &s->reward_mean, &s->reward_std);
	s->adv_min = n_adv ? INFINITY : NAN;
	s->adv_max = n_adv ? -INFINITY : NAN;
	for (size_t i = 0; i < n_adv; i++) {
		s->adv_min = fmin(s->adv_min, adv[i]);
		s->adv_max = fmax(s->adv_max, adv[i]);
	}
}
