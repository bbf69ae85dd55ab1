/* ppo: the per-token losses of policy-gradient training and their exact
 * gradients with respect to each token's log-probability.
 *
 * Objectives: PPO's clipped surrogate (Schulman et al. 2017) with DAPO's
 * asymmetric clip-higher and the dual clip of Ye et al. 2020, the vanilla
 * policy gradient (REINFORCE, -A log pi), and Kimi k1.5's squared
 * mirror-descent loss (Kimi Team 2025, eq. 2-3).  Around them: the KL
 * estimators k1, k2, k3 and |d| against a reference policy with the clamps
 * of verl and OpenRLHF, the entropy bonus, PPO's clipped value loss, the
 * four aggregation modes of verl's agg_loss, and the diagnostics trainers
 * log (clip fractions, approximate KL, ratio range).
 *
 * The data is a stream of sequences, each a run of tokens.  ppo_acc_*
 * consume it token by token in O(1) memory; every normaliser of the batch
 * (token count, sequence count) is known only at the end, so the per-token
 * contribution and gradient are kept unnormalised in a ppo_out per token
 * and scaled once the summary exists (ppo_out_final).  ppo_batch_compute
 * does all of it for a batch held in memory.  No I/O, no allocation. */
#ifndef MLPIPE_PPO_H
#define MLPIPE_PPO_H

#include <stddef.h>
#include <stdint.h>

enum ppo_objective { PPO_OBJ_PPO, PPO_OBJ_PG, PPO_OBJ_KIMI };
enum ppo_kl { PPO_KL_NONE, PPO_KL_K1, PPO_KL_K2, PPO_KL_K3, PPO_KL_ABS };
/* Which framework's clamps the KL estimate gets:
 * verl kl_penalty: k3's exponent to [-20, 20] and k3 itself to [-10, 10];
 * OpenRLHF compute_approx_kl: every estimate to [-10, 10];
 * none: TRL and CleanRL clamp nothing. */
enum ppo_kl_clamp { PPO_KL_CLAMP_VERL, PPO_KL_CLAMP_OPENRLHF, PPO_KL_CLAMP_NONE };
enum ppo_agg {
	PPO_AGG_TOKEN_MEAN,              /* sum(l m) / sum(m) */
	PPO_AGG_SEQ_MEAN_TOKEN_SUM,      /* mean_i sum_t l m */
	PPO_AGG_SEQ_MEAN_TOKEN_MEAN,     /* mean_i sum_t(l m) / n_i */
	PPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM  /* sum(l m) / L (Dr.GRPO) */
};
enum ppo_preset { PPO_PRESET_VERL, PPO_PRESET_TRL, PPO_PRESET_OPENRLHF, PPO_PRESET_CLEANRL };

/* Names in enum order, NULL-terminated (for cli_choice). */
extern const char *const ppo_objective_names[];
extern const char *const ppo_kl_names[];
extern const char *const ppo_kl_clamp_names[];
extern const char *const ppo_agg_names[];
extern const char *const ppo_preset_names[];

/* The log-ratio logp - old_logp is clamped to this range before exp, as
 * verl compute_policy_loss_vanilla does ("for stability"). */
#define PPO_LOG_RATIO_CLAMP 20.0

typedef struct ppo_config {
	enum ppo_objective objective;
	double clip_low, clip_high; /* ratio kept in [1 - clip_low, 1 + clip_high] */
	double dual_clip;           /* C > 1 caps -A r at -A C when A < 0; 0 = off */
	enum ppo_kl kl;             /* estimator; NONE: no KL term, none reported */
	enum ppo_kl_clamp kl_clamp;
	double beta;                /* KL coefficient in the loss */
	enum ppo_agg agg;
	double max_len;             /* L of seq-mean-token-sum-norm */
	double tau;                 /* Kimi's tau */
	double entropy_coef;        /* loss -= entropy_coef * entropy */
	double value_clip;          /* value prediction kept within +-c of old; 0 = off */
	double value_coef;          /* loss += value_coef * value_loss */
	int normalize_adv;          /* whiten advantages over the batch (CleanRL) */
} ppo_config;

/* The defaults of ppo-loss(1): ppo, clip 0.2/0.2, no dual clip, no KL
 * (verl clamps, beta 0), token-mean, entropy and value coefficients 0,
 * value clip 0.5, tau 0 (kimi needs one). */
void ppo_config_default(ppo_config *c);
/* Overwrite c with a framework's defaults (see ppo-loss(1), PRESETS). */
void ppo_config_preset(ppo_config *c, enum ppo_preset p);
/* NULL if c is consistent, else a message naming the option at fault. */
const char *ppo_config_check(const ppo_config *c);

/* Optional inputs present in the data. */
enum { PPO_HAS_REF = 1u, PPO_HAS_ENTROPY = 2u, PPO_HAS_VALUE = 4u };

typedef struct ppo_token {
	double logp, old_logp, adv;
	double mask;                     /* weight >= 0; 0 leaves the token out */
	double ref_logp;                 /* PPO_HAS_REF */
	double entropy;                  /* PPO_HAS_ENTROPY */
	double value, old_value, ret;    /* PPO_HAS_VALUE */
} ppo_token;

/* One token's losses before aggregation, with d/d logp. */
typedef struct ppo_terms {
	double log_ratio;   /* logp - old_logp, clamped to +-PPO_LOG_RATIO_CLAMP */
	double ratio;       /* exp(log_ratio) */
	double pg, d_pg;    /* policy loss (0 for kimi: it lives per sequence) */
	double kl, d_kl;    /* 0 unless the KL is computed */
	double vf;          /* 0.5 max((v - R)^2, (v_clipped - R)^2) */
	int clip_low;       /* A < 0 and r < 1 - clip_low: the low clip binds */
	int clip_high;      /* A > 0 and r > 1 + clip_high: the high clip binds */
	int clip_dual;      /* A < 0 and the dual clip -A C binds */
	int vf_clipped;     /* the clipped value error is the larger */
} ppo_terms;

/* A KL estimate of logp against ref_logp (d = logp - ref_logp) under the
 * clamps of the given framework; *d_logp gets its derivative (0 where a
 * clamp binds, as torch.clamp's gradient is). */
double ppo_kl_estimate(enum ppo_kl kind, enum ppo_kl_clamp clamp,
	double logp, double ref_logp, double *d_logp);

/* The per-token terms.  KL only when c->kl != NONE and fields has
 * PPO_HAS_REF; vf only with PPO_HAS_VALUE. */
void ppo_token_terms(const ppo_config *c, unsigned fields, const ppo_token *t,
	ppo_terms *out);

/* Per-token output before the batch normalisers are known. */
typedef struct ppo_out {
	double mask;
	double agg_c, agg_g;     /* aggregated terms: contribution, gradient */
	double kimi_c, kimi_g;   /* Kimi's sequence loss, spread over tokens */
} ppo_out;

/* What ppo_acc_end_seq learns of a finished sequence. */
typedef struct ppo_seq_info {
	double mask_sum;        /* n_i = sum of the mask */
	double factor;          /* 1 / n_i for seq-mean-token-mean, else 1 */
	double log_ratio_sum;   /* s_i = sum_t m (logp - old_logp) (Kimi) */
	double adv;             /* the sequence's advantage (Kimi) */
	double kimi_loss;       /* (A - tau s)^2; 0 if not kimi or empty */
} ppo_seq_info;

typedef struct ppo_acc {
	ppo_config cfg;
	unsigned fields;
	double adv_shift, adv_scale;    /* adv -> (adv - shift) * scale */
	/* the sequence being read */
	double seq_m, seq_pg, seq_kl, seq_ent, seq_vf, seq_log_ratio, seq_adv;
	int seq_adv_set, seq_adv_mixed;
	/* the batch */
	double sum_pg, sum_kl, sum_ent, sum_vf;   /* sum over sequences of factor * seq sums */
	double sum_m, kimi_sum;
	uint64_t sequences, sequences_counted, tokens;
	double w_clip_low, w_clip_high, w_clip_dual, w_vf_clip;
	double w_approx_kl, w_ppo_kl, w_ratio;
	double ratio_min, ratio_max;
} ppo_acc;

typedef struct ppo_summary {
	double loss, pg_loss, kl, entropy, value_loss;
	double clipfrac, clipfrac_low, clipfrac_high, clipfrac_dual, vf_clipfrac;
	double approx_kl;   /* masked mean of (r - 1) - log r (Schulman's k3 of old vs new) */
	double ppo_kl;      /* masked mean of old_logp - logp (verl's ppo_kl) */
	double ratio_min, ratio_mean, ratio_max;
	uint64_t tokens;    /* tokens with mask > 0 */
	uint64_t sequences; /* sequences read */
	uint64_t sequences_counted; /* with mask sum > 0: the ones seq means use */
	int has_kl, has_entropy, has_value; /* else those fields are not defined */
	double agg_divisor;  /* sum(m), sequences_counted or L; 0: empty batch */
	double kimi_divisor; /* sequences_counted */
} ppo_summary;

/* Tokens of one sequence as strided columns: token i's logp is
 * logp[i * stride].  A row-major frame of token rows (stride: the row
 * length) and an array of ppo_token (ppo_cols_of_tokens) both fit.  mask
 * NULL means 1 for every token; ref_logp, entropy, value, old_value and
 * ret are read only when the accumulator's fields include them. */
typedef struct ppo_cols {
	size_t n, stride;
	const double *logp, *old_logp, *adv, *mask;
	const double *ref_logp, *entropy, *value, *old_value, *ret;
} ppo_cols;

ppo_cols ppo_cols_of_tokens(const ppo_token *tokens, size_t n);

/* Start a batch.  adv_shift/adv_scale whiten the advantages (set by
 * ppo_adv_whitening; 0 and 1 leave them alone). */
void ppo_acc_init(ppo_acc *a, const ppo_config *c, unsigned fields);
/* Add tokens of the current sequence; outs (may be NULL) get their
 * unnormalised outputs, one per token. */
void ppo_acc_tokens(ppo_acc *a, const ppo_cols *cols, ppo_out *outs);

/* The columns as float32, as a binary frame stores them: read in place,
 * each value widened to double as it is used. */
typedef struct ppo_cols_f32 {
	size_t n, stride;
	const float *logp, *old_logp, *adv, *mask;
	const float *ref_logp, *entropy, *value, *old_value, *ret;
} ppo_cols_f32;

/* ppo_acc_tokens on float32 columns, without per-token outputs: the same
 * bits as on the columns widened to double. */
void ppo_acc_tokens_f32(ppo_acc *a, const ppo_cols_f32 *cols);
/* The same for one token. */
void ppo_acc_token(ppo_acc *a, const ppo_token *t, ppo_out *out);
/* Close the current sequence.  outs (may be NULL) are its n tokens' outputs
 * from ppo_acc_token, rescaled in place.  Returns 0, or -1 when the Kimi
 * objective finds two advantages in one sequence (info still filled). */
int ppo_acc_end_seq(ppo_acc *a, ppo_out *outs, size_t n, ppo_seq_info *info);
/* The aggregated losses and diagnostics. */
void ppo_acc_finish(const ppo_acc *a, ppo_summary *s);
/* A token's final contribution to s->loss and d loss / d logp. */
void ppo_out_final(const ppo_summary *s, const ppo_out *o, double *contrib, double *grad);

/* CleanRL's advantage normalisation, mask-weighted: mean and unbiased std
 * over the tokens with mask > 0; *scale = 1 / (std + 1e-8).  Fewer than two
 * tokens: std 0. */
void ppo_adv_whitening(const ppo_token *tokens, size_t n, double *shift, double *scale);

/* A batch in memory: tokens[seq_start[i] .. seq_start[i+1]) is sequence i;
 * seq_start has n_seqs + 1 entries, seq_start[n_seqs] = n_tokens. */
typedef struct ppo_batch {
	const ppo_token *tokens;
	size_t n_tokens;
	const size_t *seq_start;
	size_t n_seqs;
	unsigned fields;
} ppo_batch;

/* Summary, and when outs is not NULL the per-token contribution and
 * gradient (contrib, grad: n_tokens each, either may be NULL; outs is
 * n_tokens of scratch).  Returns 0, or -1 with *bad_seq set when a Kimi
 * sequence has two advantages. */
int ppo_batch_compute(const ppo_config *c, const ppo_batch *b, ppo_summary *s,
	ppo_out *outs, double *contrib, double *grad, size_t *bad_seq);

#endif
