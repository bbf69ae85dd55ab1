/* cli: the command-line contract shared by every mlpipe program.
 *
 * Diagnostics are "PROG: message" on standard error; exit status is 0 for
 * success, 1 for a data or I/O error, 2 for a usage error
 * (CONVENTIONS.md, "Errors and exit status").  The program name is the only
 * global state in the library. */
#ifndef MLPIPE_CLI_H
#define MLPIPE_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdnoreturn.h>

#define MLPIPE_VERSION "0.1.0"

enum { EXIT_DATA = 1, EXIT_USAGE = 2 };

/* Program name used in every diagnostic; set by cli_init. */
extern const char *cli_prog;

/* Set the program name, force the "C" numeric locale, keep SIGPIPE at its
 * default so that "| head" ends the program quietly. */
void cli_init(const char *prog);

/* "PROG: message" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: message" then exit 1. */
noreturn void cli_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: message", "Try 'PROG --help'." then exit 2. */
noreturn void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The getopt_long entries every program shares (CONVENTIONS.md, "Command
 * line"): -I/-O/-f for array formats, and --help/--version with the
 * table's terminator.  They expand to struct option initialisers. */
#define CLI_OPTIONS_FORMATS \
	{ "input-format", required_argument, NULL, 'I' }, \
	{ "output-format", required_argument, NULL, 'O' }, \
	{ "force", no_argument, NULL, 'f' }
#define CLI_OPTIONS_END \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ NULL, 0, NULL, 0 }

/* The --help lines of the options above, for the help texts. */
#define CLI_HELP_END \
	"  -h, --help               this help\n" \
	"  -V, --version            version\n"

/* Print "PROG (mlpipe) X.Y.Z" and exit 0 (after a checked close). */
noreturn void cli_version(void);
/* Print text (the --help page) to stdout and exit 0 (after a checked close). */
noreturn void cli_help(const char *text);

/* The non-exiting cores of the parsers below: 0 and *out, or -1 with the
 * reason in why ("'0.9x' is not a number").  For tests and fuzzers. */
int cli_parse_double(const char *arg, double lo, double hi, double *out, char *why, size_t why_len);
int cli_parse_llong(const char *arg, long long lo, long long hi, long long *out, char *why, size_t why_len);
int cli_parse_size(const char *arg, size_t lo, size_t hi, size_t *out, char *why, size_t why_len);

/* Strict numeric parsing of option OPT's argument ARG.  Trailing junk,
 * empty strings, out-of-range and non-finite values are usage errors that
 * name the option: "--gamma: '0.9x' is not a number". */
double cli_double(const char *opt, const char *arg, double lo, double hi);
long long cli_llong(const char *opt, const char *arg, long long lo, long long hi);
/* A count: integer in [lo, hi]; accepts "1e6" style only when exact. */
size_t cli_size(const char *opt, const char *arg, size_t lo, size_t hi);
/* Index of ARG in the NULL-terminated CHOICES, else a usage error listing them. */
int cli_choice(const char *opt, const char *arg, const char *const choices[]);

/* Flush and close stdout; on any write error die with exit 1. Call at the
 * end of main (cli_version and cli_help call it). */
void cli_close_stdout(void);
/* Open a side-output file for writing (die with a message on failure). */
FILE *cli_fopen_out(const char *path);
/* Open an input file ("-" or NULL is stdin). */
FILE *cli_fopen_in(const char *path);
/* Checked fclose of a side output: die naming PATH on failure. */
void cli_fclose(FILE *fp, const char *path);

/* Refuse to write binary data to a terminal unless forced: usage error that
 * suggests -O text. */
void cli_refuse_tty(FILE *fp, int is_binary, int force);

/* A pipe holds 64 KiB by default: a program that reads or writes 1 MiB at
 * a time then waits for its neighbour at every 64 KiB, and the two do not
 * overlap.  Grow FP's pipe to 1 MiB where Linux allows it (F_SETPIPE_SZ);
 * not a pipe, or not allowed: nothing changes.  Measured: about 8% off
 * "cat frame | ppo-loss". */
void cli_widen_pipe(FILE *fp);

/* A progress bar on stderr, drawn only when stderr is a terminal and not
 * quiet.  total may be 0 when unknown (then a counter is shown). */
typedef struct cli_progress {
	uint64_t total;
	uint64_t done;
	int active;
	int last_permille;
	const char *label;
} cli_progress;

void cli_progress_start(cli_progress *p, const char *label, uint64_t total, int quiet);
void cli_progress_update(cli_progress *p, uint64_t done);
void cli_progress_end(cli_progress *p);

#endif
