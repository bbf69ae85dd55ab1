/* coproc: the --denoiser-cmd protocol (see coproc.h). */
#include "coproc.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void set_err(coproc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(coproc *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
}

void coproc_put_u32(unsigned char *p, unsigned long v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

void coproc_put_u64(unsigned char *p, unsigned long long v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

unsigned long long coproc_get_u64(const unsigned char *p)
{
	unsigned long long v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void coproc_put_f64(unsigned char *p, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	coproc_put_u64(p, bits);
}

double coproc_get_f64(const unsigned char *p)
{
	uint64_t bits = coproc_get_u64(p);
	double v;
	memcpy(&v, &bits, sizeof v);
	return v;
}

static int set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	if (fl < 0 || fdfl < 0)
		return -1;
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

int coproc_start(coproc *c, const char *cmd)
{
	memset(c, 0, sizeof *c);
	c->to_child = c->from_child = -1;
	int in[2], out[2];
	if (pipe(in) < 0) {
		set_err(c, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe(out) < 0) {
		set_err(c, "cannot create a pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return -1;
	}
	posix_spawn_file_actions_t fa;
	int rc = posix_spawn_file_actions_init(&fa);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	int fds[4] = { in[0], in[1], out[0], out[1] };
	for (int i = 0; i < 4 && rc == 0; i++)
		if (fds[i] > 1)
			rc = posix_spawn_file_actions_addclose(&fa, fds[i]);
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	if (rc == 0)
		rc = posix_spawn(&c->pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		set_err(c, "cannot start '%s': %s", cmd, strerror(rc));
		c->pid = 0;
		close(in[1]);
		close(out[0]);
		return -1;
	}
	c->to_child = in[1];
	c->from_child = out[0];
	if (set_flags(c->to_child) < 0 || set_flags(c->from_child) < 0) {
		set_err(c, "cannot set up the pipes: %s", strerror(errno));
		coproc_finish(c);
		return -1;
	}
	return 0;
}

/* Describe how the child ended into c->err (appending to a reason). */
static void describe_exit(coproc *c, int status, const char *reason)
{
	if (WIFEXITED(status))
		set_err(c, "%sthe denoiser command exited with status %d", reason, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		set_err(c, "%sthe denoiser command was killed by signal %d", reason, WTERMSIG(status));
	else
		set_err(c, "%sthe denoiser command stopped", reason);
}

static int reap(coproc *c, int *status)
{
	pid_t pid = c->pid;
	c->pid = 0;
	if (pid <= 0)
		return -1;
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static void close_fds(coproc *c)
{
	if (c->to_child >= 0)
		close(c->to_child);
	if (c->from_child >= 0)
		close(c->from_child);
	c->to_child = c->from_child = -1;
}

/* After a failed exchange: stop the child, keep the message, add how the
 * child ended when that says more. */
static int fail(coproc *c)
{
	char reason[sizeof c->err];
	memcpy(reason, c->err, sizeof reason);
	close_fds(c);
	if (c->pid > 0) {
		pid_t pid = c->pid;
		int status = 0;
		/* a child that broke the protocol is usually exiting: give it a
		 * second to leave its status, then stop it */
		pid_t done = 0;
		for (int i = 0; i < 100 && done == 0; i++) {
			done = waitpid(pid, &status, WNOHANG);
			if (done == 0) {
				struct timespec tick = { 0, 10000000 };
				nanosleep(&tick, NULL);
			}
		}
		if (done <= 0) {
			kill(pid, SIGTERM);
			reap(c, &status);
			return -1;
		}
		c->pid = 0;
		if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			char lead[sizeof c->err + 2];
			snprintf(lead, sizeof lead, "%s: ", reason);
			describe_exit(c, status, lead);
		}
	}
	return -1;
}

/* Write out_len bytes of c->buf and read in_len bytes back into c->buf +
 * out_len, both at once. */
static int exchange(coproc *c, size_t out_len, size_t in_len)
{
	size_t sent = 0, got = 0;
	unsigned char *reply = c->buf + out_len;
	while (got < in_len) {
		struct pollfd p[2] = {
			{ .fd = c->from_child, .events = POLLIN },
			{ .fd = sent < out_len ? c->to_child : -1, .events = POLLOUT },
		};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			set_err(c, "poll: %s", strerror(errno));
			return -1;
		}
		if (sent < out_len && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t k = write(c->to_child, c->buf + sent, out_len - sent);
			if (k < 0 && errno != EAGAIN && errno != EINTR) {
				set_err(c, "request %llu: the denoiser command stopped reading (%s)",
					c->calls + 1, strerror(errno));
				return -1;
			}
			if (k > 0)
				sent += (size_t)k;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t k = read(c->from_child, reply + got, in_len - got);
			if (k < 0 && errno != EAGAIN && errno != EINTR) {
				set_err(c, "request %llu: reading the response: %s", c->calls + 1, strerror(errno));
				return -1;
			}
			if (k == 0) {
				set_err(c, "request %llu: the response ended after %zu of %zu bytes",
					c->calls + 1, got, in_len);
				return -1;
			}
			if (k > 0)
				got += (size_t)k;
		}
	}
	if (sent < out_len) {
		set_err(c, "request %llu: the denoiser command answered before reading the request",
			c->calls + 1);
		return -1;
	}
	return 0;
}

int coproc_call(coproc *c, const double *x, size_t n, size_t dim, double sigma, double *out)
{
	if (c->pid <= 0) {
		set_err(c, "the denoiser command is not running");
		return -1;
	}
	size_t len = n * dim;
	if (dim != 0 && len / dim != n) {
		set_err(c, "request too large");
		return fail(c);
	}
	if (len > (SIZE_MAX - 64) / 16) {
		set_err(c, "request too large");
		return fail(c);
	}
	size_t out_len = COPROC_REQUEST_BYTES + 8 * len, in_len = 4 + 8 * len;
	if (c->buf_cap < out_len + in_len) {
		unsigned char *b = realloc(c->buf, out_len + in_len);
		if (!b) {
			set_err(c, "out of memory for a request of %zu rows", n);
			return fail(c);
		}
		c->buf = b;
		c->buf_cap = out_len + in_len;
	}
	memcpy(c->buf, "DNRQ", 4);
	coproc_put_u32(c->buf + 4, COPROC_VERSION);
	coproc_put_u64(c->buf + 8, n);
	coproc_put_u64(c->buf + 16, dim);
	coproc_put_f64(c->buf + 24, sigma);
	for (size_t i = 0; i < len; i++)
		coproc_put_f64(c->buf + COPROC_REQUEST_BYTES + 8 * i, x[i]);
	/* A child that dies would raise SIGPIPE on our write: take EPIPE
	 * instead for the exchange, then restore the disposition. */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	int rc = exchange(c, out_len, in_len);
	sigaction(SIGPIPE, &old, NULL);
	if (rc < 0)
		return fail(c);
	const unsigned char *reply = c->buf + out_len;
	if (memcmp(reply, "DNRS", 4) != 0) {
		set_err(c, "request %llu: the response does not begin with \"DNRS\"", c->calls + 1);
		return fail(c);
	}
	for (size_t i = 0; i < len; i++) {
		out[i] = coproc_get_f64(reply + 4 + 8 * i);
		if (!isfinite(out[i])) {
			set_err(c, "request %llu: row %zu, column %zu of the response is not finite",
				c->calls + 1, i / dim + 1, i % dim + 1);
			return fail(c);
		}
	}
	c->calls++;
	return 0;
}

int coproc_finish(coproc *c)
{
	int rc = 0;
	if (c->to_child >= 0)
		close(c->to_child);
	c->to_child = -1;
	if (c->pid > 0) {
		int status;
		if (reap(c, &status) < 0) {
			set_err(c, "cannot wait for the denoiser command: %s", strerror(errno));
			rc = -1;
		} else if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			describe_exit(c, status, "");
			rc = -1;
		}
	}
	close_fds(c);
	free(c->buf);
	c->buf = NULL;
	c->buf_cap = 0;
	return rc;
}
