/* Fuzzing a whole program in-process, for parsers that live in cmd/ (the
 * record readers of gae, grpo-adv and ppo-loss).  A target defines
 * PROG_NAME, renames the program's main, includes cmd/PROG.c and calls
 * prog_fuzz with an argument vector picked by the first input byte; the
 * rest of the input is standard input.
 *
 * The program runs as if from a shell, with three changes made here:
 * - exit() is interposed: inside a run it records the status and longjmps
 *   back (cli_die and cli_usage_error end in exit), outside it is libc's;
 * - stdin, stdout and stderr are memory streams (fopencookie), so the
 *   output and the messages can be checked;
 * - fclose() of those streams is interposed: it flushes and marks them
 *   closed but keeps them alive, since a program may still touch stdout
 *   after cli_close_stdout (cli_die flushes it).
 * - every block the program allocates and still holds when it ends is
 *   freed after the run, as the process exit would (malloc and free hooks
 *   of the sanitizer allocator keep the set of live blocks), so thousands
 *   of failed runs do not add up to an out-of-memory.
 *
 * Oracle, after every run: status 0 or 1 (the argument vectors are valid);
 * on 1 a message that begins with "PROG: "; a tool that reads all input
 * first writes nothing on failure; on success, JSON Lines output has one
 * object per input record. */
#ifndef MLPIPE_FUZZ_PROG_H
#define MLPIPE_FUZZ_PROG_H

#define _GNU_SOURCE 1

#include <dlfcn.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <cjson/cJSON.h>

typedef struct prog_stream {
	char *data;
	size_t len, cap;
	size_t pos;
	int closed;
} prog_stream;

static prog_stream prog_in, prog_out, prog_err;
static FILE *prog_fake[3];
static int prog_running;
static int prog_tracking;
static int (*prog_real_fclose)(FILE *);
static void (*prog_real_exit)(int);
static int prog_status;
static jmp_buf prog_jump;

void exit(int status)
{
	if (prog_running) {
		prog_running = 0;
		prog_status = status;
		longjmp(prog_jump, 1);
	}
	if (prog_real_exit)
		prog_real_exit(status);
	_Exit(status);
}

/* Files the program opened in this run and has not closed. */
static FILE *prog_opened[16];
static size_t prog_opened_n;
static FILE *(*prog_real_fopen)(const char *, const char *);

FILE *fopen(const char *path, const char *mode)
{
	if (!prog_real_fopen)
		prog_real_fopen = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
	FILE *fp = prog_real_fopen(path, mode);
	if (fp && prog_running && prog_opened_n < sizeof prog_opened / sizeof *prog_opened)
		prog_opened[prog_opened_n++] = fp;
	return fp;
}

int fclose(FILE *fp)
{
	for (size_t i = 0; i < prog_opened_n; i++)
		if (prog_opened[i] == fp) {
			prog_opened[i] = prog_opened[--prog_opened_n];
			break;
		}
	for (int i = 0; i < 3; i++)
		if (fp && fp == prog_fake[i]) {
			int failed = fflush(fp) != 0 || ferror(fp);
			prog_stream *s = i == 0 ? &prog_in : i == 1 ? &prog_out : &prog_err;
			s->closed = 1;
			return failed ? EOF : 0;
		}
	if (!prog_real_fclose)
		prog_real_fclose = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
	return prog_real_fclose(fp);
}

static ssize_t prog_read(void *cookie, char *buf, size_t n)
{
	prog_stream *s = cookie;
	size_t left = s->len - s->pos;
	if (n > left)
		n = left;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static ssize_t prog_write(void *cookie, const char *buf, size_t n)
{
	prog_stream *s = cookie;
	if (s->len + n + 1 > s->cap) { /* room for a terminating NUL */
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n + 1)
			cap *= 2;
		int tracking = prog_tracking;
		prog_tracking = 0; /* the harness's buffer, not the program's */
		char *grown = realloc(s->data, cap);
		prog_tracking = tracking;
		if (!grown)
			return -1;
		s->data = grown;
		s->cap = cap;
	}
	memcpy(s->data + s->len, buf, n);
	s->len += n;
	s->data[s->len] = '\0';
	return (ssize_t)n;
}

static int prog_close(void *cookie)
{
	(void)cookie;
	return 0;
}

/* libFuzzer reads its flags after this.  Leaks of a dying program are not
 * bugs (see above), but they add up: in-process, the memory of a few
 * thousand failed runs reaches the RSS limit.  So the target runs in
 * libFuzzer's fork mode, whose worker processes are replaced when they run
 * out of memory, and keeps its crash inputs under build/fuzz/.  Workers
 * inherit MLPIPE_FUZZ_WORKER and do not fork again. */
/* A program's live blocks: open addressing over pointers, tombstones for
 * freed ones.  The hooks must not allocate. */
enum { PROG_SLOTS = 1 << 18 };
#define PROG_TOMB ((const void *)1)
static const void *prog_live[PROG_SLOTS];
static size_t prog_touched[PROG_SLOTS / 2]; /* slots written this run */
static size_t prog_live_used;
static int prog_overflow;

void __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					       void (*free_hook)(const volatile void *));

static size_t prog_slot_of(const void *p)
{
	return (size_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15u >> 46) & (PROG_SLOTS - 1);
}

static void prog_malloc_hook(const volatile void *ptr, size_t size)
{
	(void)size;
	if (!prog_tracking || !ptr)
		return;
	if (prog_live_used >= PROG_SLOTS / 2) {
		prog_overflow = 1;
		return;
	}
	size_t i = prog_slot_of((const void *)ptr);
	while (prog_live[i] && prog_live[i] != PROG_TOMB)
		i = (i + 1) & (PROG_SLOTS - 1);
	prog_live[i] = (const void *)ptr;
	prog_touched[prog_live_used++] = i;
}

static void prog_free_hook(const volatile void *ptr)
{
	if (!prog_tracking || !ptr)
		return;
	for (size_t i = prog_slot_of((const void *)ptr), k = 0; prog_live[i] && k < PROG_SLOTS;
	     i = (i + 1) & (PROG_SLOTS - 1), k++)
		if (prog_live[i] == (const void *)ptr) {
			prog_live[i] = PROG_TOMB;
			return;
		}
}

/* What the process exit would have released. */
static void prog_free_leftovers(void)
{
	prog_tracking = 0;
	for (size_t k = 0; k < prog_live_used; k++) {
		size_t i = prog_touched[k];
		if (prog_live[i] && prog_live[i] != PROG_TOMB && !prog_overflow)
			free((void *)prog_live[i]);
		prog_live[i] = NULL;
	}
	prog_live_used = 0;
	prog_overflow = 0;
}

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

/* libFuzzer reads its flags after this: a program's exit without freeing
 * is not a leak. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[64];
	int n = *argc < 62 ? *argc : 62;
	for (int i = 0; i < n; i++)
		args[i] = (*argv)[i];
	args[n++] = "-detect_leaks=0";
	args[n] = NULL;
	*argc = n;
	*argv = args;
	prog_real_fclose = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
	prog_real_exit = (void (*)(int))dlsym(RTLD_NEXT, "exit");
	prog_real_fopen = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
	__sanitizer_install_malloc_and_free_hooks(prog_malloc_hook, prog_free_hook);
	return 0;
}

typedef int (*prog_main_fn)(int, char **);

/* Run MAIN with ARGS (NULL-terminated) on INPUT; returns the exit status.
 * The output and messages stay in prog_out and prog_err until the next run. */
static int prog_run(prog_main_fn main_fn, const char *const *args, const uint8_t *input, size_t size)
{
	static char *argv[32];
	int argc = 0;
	while (args[argc] && argc < 31) {
		argv[argc] = (char *)args[argc];
		argc++;
	}
	argv[argc] = NULL;
	free(prog_in.data);
	memset(&prog_in, 0, sizeof prog_in);
	prog_in.data = malloc(size ? size : 1);
	if (!prog_in.data)
		return -1;
	memcpy(prog_in.data, input, size);
	prog_in.len = size;
	prog_out.len = prog_err.len = 0;
	prog_out.closed = prog_err.closed = 0;
	cookie_io_functions_t io = {prog_read, prog_write, NULL, prog_close};
	FILE *saved[3] = {stdin, stdout, stderr};
	prog_fake[0] = fopencookie(&prog_in, "r", io);
	prog_fake[1] = fopencookie(&prog_out, "w", io);
	prog_fake[2] = fopencookie(&prog_err, "w", io);
	stdin = prog_fake[0];
	stdout = prog_fake[1];
	stderr = prog_fake[2];
	optind = 0; /* glibc: start getopt afresh */
	prog_status = -1;
	prog_tracking = 1;
	if (setjmp(prog_jump) == 0) {
		prog_running = 1;
		int rc = main_fn(argc, argv);
		prog_running = 0;
		prog_status = rc;
	}
	/* Files and streams opened or buffered during the run: close them while
	 * the hooks still see their frees, then release the rest. */
	while (prog_opened_n > 0)
		prog_real_fclose(prog_opened[--prog_opened_n]);
	for (int i = 0; i < 3; i++) {
		prog_real_fclose(prog_fake[i]);
		prog_fake[i] = NULL;
	}
	prog_free_leftovers();
	stdin = saved[0];
	stdout = saved[1];
	stderr = saved[2];
	return prog_status;
}

static void prog_die(const char *what, int status, const char *const *args)
{
	fprintf(stderr, "fuzz check failed: %s (status %d):", what, status);
	for (int i = 0; args[i]; i++)
		fprintf(stderr, " %s", args[i]);
	fprintf(stderr, "\nstderr: %.*s\nstdout: %.*s\n", (int)(prog_err.len > 400 ? 400 : prog_err.len),
		prog_err.data ? prog_err.data : "", (int)(prog_out.len > 400 ? 400 : prog_out.len),
		prog_out.data ? prog_out.data : "");
	abort();
}

/* Lines of TEXT that hold something other than blanks. */
static size_t prog_count_records(const char *text, size_t len)
{
	size_t n = 0;
	int content = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			n += content;
			content = 0;
		} else if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r') {
			content = 1;
		}
	}
	return n + content;
}

/* Every line of the output is a JSON object. */
static int prog_output_is_jsonl(void)
{
	size_t at = 0;
	while (at < prog_out.len) {
		const char *line = prog_out.data + at;
		const char *nl = memchr(line, '\n', prog_out.len - at);
		if (!nl)
			return 0; /* a partial record */
		cJSON *obj = cJSON_ParseWithLength(line, (size_t)(nl - line));
		int ok = cJSON_IsObject(obj);
		cJSON_Delete(obj);
		if (!ok)
			return 0;
		at = (size_t)(nl - prog_out.data) + 1;
	}
	return 1;
}

enum { PROG_READS_ALL = 1, PROG_JSONL_OUT = 2, PROG_ONE_OBJECT = 4 };

/* An argument vector and what the program promises under it. */
typedef struct prog_case {
	const char *const *args;
	unsigned kind;
} prog_case;

static void prog_check(const char *prog, const prog_case *c, int status, const uint8_t *input, size_t size)
{
	char prefix[64];
	snprintf(prefix, sizeof prefix, "%s: ", prog);
	if (status != 0 && status != 1)
		prog_die("exit status is not 0 or 1", status, c->args);
	if (status == 1 && (prog_err.len < strlen(prefix) || memcmp(prog_err.data, prefix, strlen(prefix)) != 0))
		prog_die("the message does not begin with the program's name", status, c->args);
	if (status == 1 && (c->kind & PROG_READS_ALL) && prog_out.len != 0)
		prog_die("output written before an error", status, c->args);
	if (c->kind & PROG_JSONL_OUT) {
		/* Streaming or not, never a partial or broken record. */
		if (!prog_output_is_jsonl())
			prog_die("the output is not JSON Lines", status, c->args);
		size_t in = prog_count_records((const char *)input, size);
		size_t out = prog_count_records(prog_out.data, prog_out.len);
		if (status == 0 ? out != in : out > in)
			prog_die("output records differ in number from input records", status, c->args);
	}
	if (status == 0 && (c->kind & PROG_ONE_OBJECT)) {
		cJSON *obj = cJSON_ParseWithLength(prog_out.data, prog_out.len);
		int ok = cJSON_IsObject(obj);
		cJSON_Delete(obj);
		if (!ok)
			prog_die("the output is not one JSON object", status, c->args);
	}
}

static char prog_input_path[64];

static void prog_remove_input_file(void)
{
	unlink(prog_input_path);
}

/* Write the input to a private temporary file (for inputs that a program
 * takes by name, such as sample-ode's --gmm); returns its path. */
static const char *prog_input_file(const uint8_t *data, size_t size)
{
	char *path = prog_input_path;
	if (!path[0]) {
		const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(path, sizeof prog_input_path, "%.40s/mlpipe-fuzz-XXXXXX", dir);
		int fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(prog_remove_input_file);
	}
	FILE *fp = prog_real_fopen(path, "wb");
	if (!fp || fwrite(data, 1, size, fp) != size || prog_real_fclose(fp) != 0)
		abort();
	return path;
}

/* The argument vector of a case, as a static array. */
#define PROG_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Define the fuzz entry of program PROG (its main renamed MAIN_FN) over the
 * prog_case array CASES. */
#define PROG_TARGET(main_fn, prog, cases) \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) \
	{ \
		prog_fuzz(main_fn, prog, cases, sizeof cases / sizeof *cases, data, size); \
		return 0; \
	}

/* The whole target: byte 0 picks the case. */
static void prog_fuzz(prog_main_fn main_fn, const char *prog, const prog_case *cases, size_t n_cases,
		      const uint8_t *data, size_t size)
{
	if (size == 0)
		return;
	const prog_case *c = &cases[data[0] % n_cases];
	data++;
	size--;
	int status = prog_run(main_fn, c->args, data, size);
	prog_check(prog, c, status, data, size);
}

#endif
