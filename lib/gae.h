/* gae: returns and advantages for actor-critic methods.
 *
 * Generalized Advantage Estimation (Schulman et al. 2016) with its special
 * cases TD(0) (lambda 0) and Monte Carlo (lambda 1), V-trace (Espeholt et
 * al. 2018), the DDPG critic target and advantage normalisation.  Every
 * estimator is one backward recursion over a trajectory; gae_backstep holds
 * it, and both data layouts (one environment's steps in time order, or the
 * [T, E] arrays of CleanRL and Stable-Baselines3) call it.  No I/O, no
 * allocation. */
#ifndef MLPIPE_GAE_H
#define MLPIPE_GAE_H

#include <stddef.h>

typedef struct gae_params {
	double gamma;   /* discount */
	double lambda;  /* GAE lambda; the trace factor of V-trace */
	int vtrace;     /* 1: importance-weighted (IMPALA) targets */
	double rho_bar; /* V-trace: clip of the importance weight in delta */
	double c_bar;   /* V-trace: clip of the importance weight in the trace */
} gae_params;

/* How step t ended: it continues into step t + 1, or the episode ended
 * after it by termination (no value after it) or by truncation (a time
 * limit: the value of the final observation still counts). */
enum gae_end { GAE_CONTINUE = 0, GAE_TERMINATED = 1, GAE_TRUNCATED = 2 };

/* What the backward recursion carries from step t + 1 to step t: the
 * value, the return (V-trace: v_{t+1}), the accumulated advantage
 * (v_{t+1} - V_{t+1} for V-trace) and the advantage output of the next
 * kept step, which masked steps repeat (verl). */
typedef struct gae_carry {
	double value, ret, acc, adv;
} gae_carry;

/* The carry before the last step of a trajectory: bootstrap is the value
 * of the observation after it (0 when the rollout ends the episode). */
void gae_carry_init(gae_carry *c, double bootstrap);

/* One step of the recursion, backwards in time.  r, v: reward and value of
 * step t; end: enum gae_end; next_value: V of the final observation, read
 * only when end is GAE_TRUNCATED; log_rho: log pi(a|s) - log mu(a|s), read
 * only for V-trace; kept: 0 skips the step (a token outside the response):
 * it gets the advantage of the next kept step and changes nothing. */
void gae_backstep(const gae_params *p, gae_carry *c, double r, double v,
	int end, double next_value, double log_rho, int kept,
	double *adv, double *ret);

/* One environment's steps in time order: step t is element t * stride of
 * every array, or element index[t] when index is not NULL (records of
 * interleaved environments, read in place).  Optional arrays may be NULL:
 * end (all GAE_CONTINUE), next_value (read at truncated steps only),
 * log_rho (on-policy), kept (all kept).  adv and ret are addressed alike. */
typedef struct gae_track {
	size_t n, stride;
	const size_t *index;
	const double *reward, *value;
	const unsigned char *end;
	const double *next_value;
	const double *log_rho;
	const double *kept;
	double bootstrap;  /* value after the last step if it did not end */
} gae_track;

void gae_track_compute(const gae_params *p, const gae_track *tr,
	double *adv, double *ret);

/* The binary layout of CleanRL and Stable-Baselines3: T rows of E
 * environments.  episode_start[t][e] = 1 when observation t of env e begins
 * a new episode (the done flag the previous step returned), so step t is
 * terminated when episode_start[t + 1] is 1, and the last step when
 * last_done is.  There is no truncation flag.  Element (t, e) sits at
 * t * t_stride + e * e_stride: time-major [T, E] (t_stride E, e_stride 1)
 * or batch-major [E, T] as verl stores token rewards (t_stride 1,
 * e_stride T).  Optional: kept (mask), log_rho (V-trace), last_done (NULL:
 * zeros); last_value and last_done have E entries.  Every array, outputs
 * included, holds float32 (f64 = 0: the storage of the wire format and of
 * the reference implementations) or float64 (f64 = 1); the arithmetic is
 * double either way.  Flags and masks are 0 or 1 (gae_batch_check). */
typedef struct gae_batch {
	size_t T, E, t_stride, e_stride;
	int f64;
	const void *reward, *value, *episode_start;
	const void *kept;
	const void *log_rho;
	const void *last_value, *last_done;
} gae_batch;

/* Returns 0, or -1 with *bad_index set to the flat index of the first flag
 * or mask that is not 0 or 1 (*which: "dones", "mask", "last-dones"). */
int gae_batch_check(const gae_batch *b, size_t *bad_index, const char **which);
/* adv and ret: T * E elements of the batch's type, in its layout.  They
 * may be the reward and value arrays themselves (each element is read
 * before it is written), which saves memory on big rollouts. */
void gae_batch_compute(const gae_params *p, const gae_batch *b, void *adv, void *ret);
/* gae_normalize for the batch's advantages (statistics over kept steps). */
void gae_batch_normalize(const gae_batch *b, void *adv);
/* Element i of a batch array as double. */
double gae_batch_get(const gae_batch *b, const void *array, size_t i);

/* The DDPG/TD3 critic target y = r + gamma (1 - done) next_value, where
 * done is the termination of the transition (a truncated one bootstraps). */
double gae_td_target(double gamma, double reward, int terminated, double next_value);

/* Mean and unbiased standard deviation of x[i * stride], i < n, over the
 * entries whose kept[i * stride] is nonzero (kept NULL: all), by Welford's
 * recurrence.  Returns the count used; the std is 0 with fewer than 2. */
size_t gae_mean_std(const double *x, size_t n, size_t stride,
	const double *kept, double *mean, double *std);

/* x <- (x - mean) / (std + 1e-8) with the statistics above, applied to
 * every entry (masked ones too, as verl's masked_whiten), as CleanRL's
 * advantage normalisation. */
void gae_normalize(double *x, size_t n, size_t stride, const double *kept);

#define GAE_NORM_EPS 1e-8

#endif
