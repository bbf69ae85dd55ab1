/* grpo: group-relative advantages for LLM reinforcement learning.
 *
 * GRPO (DeepSeekMath, Shao et al. 2024) scores each completion against the
 * other completions sampled for the same prompt instead of against a
 * learned critic.  This module holds every estimator of that family and
 * the group statistics they share; it does no I/O and allocates nothing:
 * the caller passes the per-group workspace.
 *
 * Completions are identified by index i in [0, n) and belong to group
 * group[i] in [0, n_groups); groups need not be contiguous.  See
 * man/man7/grpo.7 for the mathematics. */
#ifndef MLPIPE_GRPO_H
#define MLPIPE_GRPO_H

#include <stddef.h>

enum grpo_estimator {
	GRPO_GRPO,               /* (r - mean_g) / (std_g + eps) */
	GRPO_DR_GRPO,            /* r - mean_g (Liu et al. 2025) */
	GRPO_RLOO,               /* r - mean of the other members */
	GRPO_REINFORCE_BASELINE, /* r - mean_g, whitened over the batch */
	GRPO_KIMI                /* r - mean_g (Kimi k1.5) */
};

enum grpo_scale { GRPO_SCALE_GROUP, GRPO_SCALE_BATCH, GRPO_SCALE_NONE };
enum grpo_std { GRPO_STD_UNBIASED, GRPO_STD_POPULATION };
enum grpo_singleton { GRPO_SINGLETON_ZERO, GRPO_SINGLETON_RAW };

/* Names in enum order, NULL-terminated, for option parsing. */
extern const char *const grpo_estimator_names[];
extern const char *const grpo_scale_names[];
extern const char *const grpo_std_names[];
extern const char *const grpo_singleton_names[];

/* verl's default epsilon (core_algos.py compute_grpo_outcome_advantage);
 * TRL's GRPOTrainer adds 1e-4 instead. */
#define GRPO_EPS_VERL 1e-6
#define GRPO_EPS_TRL 1e-4
/* verl_F.masked_whiten: (x - mean) * rsqrt(var + 1e-8). */
#define GRPO_WHITEN_EPS 1e-8

typedef struct grpo_options {
	enum grpo_estimator estimator;
	enum grpo_scale scale;       /* grpo only: which std divides */
	enum grpo_std std;           /* n-1 (torch.std) or n */
	enum grpo_singleton singleton;
	double eps;                  /* added to the std before dividing */
} grpo_options;

/* grpo, scale group, unbiased std, singleton zero, eps 1e-6. */
void grpo_options_init(grpo_options *o);

/* Per-group workspace, filled by grpo_group_stats. */
typedef struct grpo_group {
	size_t count;
	double mean;     /* Welford's running mean: exact when all are equal */
	double sum_sq;   /* sum of squared deviations from mean (second pass) */
	double resid;    /* sum of deviations, the second pass's correction */
	double len_min;  /* shortest and longest completion (Kimi) */
	double len_max;
} grpo_group;

/* Two passes over x: counts and Welford means, then the squared
 * deviations from those means.  An all-equal group gets sum_sq == 0
 * exactly, never float residue. */
void grpo_group_stats(const double *x, const size_t *group, size_t n,
	grpo_group *groups, size_t n_groups);

/* Standard deviation of a group from its statistics: sqrt(sum_sq/(n-1))
 * or sqrt(sum_sq/n).  NaN for an unbiased std of one value (torch.std). */
double grpo_group_std(const grpo_group *g, enum grpo_std kind);

/* Mean and standard deviation of all n values, by the same two passes. */
void grpo_batch_stats(const double *x, size_t n, enum grpo_std kind,
	double *mean, double *std);

/* Advantages of n scalar rewards under o.  groups is workspace of
 * n_groups entries (overwritten).  Returns 0, or -1 when an option value
 * is out of range (n_groups == 0 with n > 0, or a group index too big). */
int grpo_advantages(const grpo_options *o, const double *reward,
	const size_t *group, size_t n, grpo_group *groups, size_t n_groups,
	double *adv);

/* Kimi k1.5 length reward (Kimi Team 2025, section 2.3.3): per group,
 * lambda = 0.5 - (len - min_len) / (max_len - min_len); a correct
 * completion gets lambda, a wrong one min(0, lambda); 0 for every member
 * when all lengths are equal.  groups is workspace as above. */
void grpo_length_rewards(const double *length, const unsigned char *correct,
	const size_t *group, size_t n, grpo_group *groups, size_t n_groups,
	double *len_reward);

/* Process supervision (DeepSeekMath section 4.1.3).  Completion i has
 * steps step_offset[i] .. step_offset[i+1]-1 with rewards step_reward[] and
 * last-token indices step_end[] (strictly increasing within a completion),
 * and n_tokens = token_offset[i+1] - token_offset[i] tokens.  Every step
 * reward is normalized by the mean and std of all step rewards of its
 * group (o->scale: group std, batch std or none; o->estimator grpo or
 * dr-grpo, the latter never divides); token t gets the sum of the
 * normalized rewards of the steps that end at or after t.  step_norm
 * receives the normalized step rewards (step_offset[n] values), token_adv
 * token_offset[n] values.  Returns 0, or -1 for an estimator other than
 * grpo and dr-grpo, a step end outside its completion or out of order. */
int grpo_process_advantages(const grpo_options *o, const double *step_reward,
	const size_t *step_end, const size_t *step_offset, const size_t *group,
	size_t n, grpo_group *groups, size_t n_groups, const size_t *token_offset,
	double *step_norm, double *token_adv);

/* What --stats reports. */
typedef struct grpo_summary {
	size_t groups;
	size_t singletons;      /* groups of one completion */
	size_t zero_std_groups; /* groups of two or more with all rewards equal */
	double reward_mean;
	double reward_std;
	double adv_min;
	double adv_max;
} grpo_summary;

/* Summarize after grpo_advantages or grpo_process_advantages: reward is
 * what the groups were computed over (n rewards as scored, after any
 * length reward; or the step rewards), adv the n_adv advantages. */
void grpo_summarize(const double *reward, size_t n, const grpo_group *groups,
	size_t n_groups, enum grpo_std kind, const double *adv, size_t n_adv,
	grpo_summary *s);

#endif
