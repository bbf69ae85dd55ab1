/* ou: Ornstein-Uhlenbeck exploration noise and the soft target update. */
#include "ou.h"

#include <math.h>

void ou_step(const ou_params *p, double *x, const double *z, size_t d)
{
	/* baselines ddpg/noise.py OrnsteinUhlenbeckActionNoise.__call__:
	 * x_prev + theta (mu - x_prev) dt + sigma sqrt(dt) N(0, 1) */
	double diffusion = p->sigma * sqrt(p->dt);
	for (size_t j = 0; j < d; j++)
		x[j] += p->theta * (p->mu - x[j]) * p->dt + diffusion * z[j];
}

double ou_decay(const ou_params *p)
{
	return 1.0 - p->theta * p->dt;
}

double ou_stationary_variance(const ou_params *p)
{
	/* b^2 / (1 - a^2) with 1 - a^2 = theta dt (2 - theta dt), written so
	 * that small theta dt does not cancel */
	return p->sigma * p->sigma / (p->theta * (2.0 - p->theta * p->dt));
}

int ou_is_stable(const ou_params *p)
{
	double theta_dt = p->theta * p->dt;
	return theta_dt > 0.0 && theta_dt < 2.0;
}

void ou_soft_update(double tau, double *target, const double *online, size_t n)
{
	/* Stable-Baselines3 utils.polyak_update: target.mul_(1 - tau) then
	 * add_(online, alpha=tau) */
	for (size_t j = 0; j < n; j++)
		target[j] = target[j] * (1.0 - tau) + tau * online[j];
}
