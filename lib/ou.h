/* ou: the two DDPG pieces outside the networks: exploration noise for a
 * deterministic policy and the soft update of the target networks.
 *
 * The Ornstein-Uhlenbeck process dx = theta (mu - x) dt + sigma dW,
 * discretised by Euler-Maruyama as OpenAI baselines' and Stable-Baselines3's
 * OrnsteinUhlenbeckActionNoise do, and the Polyak (soft) target update.
 * No I/O, no allocation: the caller supplies the standard normals. */
#ifndef MLPIPE_OU_H
#define MLPIPE_OU_H

#include <stddef.h>

typedef struct ou_params {
	double theta; /* mean-reversion rate */
	double sigma; /* diffusion scale */
	double dt;    /* time step */
	double mu;    /* long-run mean */
} ou_params;

/* x[j] += theta (mu - x[j]) dt + sigma sqrt(dt) z[j], j < d. */
void ou_step(const ou_params *p, double *x, const double *z, size_t d);

/* The discrete process is AR(1): x' - mu = a (x - mu) + b z with
 * a = 1 - theta dt and b = sigma sqrt(dt).  For |a| < 1 it is stationary
 * with variance b^2 / (1 - a^2) = sigma^2 / (theta (2 - theta dt)), which
 * tends to the continuous sigma^2 / (2 theta) as dt -> 0, and lag-k
 * correlation a^k. */
double ou_decay(const ou_params *p);
double ou_stationary_variance(const ou_params *p);
/* 1 when 0 < theta dt < 2 (|a| < 1): the process has a stationary law. */
int ou_is_stable(const ou_params *p);

/* target[j] <- tau online[j] + (1 - tau) target[j], j < n: Polyak averaging
 * of target-network parameters (Lillicrap et al. 2015; Stable-Baselines3
 * polyak_update). */
void ou_soft_update(double tau, double *target, const double *online, size_t n);

#endif
