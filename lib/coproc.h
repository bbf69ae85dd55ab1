/* coproc: a denoiser in a child process (sample-ode --denoiser-cmd).
 *
 * The child is "/bin/sh -c CMD" with a pipe on its standard input and one
 * on its standard output; its standard error is ours.  It answers requests
 * until its input ends.  All numbers are little-endian.
 *
 *   request   32 bytes: "DNRQ", uint32 version (1), uint64 n (rows),
 *             uint64 dim, float64 sigma; then n x dim float64, row-major
 *   response  "DNRS", then n x dim float64: D(x; sigma) for each row
 *
 * The parent writes a request and reads its response at the same time
 * (poll), so a child may answer row by row.  At the end the parent closes
 * the child's input and waits: a child that exits non-zero, dies of a
 * signal, answers short, or sends a non-finite value is an error.
 * man/man1/sample-ode.1 documents the protocol for users. */
#ifndef MLPIPE_COPROC_H
#define MLPIPE_COPROC_H

#include <stddef.h>
#include <sys/types.h>

#define COPROC_VERSION 1
#define COPROC_REQUEST_BYTES 32

typedef struct coproc {
	pid_t pid;             /* 0 when not running */
	int to_child;          /* write end of the child's stdin */
	int from_child;        /* read end of the child's stdout */
	unsigned char *buf;    /* request and response bytes */
	size_t buf_cap;
	unsigned long long calls;
	char err[320];
} coproc;

/* Start CMD.  Returns 0, or -1 with a message in c->err. */
int coproc_start(coproc *c, const char *cmd);
/* One request: out[j] = D(x[j]; sigma) for n rows of dim.  Returns 0, or
 * -1 with c->err (the child is then stopped and reaped). */
int coproc_call(coproc *c, const double *x, size_t n, size_t dim, double sigma, double *out);
/* Close the child's input and wait for it.  Returns 0 when it exited with
 * status 0, else -1 with c->err. */
int coproc_finish(coproc *c);

/* The wire format, for tests and children written in C. */
void coproc_put_u32(unsigned char *p, unsigned long v);
void coproc_put_u64(unsigned char *p, unsigned long long v);
void coproc_put_f64(unsigned char *p, double v);
unsigned long long coproc_get_u64(const unsigned char *p);
double coproc_get_f64(const unsigned char *p);

#endif
